-- Conveyor schema v4 (PostgreSQL): products and their SKUs. Prices are cents; attributes and
-- metadata are JSONB (a product's attributes an array of names, a SKU's an object of
-- values). SKUs go with their product.

CREATE TABLE products (
    id          TEXT COLLATE "C" PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id),
    source_id   TEXT,
    name        TEXT,
    price       BIGINT,
    attributes  JSONB NOT NULL,
    image_url   TEXT,
    metadata    JSONB NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT,
    UNIQUE (project_id, source_id)
);
CREATE INDEX products_by_project ON products (project_id, created_at DESC, id DESC);

CREATE TABLE skus (
    id          TEXT COLLATE "C" PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id),
    product_id  TEXT COLLATE "C" NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    source_id   TEXT,
    sku         TEXT,
    price       BIGINT,
    currency    TEXT,
    attributes  JSONB NOT NULL,
    image_url   TEXT,
    metadata    JSONB NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT,
    UNIQUE (project_id, source_id)
);
CREATE INDEX skus_by_product ON skus (product_id, created_at, id);
