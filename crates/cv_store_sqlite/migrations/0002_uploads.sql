-- Conveyor schema v2 (SQLite): uploaded files of import actions, and which action last wrote
-- a customer (an import uses it to spot a source_id repeated within one file).

CREATE TABLE action_uploads (
    action_id  TEXT NOT NULL,
    part       INTEGER NOT NULL,
    bytes      BLOB NOT NULL,
    PRIMARY KEY (action_id, part)
) WITHOUT ROWID;

ALTER TABLE customers ADD COLUMN last_action_id TEXT;
