//! Backend-independent planning of writes. A store reads the rows a chunk touches, calls a
//! planner here to decide the new rows and each item's outcome, then writes the rows. The
//! decisions therefore cannot drift between SQLite and PostgreSQL.

use std::collections::{HashMap, HashSet};

use cv_domain::{Customer, CustomerId, Timestamp};

use crate::{ChunkItem, ItemError, ReportLine};

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

/// The source_ids a chunk needs to look up before planning.
pub fn customer_keys(items: &[ChunkItem]) -> Vec<String> {
    let mut keys: Vec<String> = items
        .iter()
        .filter_map(|item| match item {
            ChunkItem::Customer(patch) => patch.source_id.clone(),
            ChunkItem::CustomerImport(_)
            | ChunkItem::Product(_)
            | ChunkItem::ProductImport(_)
            | ChunkItem::SkuImport(_)
            | ChunkItem::VoucherMetadata(_)
            | ChunkItem::VoucherImport { .. }
            | ChunkItem::MetadataKeyPurge { .. }
            | ChunkItem::OrderImport(_)
            | ChunkItem::Failed { .. } => None,
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
    items: Vec<ChunkItem>,
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
            ChunkItem::CustomerImport(record) => {
                // Imports never reach the merge planner; report it rather than drop it.
                plan.failed += 1;
                let error = ItemError {
                    message: "Internal error".to_owned(),
                    details: "an import row was planned as an update".to_owned(),
                    key: "internal_error".to_owned(),
                };
                plan.lines.push(ReportLine {
                    line,
                    key: record.source_id,
                    found: false,
                    updated: false,
                    error: Some(error),
                });
            }
            ChunkItem::Failed { key, error } => {
                plan.failed += 1;
                plan.lines.push(ReportLine {
                    line,
                    key,
                    found: false,
                    updated: false,
                    error: Some(error),
                });
            }
            item @ (ChunkItem::Product(_)
            | ChunkItem::ProductImport(_)
            | ChunkItem::SkuImport(_)
            | ChunkItem::VoucherMetadata(_)
            | ChunkItem::VoucherImport { .. }
            | ChunkItem::MetadataKeyPurge { .. }
            | ChunkItem::OrderImport(_)) => {
                plan.failed += 1;
                plan.lines.push(products::misplaced(line, &item, "customer"));
            }
            ChunkItem::Customer(patch) => {
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

/// Whether a chunk is a customer import (its rows create or replace profiles by source_id)
/// rather than a merge planned by [`plan_customers`].
pub fn is_import(items: &[ChunkItem]) -> bool {
    items.iter().any(|i| matches!(i, ChunkItem::CustomerImport(_)))
}

/// The failure of an import row whose source_id an earlier row of the same file imported.
pub fn duplicate_row(source_id: &str) -> ItemError {
    ItemError {
        message: "Duplicated resource found".to_owned(),
        details: format!("source_id: '{source_id}' appears in an earlier row of this file"),
        key: "duplicate_found".to_owned(),
    }
}
