-- Frontdesk schema, version 1.
-- Times are unix seconds (UTC). Secrets (secret keys, agent keys, device ids) are stored only as SHA-256 digests.

CREATE TABLE orgs (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    -- Public: it is embedded in the site's pages, so it is stored as is.
    widget_token    TEXT    NOT NULL UNIQUE,
    secret_key_hash BLOB    NOT NULL UNIQUE,
    created_at      INTEGER NOT NULL
);

-- Normalised `scheme://host[:port]`; no rows = any origin may use the widget token.
CREATE TABLE org_allowed_origins (
    org_id INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    origin TEXT    NOT NULL,
    PRIMARY KEY (org_id, origin)
) WITHOUT ROWID;

CREATE TABLE agents (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    key_hash   BLOB    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- At most one row (slot = 1): the key that signs and checks user tokens. Rotation replaces the row, and
-- AUTOINCREMENT guarantees the new key never reuses an old key id, so a token's `kid` names exactly one key ever.
CREATE TABLE signing_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    slot       INTEGER NOT NULL UNIQUE CHECK (slot = 1),
    secret     BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);

-- Verified users, as told by the site's backend through POST /widget/authenticate-user.
CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email       TEXT    NOT NULL, -- lower-cased: the contact's identity within the org
    name        TEXT,
    avatar_url  TEXT,
    phone       TEXT,
    language    TEXT,
    custom_data TEXT    NOT NULL DEFAULT '{}', -- trusted JSON object
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (org_id, email)
);

-- A chat. Exactly one owner: a contact (started while verified) or a device (non-verified or anonymous).
CREATE TABLE sessions (
    id                       TEXT    PRIMARY KEY, -- 32 random hex characters
    org_id                   INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    external_id              TEXT,                -- NULL = the default scope
    contact_id               INTEGER REFERENCES contacts (id) ON DELETE CASCADE,
    device_hash              BLOB,
    -- What the page said about a non-verified visitor; never trusted, never merged into contacts.
    visitor_name             TEXT,
    visitor_email            TEXT,
    visitor_avatar_url       TEXT,
    non_verified_custom_data TEXT,                -- JSON object
    created_at               INTEGER NOT NULL,
    CHECK ((contact_id IS NULL) <> (device_hash IS NULL))
);
CREATE INDEX sessions_by_contact ON sessions (org_id, contact_id, external_id);
CREATE INDEX sessions_by_device ON sessions (org_id, device_hash, external_id);

CREATE TABLE messages (
    -- AUTOINCREMENT: ids only grow and are never reused, so they serve as the long-poll cursor.
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id  TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    client_id   TEXT,
    author      TEXT    NOT NULL CHECK (author IN ('visitor', 'agent')),
    author_name TEXT,
    content     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    -- Makes a retried send store nothing new (NULL client ids are distinct, as agent replies may have none).
    UNIQUE (session_id, client_id)
);
CREATE INDEX messages_by_session ON messages (session_id, id);
