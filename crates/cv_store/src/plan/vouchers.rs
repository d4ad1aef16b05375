//! Backend-independent planning of voucher writes: metadata merges by code (no upsert: a
//! missing code fails the item) and imports (create; an existing or repeated code fails,
//! unless the item updates existing codes, as the CSV import does). A store reads the
//! vouchers a chunk names, plans here, and writes the planned rows.

use std::collections::{HashMap, HashSet};

use cv_domain::{Timestamp, Voucher, VoucherId};

use crate::{ChunkItem, ItemError, ReportLine};

use super::products::misplaced;

/// What a chunk of voucher items turns into.
#[derive(Debug, Default)]
pub struct VoucherPlan {
    /// Rows to write (insert or update by id), at most one per voucher.
    pub rows: Vec<Voucher>,
    /// One report line per item, in item order.
    pub lines: Vec<ReportLine>,
    /// Items the action sent as writes that planning refused (a missing code, a duplicate
    /// code): the store moves them from done to failed.
    pub rejected: i64,
}

/// Whether a chunk holds voucher items.
pub fn is_voucher_chunk(items: &[ChunkItem]) -> bool {
    items
        .iter()
        .any(|i| matches!(i, ChunkItem::VoucherMetadata(_) | ChunkItem::VoucherImport { .. }))
}

/// The codes a voucher chunk needs to look up before planning, sorted and without repeats.
pub fn voucher_codes(items: &[ChunkItem]) -> Vec<String> {
    let mut codes: Vec<String> = items
        .iter()
        .filter_map(|item| match item {
            ChunkItem::VoucherMetadata(patch) => Some(patch.code.clone()),
            ChunkItem::VoucherImport { record, .. } => Some(record.code.clone()),
            _ => None,
        })
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// The failure of an item naming a code that does not exist.
pub fn voucher_not_found(code: &str) -> ItemError {
    ItemError {
        message: "Resource not found".to_owned(),
        details: format!("Cannot find voucher with id {code}"),
        key: "not_found".to_owned(),
    }
}

/// The failure of an import item whose code exists already (or an earlier item created).
pub fn duplicate_code(code: &str) -> ItemError {
    ItemError {
        message: "Duplicate codes".to_owned(),
        details: format!("Voucher with code {code} already exists"),
        key: "duplicate_key".to_owned(),
    }
}

fn line(line: u64, key: String, found: bool, error: Option<ItemError>) -> ReportLine {
    let updated = error.is_none();
    ReportLine { line, key, found, updated, error }
}

/// Applies voucher items (numbered from `first_line`) on top of the `existing` vouchers,
/// keyed by code. Items apply in order, so a code repeated within the chunk sees the earlier
/// item's result.
pub fn plan_vouchers(
    existing: Vec<Voucher>,
    items: Vec<ChunkItem>,
    first_line: u64,
    now: Timestamp,
) -> VoucherPlan {
    let mut by_code: HashMap<String, Voucher> =
        existing.into_iter().map(|v| (v.code.clone(), v)).collect();
    let mut order: Vec<String> = Vec::new();
    let mut touched: HashSet<String> = HashSet::new();
    let mut plan = VoucherPlan::default();
    for (offset, item) in items.into_iter().enumerate() {
        let at = first_line + offset as u64;
        let (code, found) = match item {
            ChunkItem::Failed { key, error } => {
                plan.lines.push(line(at, key, false, Some(error)));
                continue;
            }
            ChunkItem::VoucherMetadata(patch) => match by_code.get_mut(&patch.code) {
                Some(voucher) => {
                    voucher.metadata.extend(patch.metadata);
                    voucher.updated_at = Some(now);
                    (patch.code, true)
                }
                None => {
                    plan.rejected += 1;
                    let error = voucher_not_found(&patch.code);
                    plan.lines.push(line(at, patch.code, false, Some(error)));
                    continue;
                }
            },
            ChunkItem::VoucherImport { record, update } => {
                let code = record.code.clone();
                match by_code.get_mut(&code) {
                    Some(voucher) if update => {
                        record.apply(voucher, now);
                        (code, true)
                    }
                    Some(_) => {
                        plan.rejected += 1;
                        let error = duplicate_code(&code);
                        plan.lines.push(line(at, code, true, Some(error)));
                        continue;
                    }
                    None => {
                        by_code.insert(code.clone(), record.create(VoucherId::generate(), now));
                        (code, false)
                    }
                }
            }
            item @ (ChunkItem::Customer(_)
            | ChunkItem::CustomerImport(_)
            | ChunkItem::Product(_)
            | ChunkItem::ProductImport(_)
            | ChunkItem::SkuImport(_)
            | ChunkItem::MetadataKeyPurge { .. }
            | ChunkItem::OrderImport(_)) => {
                plan.rejected += 1;
                plan.lines.push(misplaced(at, &item, "voucher"));
                continue;
            }
        };
        if touched.insert(code.clone()) {
            order.push(code.clone());
        }
        plan.lines.push(line(at, code, found, None));
    }
    plan.rows = order.into_iter().filter_map(|k| by_code.remove(&k)).collect();
    plan
}
