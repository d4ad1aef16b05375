//! The CSV imports without a store: what an import of each type makes of a file, read from
//! parts held in memory by the same reader and row mappers the actions use on stored parts.
//! For checking files outside a running action (the fuzz targets' properties, tests).
//!
//! What needs the store is left out: the project's metadata schema is passed in (absent:
//! metadata values are strings), and a campaign import treats every code as new (the action
//! looks existing codes up before it writes).

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

use cv_domain::{
    Campaign, CustomerRecord, ProductRecord, SkuRecord, VoucherRecord,
    metadata_schema::MetadataSchema,
};
use cv_engine::ActionError;
use cv_store::Item;

use crate::{
    campaign_vouchers_import_csv, csv_import,
    csv_source::{self, PartReader},
    customers_import_csv, products_import_csv, skus_import_csv, vouchers_import_csv,
};

/// Which CSV import reads the file.
#[derive(Debug, Clone)]
pub enum CsvImport {
    /// `CUSTOMERS.IMPORT_CSV`.
    Customers,
    /// `PRODUCTS.IMPORT_CSV`.
    Products,
    /// `SKUS.IMPORT_CSV`.
    Skus,
    /// `VOUCHERS.IMPORT_CSV`.
    Vouchers,
    /// `CAMPAIGN.VOUCHERS_IMPORT_CSV` into this campaign.
    CampaignVouchers(Box<Campaign>),
}

/// How the file is read: in batches of `batch_rows` rows (at least 1), each by the reader of
/// the batch before (one claim) or by a freshly opened one that skips the rows already read
/// (a claim that resumes an action at its cursor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadPlan {
    /// Rows per batch (the engine's chunk size).
    pub batch_rows: usize,
    /// Whether every batch reopens the file and skips to its first row.
    pub reopen_each_batch: bool,
}

/// What an import writes for one row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowWrite {
    /// A customer (`CUSTOMERS.IMPORT_CSV`).
    Customer(CustomerRecord),
    /// A product (`PRODUCTS.IMPORT_CSV`).
    Product(ProductRecord),
    /// A SKU (`SKUS.IMPORT_CSV`).
    Sku(SkuRecord),
    /// A voucher (`VOUCHERS.IMPORT_CSV`, `CAMPAIGN.VOUCHERS_IMPORT_CSV`).
    Voucher(VoucherRecord),
}

/// What an import makes of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvPreview {
    /// The header cells as the mappers see them (trimmed of whitespace and byte-order marks).
    pub headers: Vec<String>,
    /// One item per data row, in file order: row `n` (1-based, as `result.failed[].row`
    /// shows it) is `items[n - 1]`; a row that cannot be imported is a
    /// [`Item::Failed`] with its reason.
    pub items: Vec<Item<RowWrite>>,
}

/// Reads the file stored as `parts` the way an import of `import` reads it, following `plan`.
pub fn preview(
    import: &CsvImport,
    schema: Option<MetadataSchema>,
    parts: &[Vec<u8>],
    plan: ReadPlan,
) -> Result<CsvPreview, ActionError> {
    let mut reader = open(parts);
    let headers = csv_source::read_headers(&mut reader)?;
    let width = headers.len();
    let mapper = Mapper::new(import, &headers, schema);
    let batch = plan.batch_rows.max(1);
    let (mut items, mut position) = (Vec::new(), 0u64);
    loop {
        if plan.reopen_each_batch {
            reader = open(parts);
            csv_source::read_headers(&mut reader)?;
            position = 0;
        }
        let from = items.len() as u64;
        let (rows, at) = csv_source::read_batch(&mut reader, width, position, from, batch)?;
        position = at;
        let read = rows.len();
        items.extend(rows.into_iter().map(|row| mapper.item(&headers, row)));
        if read < batch {
            return Ok(CsvPreview { headers, items });
        }
    }
}

fn open(parts: &[Vec<u8>]) -> csv::Reader<PartReader> {
    let parts = parts.to_vec();
    let count = u32::try_from(parts.len()).unwrap_or(u32::MAX);
    csv_source::open_reader(PartReader::new(
        count,
        Box::new(move |index| Ok(parts.get(index as usize).cloned())),
    ))
}

