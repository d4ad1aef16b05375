//! Metadata-key purges: which objects hold a key (counted, and walked newest first with a
//! keyset bound), purge chunks that remove exactly that key from customers, products,
//! vouchers and campaigns — whatever characters it has — and leave every other key, value
//! type and project alone, and the fencing that makes a stale or rolled-back chunk change
//! nothing.

use std::sync::Arc;

use cv_domain::{
    CustomerPatch, Metadata, ProductPatch, ProjectId, Timestamp, VoucherRecord,
    metadata_schema::MetadataResource,
    voucher::{Gift, VoucherType},
};
use serde_json::{Value, json};

use cv_store::{
    ChunkCommit, ChunkWrites, CommitMode, MetadataHolder, ReportMode, Store, StoreError,
};

use super::{LEASE, campaigns::gift_campaign, done, enqueue, project, t};

/// Keys a JSON path would trip over: quotes, dots, `$`, spaces, backslashes, non-ASCII.
const ODD_KEYS: [&str; 7] = ["a\"b", "a.b", "$x", "with space", "it's", "back\\slash", "ключ"];

/// Metadata holding every odd key, with values of every JSON type, plus keys that stay.
fn full() -> Value {
    json!({
        "a\"b": 1,
        "a.b": "dotted",
        "$x": true,
        "with space": false,
        "it's": null,
        "back\\slash": [1, "x", false],
        "ключ": 1.5,
        "a": {"b": 2},
        "keep": {"nested": [true, 0]},
    })
}

fn meta(v: Value) -> Metadata {
    v.as_object().cloned().unwrap_or_default()
}

/// Creates an object of `resource` named `name` at `t(at)`; its id.
async fn seed(
    store: &dyn Store,
    p: &ProjectId,
    resource: MetadataResource,
    name: &str,
    metadata: Value,
    at: i64,
) -> String {
    let metadata = meta(metadata);
    match resource {
        MetadataResource::Customer => {
            let patch = CustomerPatch {
                source_id: Some(name.to_owned()),
                metadata: Some(metadata),
                ..Default::default()
            };
            let written = store.upsert_customers(p, vec![patch], t(at)).await.expect("customer");
            written[0].id.to_string()
        }
        MetadataResource::Product => {
            let patch = ProductPatch {
                source_id: Some(name.to_owned()),
                metadata: Some(metadata),
                ..Default::default()
            };
            let written = store.upsert_products(p, vec![patch], t(at)).await.expect("product");
            written[0].id.to_string()
        }
        MetadataResource::Voucher => {
            let mut record = VoucherRecord::new(name.to_owned(), VoucherType::GiftVoucher);
            record.gift = Some(Gift { amount: 100, balance: 100 });
            record.metadata = metadata;
            let written = store.import_vouchers(p, vec![record], false, t(at)).await;
            written.expect("voucher")[0].id.to_string()
        }
        MetadataResource::Campaign => {
            let mut campaign = gift_campaign(name, at);
            campaign.metadata = metadata;
            store.create_campaign(p, &campaign).await.expect("campaign");
            campaign.id
        }
        MetadataResource::Order => unreachable!(
            "orders are written only by import chunks; their purge is covered end to end in tests/it/metadata_purge.rs"
        ),
    }
}

/// An object's metadata and `updated_at`, read the way the API reads it.
async fn read(
    store: &dyn Store,
    p: &ProjectId,
    resource: MetadataResource,
    id: &str,
) -> (Value, Option<Timestamp>) {
    let (metadata, updated_at) = match resource {
        MetadataResource::Customer => {
            let c = store.get_customer(p, id).await.expect("get").expect("customer");
            (c.metadata, c.updated_at)
        }
        MetadataResource::Product => {
            let x = store.get_product(p, id).await.expect("get").expect("product");
            (x.metadata, x.updated_at)
        }
        MetadataResource::Voucher => {
            let v = store.get_voucher(p, id).await.expect("get").expect("voucher");
            (v.metadata, v.updated_at)
        }
        MetadataResource::Campaign => {
            let c = store.get_campaign(p, id).await.expect("get").expect("campaign");
            (c.metadata, c.updated_at)
        }
        MetadataResource::Order => unreachable!(
            "orders are written only by import chunks; their purge is covered end to end in tests/it/metadata_purge.rs"
        ),
    };
    (Value::Object(metadata), updated_at)
}

fn purge(resource: MetadataResource, ids: &[&str], key: &str) -> ChunkWrites {
    let ids = ids.iter().map(|id| (*id).to_owned()).collect();
    ChunkWrites::MetadataKeyPurge { resource, key: key.to_owned(), ids }
}

