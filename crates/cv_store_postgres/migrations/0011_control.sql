-- Conveyor schema (PostgreSQL): control of running actions and maintenance.
-- `cancel_requested_at` is set by a cancel request for an action a worker holds; the worker
-- ends the action at its next chunk boundary. `maintenance_leases` lets one node at a time
-- run a maintenance task (retention), with a lease like an action's.

ALTER TABLE async_actions ADD COLUMN cancel_requested_at BIGINT;

CREATE TABLE maintenance_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);

CREATE INDEX async_actions_finished ON async_actions (updated_at)
    WHERE status IN ('DONE', 'FAILED');
