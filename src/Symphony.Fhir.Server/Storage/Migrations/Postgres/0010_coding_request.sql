-- One coding request per note (or encounter, or inline text): what the coding jobs drain.
-- Times are Unix milliseconds so both backends share the SQL.
CREATE TABLE coding_request (
    id text PRIMARY KEY,
    focus_type text NOT NULL,
    focus_id text NOT NULL,
    focus_version integer NOT NULL,
    status text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    claim_token text,
    lease_until bigint,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    error text,
    written_ids text,
    result text
);
CREATE INDEX ix_coding_request_status ON coding_request (status, created_at);
