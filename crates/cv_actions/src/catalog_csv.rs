//! Cells the catalog CSV imports share: prices in major units (Decision 9).

use cv_domain::product::cents_from_major_units;

/// A price cell in major units as cents, or the row's failure reason.
pub fn price(cell: &str) -> Result<i64, String> {
    cents_from_major_units(cell)
        .ok_or_else(|| format!("price: must be a number (actual value is '{cell}')"))
}
