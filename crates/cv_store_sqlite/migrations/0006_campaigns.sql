-- Conveyor schema v6 (SQLite): campaigns. The whole campaign is JSON text in `body`; the
-- name (unique per project) and created_at are columns for lookups and ordering.

CREATE TABLE campaigns (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id),
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (project_id, name)
);
CREATE INDEX campaigns_by_project ON campaigns (project_id, created_at DESC, id DESC);
