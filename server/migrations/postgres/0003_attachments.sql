-- Files sent with messages, and each org's rules for them.
--
-- Files live in the database (ARCHITECTURE.md says why): every instance serves them, a backup holds them, and a
-- session's deletion takes them with it (ON DELETE CASCADE), on SQLite and Postgres alike.
ALTER TABLE orgs ADD COLUMN attachment_max_bytes BIGINT NOT NULL DEFAULT 10485760;
ALTER TABLE orgs ADD COLUMN attachments_per_message BIGINT NOT NULL DEFAULT 5;
ALTER TABLE orgs ADD COLUMN attachment_types TEXT NOT NULL
    DEFAULT 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain';

CREATE TABLE attachments (
    id          TEXT   PRIMARY KEY,       -- 32 random hex characters
    session_id  TEXT   NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    org_id      BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    -- Who uploaded it: only that side may send it with a message.
    uploader    TEXT   NOT NULL CHECK (uploader IN ('visitor', 'agent')),
    name        TEXT   NOT NULL,
    -- The type the content was found to be (and was declared as).
    media_type  TEXT   NOT NULL,
    size        BIGINT NOT NULL,
    data        BYTEA  NOT NULL,
    -- NULL until sent with a message; an upload never sent is deleted after 24 hours.
    message_id  BIGINT REFERENCES messages (id) ON DELETE CASCADE,
    position    BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX attachments_by_message ON attachments (message_id, position);
CREATE INDEX attachments_by_session ON attachments (session_id);
CREATE INDEX attachments_unsent ON attachments (created_at) WHERE message_id IS NULL;
