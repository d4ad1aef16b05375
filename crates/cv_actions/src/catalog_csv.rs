//! Cells the product and SKU CSV imports share: prices in major units (Decision 9) and the
//! failure of a row.

use cv_domain::product::cents_from_major_units;
use cv_store::{ChunkItem, ItemError};

/// A price cell in major units as cents, or the row's failure reason.
pub fn price(cell: &str) -> Result<i64, String> {
    cents_from_major_units(cell)
        .ok_or_else(|| format!("price: must be a number (actual value is '{cell}')"))
}

/// The chunk item of a row that cannot be imported: `key` is its source_id (possibly empty),
/// `reason` the text `result.failed[].reason` shows.
pub fn failed(key: String, reason: String) -> ChunkItem {
    ChunkItem::Failed {
        key,
        error: ItemError {
            message: "Invalid row".to_owned(),
            details: reason,
            key: "invalid_row".to_owned(),
        },
    }
}
