//! Target `csv_import`: the CSV imports from upload to rows. A file streams into the upload
//! scan (`cv_api::CsvScan`: byte-order mark, header check, record count, row limit) in
//! pieces, as a multipart body arrives; an accepted file is read back from its parts by an
//! import's reader and row mapper (`cv_actions::csv_preview`), in batches as the engine's
//! chunks read it.
//!
//! Input: a selector byte choosing the import ([`IMPORTS`], `a` the first; the second seven
//! type metadata through a schema), a plan byte (bits 0–3: the upload's piece size, 1–16
//! bytes; bits 4–6: rows per batch, 1–8; bit 7: every batch reopens the file, as a resumed
//! claim does), then the file.
//!
//! Properties: the scan's verdict does not depend on how the file is split; the row limit
//! refuses exactly the files with more rows; an accepted file's import reads exactly the rows
//! the scan counted (the action's progress total, and the range of `result.failed[].row`),
//! with the same items whatever the parts and batches; headers carry no byte-order mark; a
//! failed row says why.

use std::sync::LazyLock;

use cv_actions::csv_preview::{self, CsvImport, CsvPreview, ReadPlan};
use cv_api::{CsvScan, wire::metadata_schema};
use cv_domain::{
    Campaign, Timestamp,
    metadata_schema::{MetadataResource, MetadataSchema},
};
use cv_store::Item;
use serde_json::json;

use crate::shape::assert_voucherify_error;

/// The imports, in selector order, with the resource whose metadata schema types their
/// metadata columns (when the selector asks for one).
pub const IMPORTS: [(&str, Option<MetadataResource>); 7] = [
    ("CUSTOMERS.IMPORT_CSV", Some(MetadataResource::Customer)),
    ("PRODUCTS.IMPORT_CSV", Some(MetadataResource::Product)),
    ("SKUS.IMPORT_CSV", None),
    ("VOUCHERS.IMPORT_CSV", Some(MetadataResource::Voucher)),
    ("CAMPAIGN.VOUCHERS_IMPORT_CSV (discount)", Some(MetadataResource::Voucher)),
    ("CAMPAIGN.VOUCHERS_IMPORT_CSV (gift)", Some(MetadataResource::Voucher)),
    ("CAMPAIGN.VOUCHERS_IMPORT_CSV (loyalty)", Some(MetadataResource::Voucher)),
];

/// Checks the upload and the import of the file in `data`.
pub fn check(data: &[u8]) {
    let [selector, plan, file @ ..] = data else { return };
    let choice = crate::select(*selector, IMPORTS.len() * 2);
    let (_, resource) = IMPORTS[choice % IMPORTS.len()];
    let schema = resource.filter(|_| choice >= IMPORTS.len()).map(typed_schema);
    let piece = usize::from(plan & 0x0f) + 1;
    let plan = ReadPlan {
        batch_rows: usize::from((plan >> 4) & 0x07) + 1,
        reopen_each_batch: plan & 0x80 != 0,
    };

    let whole = scan(&[file]);
    let pieces: Vec<&[u8]> = file.chunks(piece).flat_map(|p| [p, &[][..]]).collect();
    let split = scan(&pieces);
    assert_eq!(split.records(), whole.records(), "the count depends on the split");
    let rows = match (whole.verdict(0), split.verdict(0)) {
        (Ok(rows), Ok(split_rows)) => {
            assert_eq!(rows, split_rows);
            rows
        }
        (Err(err), Err(split_err)) => {
            assert_eq!(err.to_string(), split_err.to_string());
            return assert_voucherify_error(&err, 400, &["invalid_payload"]);
        }
        (whole, split) => panic!("the verdict depends on the split: {whole:?} / {split:?}"),
    };
    assert_eq!(whole.verdict(rows).ok(), Some(rows), "the row limit refused {rows} rows");
    if rows > 1 {
        // (A limit of 0 is no limit.)
        let err = whole.verdict(rows - 1).expect_err("a file over the row limit was accepted");
        assert_voucherify_error(&err, 400, &["invalid_payload"]);
    }

    let import = import(choice % IMPORTS.len());
    let parts: Vec<Vec<u8>> = file.chunks(piece * 3).map(<[u8]>::to_vec).collect();
    let read = csv_preview::preview(&import, schema.clone(), &parts, plan)
        .expect("an accepted file reads");
    assert_eq!(read.items.len() as u64, rows, "the import reads other rows than were counted");
    for header in &read.headers {
        let ends = [header.chars().next(), header.chars().next_back()];
        let untrimmed = ends.into_iter().flatten().any(|c| c.is_whitespace() || c == '\u{feff}');
        assert!(!untrimmed, "header {header:?} keeps whitespace or a byte-order mark");
    }
    let at_once = ReadPlan { batch_rows: usize::MAX, reopen_each_batch: false };
    let reference = csv_preview::preview(&import, schema, &[file.to_vec()], at_once)
        .expect("an accepted file reads");
    assert_eq!(read, reference, "the rows depend on the parts or the batches");
    check_items(&read);
}

fn scan(pieces: &[&[u8]]) -> CsvScan {
    let mut scan = CsvScan::new();
    for piece in pieces {
        scan.feed(piece);
    }
    scan.finish();
    scan
}

fn check_items(read: &CsvPreview) {
    for (i, item) in read.items.iter().enumerate() {
        if let Item::Failed { error, .. } = item {
            assert!(!error.details.is_empty(), "row {} failed without a reason", i + 1);
        }
    }
}

fn import(index: usize) -> CsvImport {
    match index {
        0 => CsvImport::Customers,
        1 => CsvImport::Products,
        2 => CsvImport::Skus,
        3 => CsvImport::Vouchers,
        n => CsvImport::CampaignVouchers(Box::new(CAMPAIGNS[n - 4].clone())),
    }
}

/// A schema typing the metadata columns `region` (one of two strings), `vip` (boolean),
/// `score` (number), `joined` (date), `seen` (date-time) and `tags` (array of strings), made
/// by the API's own parser.
fn typed_schema(resource: MetadataResource) -> MetadataSchema {
    let body = json!({"properties": {
        "region": {"type": "string", "eq": ["EU", "US"]},
        "vip": {"type": "boolean"},
        "score": {"type": "number"},
        "joined": {"type": "date"},
        "tags": {"type": "string", "array": true, "max_length": 8},
        "seen": {"type": "datetime", "optional": true},
    }});
    metadata_schema::parse_schema(&body, resource).expect("the fixture schema parses")
}

/// A discount, a gift and a loyalty campaign.
static CAMPAIGNS: LazyLock<[Campaign; 3]> = LazyLock::new(|| {
    let now = Timestamp::from_millis(1_700_000_000_000);
    let make = |body| {
        cv_api::wire::campaign::create(&body, now).expect("a fixture campaign parses").campaign
    };
    [
        make(json!({"name": "Discounts", "voucher": {"type": "DISCOUNT_VOUCHER",
            "discount": {"type": "AMOUNT", "amount_off": 1000}}})),
        make(json!({"name": "Gifts", "voucher": {"type": "GIFT_VOUCHER",
            "gift": {"amount": 5000}}})),
        make(json!({"name": "Points", "voucher": {"type": "LOYALTY_CARD",
            "loyalty_card": {"points": 100}}})),
    ]
});
