//! Backend-independent planning of writes. A store reads the rows a chunk touches, calls a
//! planner here to decide the new rows and each item's outcome, then writes the rows. The
//! decisions therefore cannot drift between SQLite and PostgreSQL.

use std::collections::{HashMap, HashSet};

use cv_domain::{Customer, CustomerId, CustomerPatch, CustomerRecord, Timestamp};

use crate::{Item, ItemError, ReportLine};

pub mod metadata_purge;
pub mod orders;
pub mod products;
pub mod vouchers;

/// What a chunk of customer items turns into.
#[derive(Debug, Default)]
pub struct CustomerPlan {
    /// Rows to write (insert or update by id), at most one per customer.
    pub rows: Vec<Customer>,
    /// One report line per item, in item order.
    pub lines: Vec<ReportLine>,
    /// Items written.
    pub done: u64,
    /// Items failed.
    pub failed: u64,
}

/// The source_ids a chunk needs to look up before planning, sorted and without repeats.
pub fn customer_keys(items: &[Item<CustomerPatch>]) -> Vec<String> {
    let mut keys: Vec<String> = items
        .iter()
        .filter_map(|item| match item {
            Item::Write(patch) => patch.source_id.clone(),
            Item::Failed { .. } => None,
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Applies `items` (numbered from `first_line`) on top of `existing` customers, keyed by
/// source_id. Items are applied in order, so a source_id repeated within the chunk sees the
/// earlier item's result.
pub fn plan_customers(
    existing: Vec<Customer>,
    items: Vec<Item<CustomerPatch>>,
    first_line: u64,
    now: Timestamp,
) -> CustomerPlan {
    let mut by_source: HashMap<String, Customer> =
        existing.into_iter().filter_map(|c| c.source_id.clone().map(|s| (s, c))).collect();
    let mut order: Vec<String> = Vec::new();
    let mut touched: HashSet<String> = HashSet::new();
    let mut plan = CustomerPlan::default();
    for (offset, item) in items.into_iter().enumerate() {
        let line = first_line + offset as u64;
        match item {
            Item::Failed { key, error } => {
                plan.failed += 1;
                plan.lines.push(ReportLine {
                    line,
                    key,
                    found: false,
                    updated: false,
                    error: Some(error),
                });
            }
            Item::Write(patch) => {
                let key = patch.source_id.clone().unwrap_or_default();
                let found = match by_source.get_mut(&key) {
                    Some(customer) => {
                        patch.apply(customer, now);
                        true
                    }
                    None => {
                        by_source.insert(key.clone(), patch.create(CustomerId::generate(), now));
                        false
                    }
                };
                if touched.insert(key.clone()) {
                    order.push(key.clone());
                }
                plan.done += 1;
                plan.lines.push(ReportLine { line, key, found, updated: true, error: None });
            }
        }
    }
    plan.rows = order.into_iter().filter_map(|k| by_source.remove(&k)).collect();
    plan
}

/// The rows of a customer-import chunk that the store tries to write, as indices into
/// `items`: the first row of each source_id. A later row with the same source_id is a
/// duplicate whatever the store does, so both backends decide it alike (see [`import_lines`]).
pub fn import_rows(items: &[Item<CustomerRecord>]) -> Vec<usize> {
    let mut seen = HashSet::with_capacity(items.len());
    items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| match item {
            Item::Write(c) if seen.insert(c.source_id.as_str()) => Some(i),
            Item::Write(_) | Item::Failed { .. } => None,
        })
        .collect()
}

/// The report lines of a customer-import chunk (numbered from `first_line`) once the store has
/// tried the [`import_rows`] `tried`: `written[k]` tells whether it wrote `items[tried[k]]`
/// (a row whose source_id an earlier chunk of this action imported is not written). Every
/// other row is a duplicate; returns the lines and how many duplicates the store moves from
/// done to failed.
pub fn import_lines(
    items: Vec<Item<CustomerRecord>>,
    tried: &[usize],
    written: &[bool],
    first_line: u64,
) -> (Vec<ReportLine>, i64) {
    let mut ok = vec![false; items.len()];
    for (&i, &w) in tried.iter().zip(written) {
        ok[i] = w;
    }
    let mut duplicates = 0i64;
    let lines = items
        .into_iter()
        .zip(ok)
        .enumerate()
        .map(|(offset, (item, ok))| {
            let line = first_line + offset as u64;
            let (key, error) = match item {
                Item::Failed { key, error } => (key, Some(error)),
                Item::Write(c) if ok => (c.source_id, None),
                Item::Write(c) => {
                    duplicates += 1;
                    let error = duplicate_row(&c.source_id);
                    (c.source_id, Some(error))
                }
            };
            let updated = error.is_none();
            ReportLine { line, key, found: false, updated, error }
        })
        .collect();
    (lines, duplicates)
}

/// The failure of an import row whose source_id an earlier row of the same file imported.
pub fn duplicate_row(source_id: &str) -> ItemError {
    ItemError {
        message: "Duplicated resource found".to_owned(),
        details: format!("source_id: '{source_id}' appears in an earlier row of this file"),
        key: "duplicate_found".to_owned(),
    }
}

/// The campaign a [`crate::FinishEffect::RecountCampaign`] leaves: `vouchers` as its count and,
/// for a generation, the generation status that goes with the action's `status`.
pub fn recount_campaign(
    mut campaign: cv_domain::Campaign,
    vouchers: u64,
    generation: bool,
    status: cv_domain::ActionStatus,
    now: Timestamp,
) -> cv_domain::Campaign {
    use cv_domain::campaign::GenerationStatus;
    campaign.vouchers_count = vouchers;
    if generation {
        campaign.generation_status = match status {
            cv_domain::ActionStatus::Done => GenerationStatus::Done,
            _ => GenerationStatus::Failed,
        };
    }
    campaign.updated_at = Some(now);
    campaign
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(source_id: &str) -> Item<CustomerRecord> {
        Item::Write(CustomerRecord { source_id: source_id.to_owned(), ..Default::default() })
    }

    #[test]
    fn the_first_row_of_a_source_id_is_written_and_every_other_is_a_duplicate() {
        let refused = ItemError {
            message: "Invalid row".to_owned(),
            details: "bad".to_owned(),
            key: "invalid_row".to_owned(),
        };
        let items = vec![row("a"), row("b"), row("a"), Item::failed("c", refused), row("d")];
        let tried = import_rows(&items);
        assert_eq!(tried, [0, 1, 4], "the first row of each source_id");
        // `b` was imported by an earlier chunk of the action, so the store did not write it.
        let (lines, duplicates) = import_lines(items, &tried, &[true, false, true], 10);
        let outcome: Vec<(u64, &str, Option<&str>)> = lines
            .iter()
            .map(|l| (l.line, l.key.as_str(), l.error.as_ref().map(|e| e.key.as_str())))
            .collect();
        assert_eq!(
            outcome,
            [
                (10, "a", None),
                (11, "b", Some("duplicate_found")),
                (12, "a", Some("duplicate_found")),
                (13, "c", Some("invalid_row")),
                (14, "d", None),
            ]
        );
        assert_eq!(duplicates, 2, "an item the action refused is not moved from done");
    }
}
