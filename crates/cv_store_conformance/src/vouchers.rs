//! Vouchers: imports (create; existing or repeated codes fail unless the import updates),
//! metadata merges without upsert, reads, and project isolation.

use std::sync::Arc;

use cv_domain::{
    Metadata, VoucherRecord,
    voucher::{Discount, DiscountType, Gift, VoucherMetadataPatch, VoucherType},
};
use serde_json::json;

use cv_store::{ChunkCommit, ChunkWrites, CommitMode, Item, ReportMode, Store, VoucherWrites};

use super::{LEASE, enqueue, project, t};

fn meta(v: serde_json::Value) -> Metadata {
    v.as_object().cloned().unwrap_or_default()
}

fn amount(code: &str, cents: i64) -> VoucherRecord {
    let mut record = VoucherRecord::new(code.to_owned(), VoucherType::DiscountVoucher);
    record.discount =
        Some(Discount { amount_off: Some(cents), ..Discount::new(DiscountType::Amount) });
    record
}

fn gift(code: &str, cents: i64) -> VoucherRecord {
    let mut record = VoucherRecord::new(code.to_owned(), VoucherType::GiftVoucher);
    record.gift = Some(Gift { amount: cents, balance: cents });
    record
}

fn import(update: bool, records: Vec<VoucherRecord>) -> ChunkWrites {
    let items = records.into_iter().map(Item::Write).collect();
    ChunkWrites::Vouchers(VoucherWrites::Import { update, items })
}

fn merge(code: &str, metadata: serde_json::Value) -> ChunkWrites {
    let patch = VoucherMetadataPatch { code: code.to_owned(), metadata: meta(metadata) };
    ChunkWrites::from(vec![Item::Write(patch)])
}

fn chunk(first_item: u64, writes: ChunkWrites, report: ReportMode) -> ChunkCommit {
    let next_cursor = first_item + writes.len() as u64;
    ChunkCommit { first_item, writes, next_cursor, report, mode: CommitMode::Commit }
}

/// Direct imports create vouchers and skip existing codes; lookups by code or id; newest-first
/// pages with a total and a campaign filter; which codes exist.
pub async fn vouchers_round_trip(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let mut first = amount("A1", 1000);
    first.metadata = meta(json!({"lang": "pl"}));
    first.redemption_quantity = Some(3);
    let written = store
        .import_vouchers(&p, vec![first, gift("G1", 5000)], false, t(1))
        .await
        .expect("import");
    assert_eq!(written.len(), 2);
    assert!(written[0].id.as_str().starts_with("v_") && written[0].id.as_str().len() == 34);
    let skipped = store.import_vouchers(&p, vec![amount("A1", 1), amount("B1", 200)], false, t(2));
    assert_eq!(skipped.await.expect("again").len(), 1, "an existing code is not rewritten");
    let a1 = store.get_voucher(&p, "A1").await.expect("get").expect("by code");
    assert_eq!(a1.discount.as_ref().and_then(|d| d.amount_off), Some(1000));
    assert_eq!((a1.redemption_quantity, a1.campaign_id.clone(), a1.active), (Some(3), None, true));
    assert_eq!((a1.created_at, a1.updated_at), (t(1), None));
    let by_id = store.get_voucher(&p, a1.id.as_str()).await.expect("get").expect("by id");
    assert_eq!(by_id, a1);
    assert!(store.get_voucher(&p, "nope").await.expect("get").is_none());

    let page = store.list_vouchers(&p, None, 2, 1).await.expect("list");
    assert_eq!(page.total, 3);
    assert_eq!(
        page.vouchers.iter().map(|v| v.code.as_str()).collect::<Vec<_>>(),
        vec!["B1", {
            // A1 and G1 share t(1); ties go by id, descending.
            let mut same: Vec<&str> = written.iter().map(|v| v.id.as_str()).collect();
            same.sort_unstable();
            if same[1] == a1.id.as_str() { "A1" } else { "G1" }
        }]
    );
    let last = store.list_vouchers(&p, None, 2, 2).await.expect("page 2");
    assert_eq!(last.vouchers.len(), 1);
    let none = store.list_vouchers(&p, Some("camp_x"), 10, 1).await.expect("campaign");
    assert_eq!((none.total, none.vouchers.len()), (0, 0));
    let codes = vec!["G1".to_owned(), "Z".to_owned(), "A1".to_owned()];
    assert_eq!(store.existing_voucher_codes(&p, &codes).await.expect("codes"), vec!["A1", "G1"]);
    assert!(store.existing_voucher_codes(&p, &[]).await.expect("none").is_empty());
}

