//! The product and SKU SQL both backends run as written (`$N` placeholders, rewritten to
//! `?N` on SQLite). Lookups of a chunk's keys take a list parameter, which each backend
//! writes in its own dialect.

macro_rules! product_columns {
    () => {
        "id, source_id, name, price, attributes, image_url, metadata, created_at, updated_at"
    };
}

macro_rules! sku_columns {
    () => {
        "id, source_id, product_id, sku, price, currency, attributes, image_url, metadata, \
         created_at, updated_at"
    };
}

/// The columns of a product, in decoding order.
pub const PRODUCT_COLUMNS: &str = product_columns!();

/// The columns of a SKU, in decoding order.
pub const SKU_COLUMNS: &str = sku_columns!();

/// Insert or overwrite one fully planned product row. `$1` id, `$2` project, `$3` source_id,
/// `$4` name, `$5` price, `$6` attributes, `$7` image_url, `$8` metadata, `$9` created_at,
/// `$10` updated_at.
pub const UPSERT_PRODUCT: &str = "INSERT INTO products \
     (id, project_id, source_id, name, price, attributes, image_url, metadata, created_at, \
      updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     ON CONFLICT (id) DO UPDATE SET source_id = excluded.source_id, name = excluded.name, \
       price = excluded.price, attributes = excluded.attributes, \
       image_url = excluded.image_url, metadata = excluded.metadata, \
       updated_at = excluded.updated_at";

/// `$1` project, `$2` id or source_id; the id wins when both match.
pub const SELECT_PRODUCT: &str = concat!(
    "SELECT ",
    product_columns!(),
    " FROM products WHERE project_id = $1 AND (id = $2 OR source_id = $2) \
      ORDER BY CASE WHEN id = $2 THEN 0 ELSE 1 END LIMIT 1",
);

/// `$1` project, `$2` id.
pub const SELECT_PRODUCT_BY_ID: &str =
    concat!("SELECT ", product_columns!(), " FROM products WHERE project_id = $1 AND id = $2");

/// `$1` project, `$2` limit, `$3` offset. Newest first.
pub const SELECT_PRODUCT_PAGE: &str = concat!(
    "SELECT ",
    product_columns!(),
    " FROM products WHERE project_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
);

/// The SKUs of the products [`SELECT_PRODUCT_PAGE`] returns for the same parameters (`$1`
/// project, `$2` limit, `$3` offset), oldest first.
pub const SELECT_PRODUCT_PAGE_SKUS: &str = concat!(
    "SELECT ",
    sku_columns!(),
    " FROM skus WHERE project_id = $1 AND product_id IN (SELECT id FROM products \
        WHERE project_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3) \
      ORDER BY created_at, id",
);

/// `$1` project.
pub const COUNT_PRODUCTS: &str = "SELECT COUNT(*) FROM products WHERE project_id = $1";

/// `$1` project, `$2` product id. Run before [`DELETE_PRODUCT`].
pub const DELETE_PRODUCT_SKUS: &str = "DELETE FROM skus WHERE project_id = $1 AND product_id = $2";

/// `$1` project, `$2` id.
pub const DELETE_PRODUCT: &str = "DELETE FROM products WHERE project_id = $1 AND id = $2";

/// Insert or overwrite one fully planned SKU row. `$1` id, `$2` project, `$3` product id,
/// `$4` source_id, `$5` sku, `$6` price, `$7` currency, `$8` attributes, `$9` image_url,
/// `$10` metadata, `$11` created_at, `$12` updated_at.
pub const UPSERT_SKU: &str = "INSERT INTO skus \
     (id, project_id, product_id, source_id, sku, price, currency, attributes, image_url, \
      metadata, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
     ON CONFLICT (id) DO UPDATE SET source_id = excluded.source_id, sku = excluded.sku, \
       price = excluded.price, currency = excluded.currency, \
       attributes = excluded.attributes, image_url = excluded.image_url, \
       metadata = excluded.metadata, updated_at = excluded.updated_at";

/// `$1` project, `$2` id or source_id; the id wins when both match.
pub const SELECT_SKU: &str = concat!(
    "SELECT ",
    sku_columns!(),
    " FROM skus WHERE project_id = $1 AND (id = $2 OR source_id = $2) \
      ORDER BY CASE WHEN id = $2 THEN 0 ELSE 1 END LIMIT 1",
);

/// `$1` project, `$2` source_id.
pub const SELECT_SKU_BY_SOURCE: &str =
    concat!("SELECT ", sku_columns!(), " FROM skus WHERE project_id = $1 AND source_id = $2");

/// `$1` project, `$2` product id, `$3` limit, `$4` offset. Oldest first.
pub const SELECT_SKU_PAGE: &str = concat!(
    "SELECT ",
    sku_columns!(),
    " FROM skus WHERE project_id = $1 AND product_id = $2 ORDER BY created_at, id \
      LIMIT $3 OFFSET $4",
);

/// `$1` project, `$2` product id.
pub const COUNT_SKUS: &str = "SELECT COUNT(*) FROM skus WHERE project_id = $1 AND product_id = $2";
