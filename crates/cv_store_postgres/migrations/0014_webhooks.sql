-- Conveyor schema (PostgreSQL): completion webhooks. A project's endpoints, and the outbox of
-- deliveries: one row per finished action and endpoint that wants its event, inserted in the
-- transaction that ends the action, then claimed with a lease, sent, and ended DELIVERED or
-- FAILED. Every attempt is kept in webhook_attempts. Deleting an endpoint, or pruning an
-- action, deletes its deliveries and their attempts.

CREATE TABLE webhook_endpoints (
    id          TEXT COLLATE "C" PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id),
    target_url  TEXT NOT NULL,
    events      TEXT NOT NULL,
    secret      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_by_project ON webhook_endpoints (project_id, created_at, id);

CREATE TABLE webhook_deliveries (
    id                TEXT COLLATE "C" PRIMARY KEY,
    endpoint_id       TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    project_id        TEXT NOT NULL REFERENCES projects (id),
    action_id         TEXT NOT NULL REFERENCES async_actions (id) ON DELETE CASCADE,
    event_type        TEXT NOT NULL CHECK (event_type IN ('async_action.done', 'async_action.failed')),
    status            TEXT NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
    attempts          BIGINT NOT NULL,
    next_attempt_at   BIGINT,
    lease_owner       TEXT,
    lease_expires_at  BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id)
    WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_by_endpoint
    ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_by_action ON webhook_deliveries (action_id);

CREATE TABLE webhook_attempts (
    delivery_id   TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt       BIGINT NOT NULL,
    attempted_at  BIGINT NOT NULL,
    duration_ms   BIGINT NOT NULL,
    status_code   BIGINT,
    error         TEXT,
    PRIMARY KEY (delivery_id, attempt)
);
