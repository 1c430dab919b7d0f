-- A note's new version keeps the decisions whose evidence is still at the same words: they are stored again on the new
-- version with the version they were carried from. A 'needs-review' row (the server's mark, not a person's decision) names
-- the version whose decision did not survive the new text. Null: decided on this version.
ALTER TABLE coding_decision ADD COLUMN carried_from integer;
