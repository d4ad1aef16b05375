//! Backend-independent planning of voucher writes: metadata merges by code (no upsert: a
//! missing code fails the item) and imports (create; an existing or repeated code fails,
//! unless the item updates existing codes, as the CSV import does). A store reads the
//! vouchers a chunk names, plans here, and writes the planned rows.

use std::collections::{HashMap, HashSet};

use cv_domain::{Timestamp, Voucher, VoucherId, VoucherRecord, voucher::VoucherMetadataPatch};

use crate::{Item, ItemError, ReportLine, VoucherWrites};

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

/// The codes a voucher chunk needs to look up before planning, sorted and without repeats.
pub fn voucher_codes(writes: &VoucherWrites) -> Vec<String> {
    fn codes<T>(items: &[Item<T>], code: impl Fn(&T) -> &String) -> Vec<String> {
        items
            .iter()
            .filter_map(|item| match item {
                Item::Write(w) => Some(code(w).clone()),
                Item::Failed { .. } => None,
            })
            .collect()
    }
    let mut codes = match writes {
        VoucherWrites::Metadata(items) => codes(items, |p: &VoucherMetadataPatch| &p.code),
        VoucherWrites::Import { items, .. } => codes(items, |r: &VoucherRecord| &r.code),
    };
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

/// A voucher write, as the planner applies it to the voucher with its code.
trait VoucherWrite {
    fn code(&self) -> &str;
    /// Applies the write to `existing` (the voucher with its code, if any): the voucher it
    /// creates, `None` after changing `existing` in place, or why it is refused.
    fn apply(
        self,
        existing: Option<&mut Voucher>,
        update: bool,
        now: Timestamp,
    ) -> Result<Option<Voucher>, ItemError>;
}

impl VoucherWrite for VoucherMetadataPatch {
    fn code(&self) -> &str {
        &self.code
    }

    fn apply(
        self,
        existing: Option<&mut Voucher>,
        _update: bool,
        now: Timestamp,
    ) -> Result<Option<Voucher>, ItemError> {
        let voucher = existing.ok_or_else(|| voucher_not_found(&self.code))?;
        voucher.metadata.extend(self.metadata);
        voucher.updated_at = Some(now);
        Ok(None)
    }
}

impl VoucherWrite for VoucherRecord {
    fn code(&self) -> &str {
        &self.code
    }

    fn apply(
        self,
        existing: Option<&mut Voucher>,
        update: bool,
        now: Timestamp,
    ) -> Result<Option<Voucher>, ItemError> {
        match existing {
            Some(voucher) if update => {
                self.apply(voucher, now);
                Ok(None)
            }
            Some(_) => Err(duplicate_code(&self.code)),
            None => Ok(Some(self.create(VoucherId::generate(), now))),
        }
    }
}

/// Applies voucher writes (numbered from `first_line`) on top of the `existing` vouchers,
/// keyed by code. Items apply in order, so a code repeated within the chunk sees the earlier
/// item's result.
pub fn plan_vouchers(
    existing: Vec<Voucher>,
    writes: VoucherWrites,
    first_line: u64,
    now: Timestamp,
) -> VoucherPlan {
    match writes {
        VoucherWrites::Metadata(items) => plan_items(existing, items, false, first_line, now),
        VoucherWrites::Import { update, items } => {
            plan_items(existing, items, update, first_line, now)
        }
    }
}

fn plan_items<W: VoucherWrite>(
    existing: Vec<Voucher>,
    items: Vec<Item<W>>,
    update: bool,
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
        let write = match item {
            Item::Failed { key, error } => {
                plan.lines.push(line(at, key, false, Some(error)));
                continue;
            }
            Item::Write(write) => write,
        };
        let code = write.code().to_owned();
        let existing = by_code.get_mut(&code);
        let found = existing.is_some();
        match write.apply(existing, update, now) {
            Ok(created) => {
                if let Some(voucher) = created {
                    by_code.insert(code.clone(), voucher);
                }
                if touched.insert(code.clone()) {
                    order.push(code.clone());
                }
                plan.lines.push(line(at, code, found, None));
            }
            Err(error) => {
                plan.rejected += 1;
                plan.lines.push(line(at, code, found, Some(error)));
            }
        }
    }
    plan.rows = order.into_iter().filter_map(|k| by_code.remove(&k)).collect();
    plan
}
