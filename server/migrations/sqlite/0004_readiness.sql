-- One row that `GET /readyz` rewrites: readiness means the database takes a write, not only a read.
CREATE TABLE readiness (
    slot       INTEGER PRIMARY KEY CHECK (slot = 1),
    checked_at INTEGER NOT NULL
);
