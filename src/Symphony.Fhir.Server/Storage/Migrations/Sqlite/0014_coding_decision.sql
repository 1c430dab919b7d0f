-- A person's review decisions on a note version's codes (POST /DocumentReference/{id}/$review): the site's own data,
-- kept through restarts and re-codes. spans is a JSON array of {offset, length, text} in the decoded note text.
-- Times are Unix milliseconds; position orders the decisions of one review.
CREATE TABLE coding_decision (
    id text PRIMARY KEY,
    document_id text NOT NULL,
    note_version integer NOT NULL,
    system text NOT NULL,
    code text NOT NULL,
    display text NOT NULL,
    action text NOT NULL,
    spans text NOT NULL,
    reason text,
    reviewer text NOT NULL,
    decided_at bigint NOT NULL,
    position integer NOT NULL
);
CREATE INDEX ix_coding_decision_note ON coding_decision (document_id, note_version, decided_at, position);
