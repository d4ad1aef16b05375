-- Conveyor schema v3: metadata schemas, one per project and resource. The definition is the
-- schema's JSON (properties and allow_defined_only), as text.

CREATE TABLE metadata_schemas (
    id              TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL REFERENCES projects (id),
    related_object  TEXT NOT NULL CHECK (related_object IN ('campaign', 'customer', 'order', 'product', 'voucher')),
    definition      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT,
    UNIQUE (project_id, related_object)
);