/// The row mapper of each import type.
enum Mapper {
    Customers(customers_import_csv::Mapper),
    Products(products_import_csv::Mapper),
    Skus(skus_import_csv::Mapper),
    Vouchers(vouchers_import_csv::Mapper),
    CampaignVouchers(Box<campaign_vouchers_import_csv::Mapper>),
}

impl Mapper {
    fn new(import: &CsvImport, headers: &[String], schema: Option<MetadataSchema>) -> Self {
        match import {
            CsvImport::Customers => Self::Customers(customers_import_csv::mapper(headers, schema)),
            CsvImport::Products => Self::Products(products_import_csv::mapper(headers, schema)),
            CsvImport::Skus => Self::Skus(skus_import_csv::mapper(headers)),
            CsvImport::Vouchers => Self::Vouchers(vouchers_import_csv::mapper(headers, schema)),
            CsvImport::CampaignVouchers(campaign) => {
                let no_active = Arc::new(Mutex::new(HashSet::new()));
                Self::CampaignVouchers(Box::new(campaign_vouchers_import_csv::mapper(
                    headers,
                    Campaign::clone(campaign),
                    schema,
                    no_active,
                )))
            }
        }
    }

    fn item(&self, headers: &[String], row: csv_source::Row) -> Item<RowWrite> {
        fn into<T>(item: Item<T>, write: fn(T) -> RowWrite) -> Item<RowWrite> {
            match item {
                Item::Write(w) => Item::Write(write(w)),
                Item::Failed { key, error } => Item::Failed { key, error },
            }
        }
        match self {
            Self::Customers(m) => into(csv_import::item(m, headers, row), RowWrite::Customer),
            Self::Products(m) => into(csv_import::item(m, headers, row), RowWrite::Product),
            Self::Skus(m) => into(csv_import::item(m, headers, row), RowWrite::Sku),
            Self::Vouchers(m) => into(csv_import::item(m, headers, row), RowWrite::Voucher),
            Self::CampaignVouchers(m) => {
                into(csv_import::item(m.as_ref(), headers, row), RowWrite::Voucher)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(parts: &[&[u8]]) -> (Vec<String>, usize) {
        let parts: Vec<Vec<u8>> = parts.iter().map(|p| p.to_vec()).collect();
        let plan = ReadPlan { batch_rows: 2, reopen_each_batch: true };
        let read = preview(&CsvImport::Customers, None, &parts, plan).expect("a file in memory");
        (read.headers, read.items.len())
    }

    /// Regression (fuzz corpus `csv_import/regression-two-marks-part-boundary`): a part that
    /// ended right after a second byte-order mark used to reach the CSV parser alone, which
    /// stripped it and took the empty rest for the end of the file: no rows.
    #[test]
    fn byte_order_marks_are_dropped_whatever_the_parts() {
        let expected = (vec!["name".to_owned(), "source_id".to_owned()], 3);
        let file = &b"\xEF\xBB\xBF\xEF\xBB\xBFname,source_id\na,1\nb,2\n\"c\nd\",3"[..];
        assert_eq!(rows(&[&file[..6], &file[6..]]), expected);
        for size in 1..=8 {
            let parts: Vec<&[u8]> = file.chunks(size).collect();
            assert_eq!(rows(&parts), expected, "parts of {size}");
        }
    }

    /// Regression (fuzz corpus `csv_import/regression-mark-inside-header-cell`): a mark after
    /// a header cell's leading spaces stayed in the trimmed name, so the column was not
    /// recognised.
    #[test]
    fn header_cells_are_trimmed_of_marks_and_whitespace() {
        let file = &b"  \xEF\xBB\xBFname , \xEF\xBB\xBFsource_id\xEF\xBB\xBF\na,1\n"[..];
        let expected = (vec!["name".to_owned(), "source_id".to_owned()], 1);
        assert_eq!(rows(&[file]), expected);
    }
}