fn chunk(first_item: u64, writes: ChunkWrites, mode: CommitMode) -> ChunkCommit {
    let next_cursor = first_item + writes.len() as u64;
    ChunkCommit { first_item, writes, next_cursor, report: ReportMode::FailuresOnly, mode }
}

async fn holder_ids(
    store: &dyn Store,
    p: &ProjectId,
    resource: MetadataResource,
    key: &str,
) -> Vec<String> {
    let holders = store.metadata_key_holders(p, resource, key, None, 100).await.expect("holders");
    holders.into_iter().map(|h| h.id).collect()
}

/// For each resource and each odd key in turn: the holders are counted and listed, one purge
/// chunk removes exactly that key from them (the dotted key is not the nested `a.b`), sets
/// their `updated_at`, and leaves other keys with their values and JSON types, objects
/// without the key, and the other project's objects, untouched. Binned campaigns hold keys
/// too.
pub async fn metadata_key_purges_remove_only_the_named_key(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let q = project(&*store, "other").await;
    let resources = [
        MetadataResource::Customer,
        MetadataResource::Product,
        MetadataResource::Voucher,
        MetadataResource::Campaign,
    ];
    let mut clock = 100;
    for resource in resources {
        let one = seed(&*store, &p, resource, &format!("{resource}-1"), full(), 1).await;
        let two = seed(&*store, &p, resource, &format!("{resource}-2"), full(), 2).await;
        let plain = json!({"keep": 1});
        let none = seed(&*store, &p, resource, &format!("{resource}-3"), plain.clone(), 3).await;
        let other = seed(&*store, &q, resource, &format!("{resource}-q"), full(), 1).await;
        let mut expected = full();
        for key in ODD_KEYS {
            assert_eq!(store.count_metadata_key_holders(&p, resource, key).await.expect("n"), 2);
            assert_eq!(holder_ids(&*store, &p, resource, key).await, [two.clone(), one.clone()]);

            clock += 10;
            enqueue(&*store, &p, t(clock), 0).await;
            let claim = store.claim_next("w", t(clock + 1), LEASE).await.expect("claim");
            let fence = claim.expect("claimed").fence;
            store.set_remaining_items(&fence, 2).await.expect("total");
            let items = purge(resource, &[&two, &one], key);
            let at = t(clock + 2);
            store
                .commit_chunk(&fence, at, chunk(0, items, CommitMode::Commit))
                .await
                .expect("purge");
            store.finish_action(&fence, t(clock + 3), &done(), None).await.expect("finish");

            if let Some(m) = expected.as_object_mut() {
                m.remove(key);
            }
            for id in [&one, &two] {
                assert_eq!(
                    read(&*store, &p, resource, id).await,
                    (expected.clone(), Some(at)),
                    "{resource} {key}"
                );
            }
            assert_eq!(read(&*store, &p, resource, &none).await, (plain.clone(), None));
            assert_eq!(read(&*store, &q, resource, &other).await, (full(), None));
            assert_eq!(store.count_metadata_key_holders(&p, resource, key).await.expect("n"), 0);
            assert_eq!(store.count_metadata_key_holders(&q, resource, key).await.expect("n"), 1);
        }
        assert_eq!(
            read(&*store, &p, resource, &one).await.0,
            json!({"a": {"b": 2}, "keep": {"nested": [true, 0]}}),
            "only the odd keys went"
        );
    }

    // A binned campaign is still a stored object: a purge reaches it too.
    let campaign = MetadataResource::Campaign;
    let binned = seed(&*store, &p, campaign, "binned", json!({"k": 1}), 50).await;
    assert!(store.bin_campaign(&p, &binned).await.expect("bin"));
    assert_eq!(store.count_metadata_key_holders(&p, campaign, "k").await.expect("n"), 1);
    assert_eq!(holder_ids(&*store, &p, campaign, "k").await, [binned]);
}

