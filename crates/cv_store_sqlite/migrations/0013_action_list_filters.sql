-- Conveyor schema (SQLite): the action list's extra filters (`status`, `type`).
-- A filtered page walks one of these newest first, as an unfiltered one walks
-- async_actions_by_project, instead of skipping the project's other actions one by one.

CREATE INDEX async_actions_by_status ON async_actions (project_id, status, created_at DESC, id DESC);
CREATE INDEX async_actions_by_kind ON async_actions (project_id, kind, created_at DESC, id DESC);
