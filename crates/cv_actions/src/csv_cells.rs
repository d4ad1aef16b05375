//! Cells the CSV imports share. Each parser names its column in the failure reason the row
//! reports: `<column>: must be <what> (actual value is '<cell>')`.

use cv_domain::{Timestamp, product::cents_from_major_units, voucher::Gift};
use serde_json::Number;

/// The reason a cell of column `name` is not `what`.
pub fn not_a(name: &str, what: &str, cell: &str) -> String {
    format!("{name}: must be {what} (actual value is '{cell}')")
}

/// A gift card of `amount` cents with `redeemed` cents spent, unless the balance overflows.
pub fn gift(amount: i64, redeemed: Option<i64>) -> Result<Gift, String> {
    Gift::with_redeemed(amount, redeemed.unwrap_or(0)).ok_or_else(|| {
        "Redeemed Amount: the balance (the amount less the redeemed amount) is out of range"
            .to_owned()
    })
}

/// An amount cell in major units (`25` is 2500) as cents (Decision 9).
pub fn cents(name: &str, cell: &str) -> Result<i64, String> {
    cents_from_major_units(cell).ok_or_else(|| not_a(name, "a number", cell))
}

/// A whole-number cell.
pub fn integer(name: &str, cell: &str) -> Result<i64, String> {
    cell.parse().map_err(|_| not_a(name, "an integer", cell))
}

/// A number cell, kept as written.
pub fn number(name: &str, cell: &str) -> Result<Number, String> {
    cell.parse::<Number>().map_err(|_| not_a(name, "a number", cell))
}

/// A date cell in any ISO 8601 form, `None` when the row leaves it empty.
pub fn date(name: &str, cell: Option<String>) -> Result<Option<Timestamp>, String> {
    cell.map(|c| Timestamp::parse(&c).map_err(|_| not_a(name, "an ISO 8601 date", &c))).transpose()
}

/// The Active cell: `TRUE`/`FALSE` in any case, `None` when empty.
pub fn active(cell: Option<&str>) -> Result<Option<bool>, String> {
    match cell.map(str::to_ascii_uppercase).as_deref() {
        None => Ok(None),
        Some("TRUE") => Ok(Some(true)),
        Some("FALSE") => Ok(Some(false)),
        Some(other) => Err(not_a("Active", "TRUE or FALSE", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_takes_true_or_false_in_any_case() {
        assert_eq!(active(Some("false")), Ok(Some(false)));
        assert_eq!(active(Some("True")), Ok(Some(true)));
        assert_eq!(active(None), Ok(None));
        assert_eq!(
            active(Some("yes")).err().as_deref(),
            Some("Active: must be TRUE or FALSE (actual value is 'YES')")
        );
    }
}
