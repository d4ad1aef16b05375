-- Conveyor schema v5 (SQLite): vouchers. The whole voucher is JSON text in `body`; the code
-- (unique per project), campaign and timestamps are columns for lookups and ordering.

CREATE TABLE vouchers (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id),
    code        TEXT NOT NULL,
    campaign_id TEXT,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER,
    UNIQUE (project_id, code)
);
CREATE INDEX vouchers_by_project ON vouchers (project_id, created_at DESC, id DESC);
CREATE INDEX vouchers_by_campaign ON vouchers (project_id, campaign_id, created_at DESC, id DESC);
