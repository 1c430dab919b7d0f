-- The coding mode a caller asked for ($code with mode=embedded|agent|hybrid); empty means the server's Coding:Mode.
ALTER TABLE coding_request ADD COLUMN mode text;
