-- Running a site for a long time: keys rotated with an overlap, agents revoked, a retention period, the audit log.

-- The widget token and the secret key before the last rotation, accepted until their `retires_at` (unix seconds);
-- NULL = there is none. One previous value each: a second rotation within the grace retires the first at once.
ALTER TABLE orgs ADD COLUMN previous_widget_token TEXT;
ALTER TABLE orgs ADD COLUMN previous_widget_token_retires_at INTEGER;
ALTER TABLE orgs ADD COLUMN previous_secret_key_hash BLOB;
ALTER TABLE orgs ADD COLUMN previous_secret_key_retires_at INTEGER;
CREATE UNIQUE INDEX orgs_by_previous_widget_token ON orgs (previous_widget_token);
CREATE UNIQUE INDEX orgs_by_previous_secret_key_hash ON orgs (previous_secret_key_hash);
-- Resolved chats whose resolution is older than this many days are deleted; NULL or 0 = kept for ever.
ALTER TABLE orgs ADD COLUMN retention_days INTEGER CHECK (retention_days >= 0);

-- A revoked key is refused from then on; the row stays for the list and the audit log.
ALTER TABLE agents ADD COLUMN revoked_at INTEGER;

-- Signing keys: slot 1 is the key that signs; rows without a slot are earlier keys, still accepted for the tokens
-- they signed until `retires_at`. Rebuilt because SQLite cannot drop a NOT NULL; the ids (and AUTOINCREMENT's
-- high-water mark) are kept, so a token's `kid` still names exactly one key ever.
CREATE TABLE signing_keys_next (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    slot       INTEGER UNIQUE CHECK (slot = 1),
    secret     BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    retires_at INTEGER,
    CHECK ((slot IS NULL) <> (retires_at IS NULL))
);
INSERT INTO signing_keys_next (id, slot, secret, created_at)
    SELECT id, slot, secret, created_at FROM signing_keys;
UPDATE sqlite_sequence
    SET seq = MAX(seq, IFNULL((SELECT seq FROM sqlite_sequence WHERE name = 'signing_keys'), 0))
    WHERE name = 'signing_keys_next';
DROP TABLE signing_keys;
ALTER TABLE signing_keys_next RENAME TO signing_keys;

-- Who changed what, when. `actor` is `cli`, `secret_key:<key id>` or `retention`, never a secret; `detail` is a
-- JSON object of ids and counts, never personal data. org_id NULL: the whole installation (the signing key).
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     INTEGER REFERENCES orgs (id) ON DELETE CASCADE,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
CREATE INDEX audit_log_by_org ON audit_log (org_id, id);

-- The retention sweep's search: an org's resolved chats by the time of their resolution.
CREATE INDEX sessions_by_resolution ON sessions (org_id, resolved_at) WHERE status = 'resolved';
