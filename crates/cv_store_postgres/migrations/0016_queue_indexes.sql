-- Conveyor schema: the queue's index holds only ENQUEUED actions; a claim takes an action out
-- of it. IN_PROGRESS actions whose holder stopped renewing its lease are found by the lease's
-- end. One index over both statuses took each claimed action in again at the head of the
-- queue, where the next claim starts; on PostgreSQL the entries of finished actions piled
-- up there faster than they were cleaned (see `runnable_arms!` in cv_store::sql).

DROP INDEX async_actions_runnable;
CREATE INDEX async_actions_queue ON async_actions (queued_at, id) WHERE status = 'ENQUEUED';
CREATE INDEX async_actions_leases ON async_actions (lease_expires_at) WHERE status = 'IN_PROGRESS';
