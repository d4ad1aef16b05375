-- Conveyor schema v8 (PostgreSQL): orders, and serial groups of actions.
--
-- An order is JSONB in `body`; its source_id (unique per project) and timestamps are
-- columns for lookups and ordering (`created_at` is the order's own, historical time).
--
-- `serial_group` is set when an action is created (`ActionKind::serial_group`; only
-- ORDERS.IMPORT has one): the claim runs one unfinished action per project and group at a
-- time, oldest first. The partial index serves the claim's NOT EXISTS probe.

CREATE TABLE orders (
    id          TEXT COLLATE "C" PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id),
    source_id   TEXT,
    body        JSONB NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT,
    UNIQUE (project_id, source_id)
);
CREATE INDEX orders_by_project ON orders (project_id, created_at DESC, id DESC);

ALTER TABLE async_actions ADD COLUMN serial_group TEXT;
UPDATE async_actions SET serial_group = 'ORDERS.IMPORT' WHERE kind = 'ORDERS.IMPORT';
CREATE INDEX async_actions_serial ON async_actions (project_id, serial_group, created_at, id)
    WHERE serial_group IS NOT NULL AND status IN ('ENQUEUED', 'IN_PROGRESS');
