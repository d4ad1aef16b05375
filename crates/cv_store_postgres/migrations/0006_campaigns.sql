-- Conveyor schema v6 (PostgreSQL): campaigns. The whole campaign is JSONB in `body`; the
-- name (unique per project) and created_at are columns for lookups and ordering.

CREATE TABLE campaigns (
    id          TEXT COLLATE "C" PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id),
    name        TEXT COLLATE "C" NOT NULL,
    body        JSONB NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (project_id, name)
);
CREATE INDEX campaigns_by_project ON campaigns (project_id, created_at DESC, id DESC);
