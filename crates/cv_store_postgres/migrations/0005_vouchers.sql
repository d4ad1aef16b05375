-- Conveyor schema v5 (PostgreSQL): vouchers. The whole voucher is JSONB in `body`; the code
-- (unique per project), campaign and timestamps are columns for lookups and ordering.

CREATE TABLE vouchers (
    id          TEXT COLLATE "C" PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id),
    code        TEXT COLLATE "C" NOT NULL,
    campaign_id TEXT,
    body        JSONB NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT,
    UNIQUE (project_id, code)
);
CREATE INDEX vouchers_by_project ON vouchers (project_id, created_at DESC, id DESC);
CREATE INDEX vouchers_by_campaign ON vouchers (project_id, campaign_id, created_at DESC, id DESC);
