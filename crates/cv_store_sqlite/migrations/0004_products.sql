-- Conveyor schema v4 (SQLite): products and their SKUs. Prices are cents; attributes and
-- metadata are JSON text (a product's attributes an array of names, a SKU's an object of
-- values). SKUs go with their product.

CREATE TABLE products (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id),
    source_id   TEXT,
    name        TEXT,
    price       INTEGER,
    attributes  TEXT NOT NULL,
    image_url   TEXT,
    metadata    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER,
    UNIQUE (project_id, source_id)
);
CREATE INDEX products_by_project ON products (project_id, created_at DESC, id DESC);

CREATE TABLE skus (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id),
    product_id  TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    source_id   TEXT,
    sku         TEXT,
    price       INTEGER,
    currency    TEXT,
    attributes  TEXT NOT NULL,
    image_url   TEXT,
    metadata    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER,
    UNIQUE (project_id, source_id)
);
CREATE INDEX skus_by_product ON skus (product_id, created_at, id);
