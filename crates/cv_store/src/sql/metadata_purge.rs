//! Metadata-key purges: which table holds each resource's metadata ([`metadata_table`]), and
//! the SQL both backends share around the one part they cannot: how a JSON document is asked
//! whether it has a key. Each backend passes its own `has_key` expression (JSONB `?` on
//! PostgreSQL, `json_each` on SQLite); the removal itself is per backend too (JSONB `-` on
//! PostgreSQL, a read-modify-write planned by [`crate::plan::metadata_purge`] on SQLite).
//!
//! Holders are walked newest first along the `<table>_by_project` index
//! `(project_id, created_at DESC, id DESC)` that every such table has, with a keyset bound
//! rather than an offset: each chunk reads only the rows after the last one it saw.

use cv_domain::metadata_schema::MetadataResource;

/// Where one resource keeps its metadata. Adding a resource is adding a row to
/// [`metadata_table`]; its table needs `id`, `project_id` and `created_at` columns and an
/// index on `(project_id, created_at DESC, id DESC)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataTable {
    /// The table, one row per object.
    pub table: &'static str,
    /// Where in a row the metadata object is.
    pub layout: MetadataLayout,
}

/// Where a row keeps its metadata object and its last-change time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataLayout {
    /// A `metadata` JSON column, and an `updated_at` BIGINT column (customers, products).
    Column,
    /// The `metadata` field of the JSON `body` column, whose `updated_at` field is ISO 8601
    /// text (the object is stored whole); `updated_at_column` when the table also keeps
    /// `updated_at` as a BIGINT column (vouchers, not campaigns).
    Body {
        /// Whether there is an `updated_at` BIGINT column to set as well.
        updated_at_column: bool,
    },
}

/// The table of `resource`'s metadata.
pub fn metadata_table(resource: MetadataResource) -> MetadataTable {
    let (table, layout) = match resource {
        MetadataResource::Customer => ("customers", MetadataLayout::Column),
        MetadataResource::Product => ("products", MetadataLayout::Column),
        MetadataResource::Voucher => ("vouchers", MetadataLayout::Body { updated_at_column: true }),
        MetadataResource::Campaign => {
            ("campaigns", MetadataLayout::Body { updated_at_column: false })
        }
        MetadataResource::Order => ("orders", MetadataLayout::Body { updated_at_column: true }),
    };
    MetadataTable { table, layout }
}

/// The objects of a project whose metadata has a key, newest first, after a keyset bound.
/// `$1` project, `$2` and `$3` the `created_at` and id of the last object seen (exclusive;
/// `i64::MAX` and `''` to start), `$4` the key, `$5` limit. `has_key` is the dialect's test
/// of `$4` on the row's metadata. Returns `id, created_at`. (No casts on `$2`, `$3`: SQLite
/// uses a row-value bound for the index range only when both sides compare as the columns.)
pub fn select_holders(t: MetadataTable, has_key: &str) -> String {
    format!(
        "SELECT id, created_at FROM {table} \
         WHERE project_id = $1 AND (created_at, id) < ($2, $3) \
           AND {has_key} \
         ORDER BY created_at DESC, id DESC LIMIT $5",
        table = t.table
    )
}

/// How many objects of a project have a key in their metadata. `$1` project, `$2` the key;
/// `has_key` is the dialect's test of `$2`.
pub fn count_holders(t: MetadataTable, has_key: &str) -> String {
    format!("SELECT COUNT(*) FROM {} WHERE project_id = $1 AND {has_key}", t.table)
}
