-- Conveyor schema v2 (PostgreSQL): uploaded files of import actions, and which action last
-- wrote a customer (an import uses it to spot a source_id repeated within one file).

CREATE TABLE action_uploads (
    action_id  TEXT COLLATE "C" NOT NULL,
    part       BIGINT NOT NULL,
    bytes      BYTEA NOT NULL,
    PRIMARY KEY (action_id, part)
);

ALTER TABLE customers ADD COLUMN last_action_id TEXT;
