-- A note's request remembers the encounter and note version it was last coded for, so the encounter's Claim
-- can be rebuilt from the last coded result of each of its notes.
ALTER TABLE coding_request ADD COLUMN encounter_id text;
ALTER TABLE coding_request ADD COLUMN coded_version integer;
CREATE INDEX ix_coding_request_encounter ON coding_request (encounter_id);
