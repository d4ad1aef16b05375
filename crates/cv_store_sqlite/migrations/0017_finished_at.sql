-- Conveyor schema: when an action finished, in a column of its own. Retention reads it; before,
-- it read `updated_at` through an index, and since every chunk commit moves `updated_at`,
-- that index made PostgreSQL write a new entry into every index of the table for each chunk
-- (no heap-only update is possible while an indexed column changes).

ALTER TABLE async_actions ADD COLUMN finished_at BIGINT;
UPDATE async_actions SET finished_at = updated_at WHERE status IN ('DONE', 'FAILED');
DROP INDEX async_actions_finished;
CREATE INDEX async_actions_finished ON async_actions (finished_at) WHERE finished_at IS NOT NULL;
