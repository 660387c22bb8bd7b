-- Signed webhooks: the endpoints an org registers, the deliveries queued for them, and every attempt.
--
-- A delivery is inserted in the same transaction as the event it describes (webhooks.rs), so a crash or restart
-- loses none; the delivery worker claims due rows and retries them for up to 24 hours.

CREATE TABLE webhook_endpoints (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    url         TEXT    NOT NULL,
    -- Comma-separated event types, e.g. 'message.created,session.created'.
    events      TEXT    NOT NULL,
    -- The signing secret (`whsec_…`), stored as is, unlike every other secret: the server must compute
    -- HMAC-SHA256 with it for every delivery, and a digest cannot sign (docs/api.md "Webhooks").
    secret      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    -- 1 = no new deliveries are queued for it (`webhook disable`); those already queued still go.
    disabled    INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
);
CREATE INDEX webhook_endpoints_by_org ON webhook_endpoints (org_id);

CREATE TABLE webhook_deliveries (
    -- AUTOINCREMENT: ids only grow, so the order of queueing is the order of ids.
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id     INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    org_id          INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    -- `evt_…`: the same for every endpoint that gets this event, and for every retry: receivers dedupe on it.
    event_id        TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    -- The exact body sent (and signed), JSON text.
    payload         TEXT    NOT NULL,
    -- The chat or contact the event is about, so that deleting one can delete its deliveries too (no foreign
    -- key: a delivery outlives nothing it describes, and deleting a chat must not wait on this table).
    session_id      TEXT,
    contact_id      INTEGER,
    state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- Unix milliseconds: when a worker may next try it. A worker that claims it moves it forward by its lease,
    -- so a worker that dies mid-attempt leaves it to another once the lease is over.
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL, -- unix milliseconds
    -- Unix milliseconds: past it a failed attempt marks the delivery failed instead of retrying it (24 hours after
    -- it was queued, or after its last replay).
    give_up_at      INTEGER NOT NULL,
    last_status     INTEGER,
    last_latency_ms INTEGER,
    last_error      TEXT
);
-- The worker's claim: due pending deliveries, oldest first.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE state = 'pending';
-- The queue cap per endpoint (its oldest pending delivery in one seek, then a count), and the listing per endpoint.
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, state, id);
CREATE INDEX webhook_deliveries_by_org ON webhook_deliveries (org_id, id);
CREATE INDEX webhook_deliveries_by_session ON webhook_deliveries (session_id);
CREATE INDEX webhook_deliveries_by_contact ON webhook_deliveries (contact_id);

-- Every attempt of a delivery: what the receiver answered, how long it took, or why it failed.
CREATE TABLE webhook_attempts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id  INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at INTEGER NOT NULL, -- unix milliseconds
    status       INTEGER,          -- the HTTP status; NULL when no answer came
    latency_ms   INTEGER NOT NULL,
    error        TEXT
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);