/// Chunks: an import creates new codes and fails existing or repeated ones; an updating
/// import rewrites existing codes (metadata merged); metadata items merge into existing codes
/// and fail missing ones with `not_found`; refused items move from done to failed.
pub async fn voucher_chunks_follow_voucherify_rules(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let mut seed = amount("OLD", 100);
    seed.metadata = meta(json!({"keep": 1}));
    store.import_vouchers(&p, vec![seed], false, t(1)).await.expect("seed");

    let id = enqueue(&*store, &p, t(2), 8).await;
    let claim = store.claim_next("w", t(3), LEASE).await.expect("claim").expect("claimed");
    let mut again = gift("OLD", 700);
    again.active = false;
    again.metadata = meta(json!({"row": 2}));
    let merges = vec![
        Item::Write(VoucherMetadataPatch {
            code: "NEW".into(),
            metadata: meta(json!({"lang": "en"})),
        }),
        Item::Write(VoucherMetadataPatch {
            code: "MISSING".into(),
            metadata: meta(json!({"lang": "en"})),
        }),
    ];
    let chunks = [
        (t(4), import(false, vec![amount("NEW", 500), amount("OLD", 1), amount("NEW", 2)])),
        (t(4), import(true, vec![gift("CSV", 1000)])),
        (t(5), import(true, vec![again])),
        (t(5), ChunkWrites::from(merges)),
        (t(5), import(true, vec![gift("CSV", 2000)])),
    ];
    let mut cursor = 0;
    for (at, writes) in chunks {
        let commit = chunk(cursor, writes, ReportMode::FailuresOnly);
        cursor = commit.next_cursor;
        store.commit_chunk(&claim.fence, at, commit).await.expect("chunk");
    }
    let lines = store.report_lines(&id, None, 20).await.expect("lines");
    let failures: Vec<(u64, &str, &str, &str)> = lines
        .iter()
        .filter_map(|l| {
            let e = l.error.as_ref()?;
            Some((l.line, l.key.as_str(), e.key.as_str(), e.details.as_str()))
        })
        .collect();
    assert_eq!(
        failures,
        vec![
            (1, "OLD", "duplicate_key", "Voucher with code OLD already exists"),
            (2, "NEW", "duplicate_key", "Voucher with code NEW already exists"),
            (6, "MISSING", "not_found", "Cannot find voucher with id MISSING"),
        ]
    );
    let rec = store.get_action(&p, &id).await.expect("get").expect("action");
    assert_eq!((rec.cursor, rec.done_count, rec.failed_count), (8, 5, 3));
    let old = store.get_voucher(&p, "OLD").await.expect("get").expect("old");
    assert_eq!(
        (old.kind, old.active, old.updated_at),
        (VoucherType::GiftVoucher, false, Some(t(5)))
    );
    assert_eq!(old.metadata, meta(json!({"keep": 1, "row": 2})));
    let new = store.get_voucher(&p, "NEW").await.expect("get").expect("new");
    assert_eq!(new.discount.as_ref().and_then(|d| d.amount_off), Some(500));
    assert_eq!(new.metadata, meta(json!({"lang": "en"})));
    let csv = store.get_voucher(&p, "CSV").await.expect("get").expect("csv");
    assert_eq!(csv.gift.map(|g| g.amount), Some(2000));
    assert!(store.get_voucher(&p, "MISSING").await.expect("get").is_none());
    assert_eq!(store.list_vouchers(&p, None, 10, 1).await.expect("list").total, 3);
}

/// Vouchers of one project are invisible to another, and the same codes may exist in both.
pub async fn vouchers_are_isolated_between_projects(store: Arc<dyn Store>) {
    let a = project(&*store, "a").await;
    let b = project(&*store, "b").await;
    let v =
        store.import_vouchers(&a, vec![amount("C", 1)], false, t(1)).await.expect("a").remove(0);
    for key in ["C", v.id.as_str()] {
        assert!(store.get_voucher(&b, key).await.expect("get").is_none());
    }
    assert_eq!(store.list_vouchers(&b, None, 10, 1).await.expect("list").total, 0);
    assert!(store.existing_voucher_codes(&b, &["C".to_owned()]).await.expect("codes").is_empty());

    let id = enqueue(&*store, &b, t(2), 2).await;
    let claim = store.claim_next("w", t(3), LEASE).await.expect("claim").expect("claimed");
    for (first, writes) in
        [(0, merge("C", json!({"x": 1}))), (1, import(false, vec![amount("C", 2)]))]
    {
        let commit = chunk(first, writes, ReportMode::FailuresOnly);
        store.commit_chunk(&claim.fence, t(4), commit).await.expect("b chunk");
    }
    let lines = store.report_lines(&id, None, 10).await.expect("lines");
    assert_eq!(lines.len(), 1, "B's metadata merge cannot reach A's voucher");
    let b_voucher = store.get_voucher(&b, "C").await.expect("get").expect("b's own");
    assert_ne!(b_voucher.id, v.id);
    assert_eq!(b_voucher.discount.and_then(|d| d.amount_off), Some(2));
    let a_voucher = store.get_voucher(&a, "C").await.expect("get").expect("a's");
    assert_eq!(
        (a_voucher.metadata.len(), a_voucher.discount.and_then(|d| d.amount_off)),
        (0, Some(1))
    );
}
