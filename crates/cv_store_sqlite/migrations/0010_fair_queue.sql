-- Conveyor schema (SQLite): the claim order. `queued_at` is an action's place in the queue:
-- its creation time, or, when its project already has actions waiting, just behind the last
-- of them (see `queue_place!` in cv_store::sql); an action that gives its worker up after a slice
-- goes behind its project's queue again. Claims take the smallest `queued_at`, so projects
-- interleave and a long action's slices take turns with the actions that arrived meanwhile.

ALTER TABLE async_actions ADD COLUMN queued_at INTEGER NOT NULL DEFAULT 0;
UPDATE async_actions SET queued_at = created_at;

DROP INDEX async_actions_runnable;
CREATE INDEX async_actions_runnable ON async_actions (queued_at, id)
    WHERE status IN ('ENQUEUED', 'IN_PROGRESS');
CREATE INDEX async_actions_project_queue ON async_actions (project_id, queued_at)
    WHERE status IN ('ENQUEUED', 'IN_PROGRESS');
