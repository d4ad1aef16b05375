-- Conveyor schema v1 (PostgreSQL). Timestamps are BIGINT milliseconds since the epoch (UTC).
-- Ids use the C collation so that ties order by bytes, exactly as on SQLite.

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE credentials (
    app_id      TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id),
    token_hash  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- The action row is the job. Its payload lives in action_payloads (claim-check).
CREATE TABLE async_actions (
    id                TEXT COLLATE "C" PRIMARY KEY,
    project_id        TEXT NOT NULL REFERENCES projects (id),
    kind              TEXT NOT NULL CHECK (kind IN (
        'CAMPAIGN.VOUCHERS_IMPORT', 'CAMPAIGN.VOUCHERS_IMPORT_CSV', 'CAMPAIGN.VOUCHERS_UPDATE',
        'CAMPAIGN.VOUCHERS_DELETE', 'CAMPAIGN.VOUCHERS_GENERATE', 'CAMPAIGNS.METADATA_KEY_PURGE',
        'CUSTOMERS.IMPORT_CSV', 'CUSTOMERS.BULK_UPDATE', 'CUSTOMERS.METADATA_UPDATE',
        'CUSTOMERS.METADATA_KEY_PURGE', 'PRODUCTS.BULK_UPDATE', 'PRODUCTS.METADATA_UPDATE',
        'PRODUCTS.METADATA_KEY_PURGE', 'PRODUCTS.IMPORT_CSV', 'SKUS.IMPORT_CSV', 'VOUCHERS.IMPORT',
        'VOUCHERS.IMPORT_CSV', 'VOUCHERS.BULK_UPDATE', 'VOUCHERS.METADATA_UPDATE',
        'VOUCHERS.METADATA_KEY_PURGE', 'ORDERS.IMPORT', 'ORDERS.METADATA_KEY_PURGE')),
    status            TEXT NOT NULL CHECK (status IN ('ENQUEUED', 'IN_PROGRESS', 'DONE', 'FAILED')),
    progress          BIGINT NOT NULL CHECK (progress BETWEEN 0 AND 100),
    attempt           BIGINT NOT NULL,
    cursor            BIGINT NOT NULL,
    total_items       BIGINT NOT NULL,
    done_count        BIGINT NOT NULL,
    failed_count      BIGINT NOT NULL,
    lease_owner       TEXT,
    lease_expires_at  BIGINT,
    request_id        TEXT NOT NULL,
    result            TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX async_actions_by_project ON async_actions (project_id, created_at DESC, id DESC);
CREATE INDEX async_actions_runnable ON async_actions (created_at, id)
    WHERE status IN ('ENQUEUED', 'IN_PROGRESS');

CREATE TABLE action_payloads (
    action_id  TEXT PRIMARY KEY REFERENCES async_actions (id) ON DELETE CASCADE,
    body       BYTEA NOT NULL
);

CREATE TABLE action_report_lines (
    action_id  TEXT NOT NULL REFERENCES async_actions (id) ON DELETE CASCADE,
    line       BIGINT NOT NULL,
    item_key   TEXT NOT NULL,
    found      BOOLEAN NOT NULL,
    updated    BOOLEAN NOT NULL,
    error      TEXT,
    PRIMARY KEY (action_id, line)
);

CREATE TABLE customers (
    id           TEXT COLLATE "C" PRIMARY KEY,
    project_id   TEXT NOT NULL REFERENCES projects (id),
    source_id    TEXT,
    name         TEXT,
    description  TEXT,
    email        TEXT,
    phone        TEXT,
    birthdate    TEXT,
    birthday     TEXT,
    address      JSONB,
    metadata     JSONB NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT,
    UNIQUE (project_id, source_id)
);
CREATE INDEX customers_by_project ON customers (project_id, created_at DESC, id DESC);
