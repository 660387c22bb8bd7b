-- A new chat takes the next activity value in the database, as a new message already does (0003): the SQL that
-- starts a chat is then the same on SQLite and Postgres, where a sequence gives the value. The row arrives with
-- the column's default 0, so MAX over the table is the previous highest value.
CREATE TRIGGER sessions_activity_on_insert AFTER INSERT ON sessions
BEGIN
    UPDATE sessions SET activity_seq = (SELECT MAX(activity_seq) FROM sessions) + 1 WHERE rowid = NEW.rowid;
END;
