-- A version's JSON is stored once, in resource_history (which has held every version, the current one included, since the
-- first migration); resource keeps which version is current, and reads join the two. Writing each version's JSON twice
-- cost the database a second parse, copy and log of every resource written.
ALTER TABLE resource DROP COLUMN content;