/// Holders are walked newest first, ties by id, with a keyset bound that never skips or
/// repeats; a chunk rolled back or committed under a stale attempt changes nothing; the
/// total is the cursor plus what is left; an object that no longer has the key is not
/// counted as done.
pub async fn metadata_key_purge_chunks_are_fenced_and_counted(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let q = project(&*store, "other").await;
    let r = MetadataResource::Customer;
    let mut seeded = Vec::new();
    for (n, at) in [(1, 1), (2, 2), (3, 3), (4, 3), (5, 3), (6, 4)] {
        let id = seed(&*store, &p, r, &format!("c{n}"), json!({"k": n, "x": n}), at).await;
        seeded.push((t(at), id, n));
    }
    let plain = seed(&*store, &p, r, "plain", json!({"x": 0}), 5).await;
    let other = seed(&*store, &q, r, "other", json!({"k": 0}), 1).await;
    seeded.sort_by(|a, b| (b.0, &b.1).cmp(&(a.0, &a.1)));
    let newest_first: Vec<String> = seeded.iter().map(|(_, id, _)| id.clone()).collect();

    let mut walked: Vec<String> = Vec::new();
    let mut after: Option<MetadataHolder> = None;
    loop {
        let page = store.metadata_key_holders(&p, r, "k", after.as_ref(), 2).await.expect("page");
        let Some(last) = page.last().cloned() else { break };
        assert!(page.len() <= 2);
        walked.extend(page.into_iter().map(|h| h.id));
        after = Some(last);
    }
    assert_eq!(walked, newest_first, "a keyset walk sees every holder once, in order");
    assert_eq!(store.count_metadata_key_holders(&p, r, "k").await.expect("n"), 6);

    let id = enqueue(&*store, &p, t(10), 0).await;
    let old = store.claim_next("a", t(11), LEASE).await.expect("claim").expect("claimed");
    store.set_remaining_items(&old.fence, 6).await.expect("total");
    let first: Vec<&str> = newest_first[..3].iter().map(String::as_str).collect();
    let rolled_back = chunk(0, purge(r, &first, "k"), CommitMode::RollbackAfterWrites);
    let err = store.commit_chunk(&old.fence, t(12), rolled_back).await;
    assert!(matches!(err, Err(StoreError::InjectedFailure)), "{err:?}");
    assert_eq!(holder_ids(&*store, &p, r, "k").await, newest_first, "the rollback kept the key");

    let new =
        store.claim_next("b", t(13 + LEASE), LEASE).await.expect("claim").expect("re-claimed");
    let stale = chunk(0, purge(r, &first, "k"), CommitMode::Commit);
    let err = store.commit_chunk(&old.fence, t(14 + LEASE), stale).await;
    assert!(matches!(err, Err(StoreError::LeaseLost(_))), "{err:?}");
    let err = store.set_remaining_items(&old.fence, 1).await;
    assert!(matches!(err, Err(StoreError::LeaseLost(_))), "{err:?}");
    assert_eq!(
        holder_ids(&*store, &p, r, "k").await,
        newest_first,
        "the stale commit kept the key"
    );
    let rec = store.get_action(&p, &id).await.expect("get").expect("exists");
    assert_eq!((rec.cursor, rec.done_count, rec.total_items, rec.progress.get()), (0, 0, 6, 0));

    store.set_remaining_items(&new.fence, 6).await.expect("total");
    let at = t(15 + LEASE);
    store
        .commit_chunk(&new.fence, at, chunk(0, purge(r, &first, "k"), CommitMode::Commit))
        .await
        .expect("chunk 1");
    let rec = store.get_action(&p, &id).await.expect("get").expect("exists");
    assert_eq!((rec.cursor, rec.done_count, rec.progress.get()), (3, 3, 50));
    assert_eq!(holder_ids(&*store, &p, r, "k").await, newest_first[3..]);

    // A restarted run counts again from where the action stands.
    store.set_remaining_items(&new.fence, 3).await.expect("total");
    let rec = store.get_action(&p, &id).await.expect("get").expect("exists");
    assert_eq!((rec.total_items, rec.progress.get()), (6, 50));

    // The rest, plus an object without the key and one that does not exist: 5 items, 3 done.
    let mut rest: Vec<&str> = newest_first[3..].iter().map(String::as_str).collect();
    rest.extend([plain.as_str(), "cust_gone"]);
    store
        .commit_chunk(&new.fence, at, chunk(3, purge(r, &rest, "k"), CommitMode::Commit))
        .await
        .expect("chunk 2");
    let rec = store.get_action(&p, &id).await.expect("get").expect("exists");
    assert_eq!((rec.cursor, rec.done_count, rec.failed_count, rec.progress.get()), (8, 6, 0, 99));
    assert!(store.report_lines(&id, None, 10).await.expect("lines").is_empty());
    for (_, id, n) in &seeded {
        let c = store.get_customer(&p, id).await.expect("get").expect("customer");
        assert_eq!((Value::Object(c.metadata), c.updated_at), (json!({"x": n}), Some(at)));
    }
    assert_eq!(read(&*store, &p, r, &plain).await, (json!({"x": 0}), None));
    assert_eq!(read(&*store, &q, r, &other).await, (json!({"k": 0}), None));
    assert_eq!(store.count_metadata_key_holders(&p, r, "k").await.expect("n"), 0);

    let rec = store.get_action(&p, &id).await.expect("get").expect("exists");
    assert_eq!((rec.cursor, rec.done_count), (8, 6));
}
