-- Starting a chat is idempotent like sending: the widget sends the client id of the chat's first
-- message, and a retried start (its answer lost on the way back) finds the session it created.
ALTER TABLE sessions ADD COLUMN client_id TEXT;
-- NULLs are distinct: sessions started without a client id never conflict.
CREATE UNIQUE INDEX sessions_by_client_id ON sessions (org_id, client_id);
