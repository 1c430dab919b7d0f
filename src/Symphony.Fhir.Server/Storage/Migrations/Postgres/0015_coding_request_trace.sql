-- The W3C traceparent of the request that recorded (or re-opened) a coding request: the coding job's span continues that
-- trace, so a note's path from its POST to its write-back is one trace. NULL when that request was not traced.
ALTER TABLE coding_request ADD COLUMN trace_parent text;
