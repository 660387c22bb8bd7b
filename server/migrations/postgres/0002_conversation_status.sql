-- A chat's status and ratings, typing and seen state, agents' avatars.
--
-- A change of status or a rating is also a message of its own kind (docs/api.md "Status, ratings and the events of
-- a chat"): it takes the next id, so it reaches every client on the same cursor as text, live and after a
-- reconnect. The columns on sessions are the state those events lead to, kept so that lists need no scan.
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'text'
    CHECK (kind IN ('text', 'resolved', 'reopened', 'rated'));
ALTER TABLE messages ADD COLUMN author_avatar_url TEXT;
ALTER TABLE messages ADD COLUMN score BIGINT CHECK (score BETWEEN 1 AND 5);

ALTER TABLE sessions ADD COLUMN status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved'));
ALTER TABLE sessions ADD COLUMN resolved_at BIGINT;
-- The id of the `resolved` event of the current resolution (NULL while open): a rating belongs to one.
ALTER TABLE sessions ADD COLUMN resolution_id BIGINT;
ALTER TABLE sessions ADD COLUMN seen_by_visitor BIGINT;
ALTER TABLE sessions ADD COLUMN seen_by_agent BIGINT;

ALTER TABLE agents ADD COLUMN avatar_url TEXT;

-- Every rating ever given, one per resolution (the primary key refuses a second), kept when the chat is reopened so
-- that GET /api/csat counts it. org_id and external_id are copied from the session for the summary's filters.
CREATE TABLE ratings (
    session_id    TEXT   NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    resolution_id BIGINT NOT NULL,
    org_id        BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    external_id   TEXT,
    score         BIGINT NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment       TEXT,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (session_id, resolution_id)
);
CREATE INDEX ratings_by_org_time ON ratings (org_id, created_at);
