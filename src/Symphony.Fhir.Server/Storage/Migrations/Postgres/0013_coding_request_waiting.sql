-- A note stored before its Encounter waits for it (status 'waiting', waiting_for = the Encounter id) instead of failing;
-- storing the Encounter re-opens the requests waiting for it.
ALTER TABLE coding_request ADD COLUMN waiting_for text;
CREATE INDEX ix_coding_request_waiting_for ON coding_request (waiting_for) WHERE status = 'waiting';
-- Notes that failed for that reason before: coded again, so each is coded now or waits for its Encounter.
UPDATE coding_request SET status = 'pending', attempts = 0, error = NULL, claim_token = NULL, lease_until = NULL
WHERE status = 'failed' AND focus_type = 'DocumentReference' AND error LIKE '%(the note''s context.encounter) is not stored yet%';
