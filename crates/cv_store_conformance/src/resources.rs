//! Listing, projects and customers.

use std::{collections::HashSet, sync::Arc};

use cv_domain::{ActionId, ActionResult, CustomerPatch, customer::Field};
use serde_json::json;

use cv_store::{ActionPages, ActionRecord, Store};

use super::{LEASE, enqueue, project, t};

/// Newest first with ties broken by id; `end_date` paging with any limit returns every action
/// exactly once even when several share one `created_at`.
pub async fn list_pages_never_skip_or_repeat(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let other = project(&*store, "other").await;
    enqueue(&*store, &other, t(5), 0).await;
    // created_at offsets: a tie group of 3 at 5, a tie group of 2 at 3, singles elsewhere.
    let mut ids = Vec::new();
    for at in [1, 3, 3, 5, 5, 5, 7, 9] {
        ids.push((at, enqueue(&*store, &p, t(at), 0).await));
    }
    let all = store.list_actions(&p, None, 100).await.expect("list");
    assert!(!all.has_more);
    let mut expected = ids.clone();
    expected.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    assert_eq!(
        all.actions.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
        expected.iter().map(|(_, id)| id.clone()).collect::<Vec<_>>()
    );
    for limit in 1..=9 {
        let mut seen = Vec::new();
        let mut end_date = None;
        for _ in 0..20 {
            let page = store.list_actions(&p, end_date, limit).await.expect("page");
            seen.extend(page.actions.iter().map(|a| a.id.clone()));
            if !page.has_more {
                break;
            }
            end_date = page.actions.last().map(|a| a.created_at);
        }
        let unique: HashSet<_> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "limit {limit}: no action repeated");
        assert_eq!(seen.len(), ids.len(), "limit {limit}: no action skipped");
    }
    let before = store.list_actions(&p, Some(t(5)), 10).await.expect("before");
    assert_eq!(before.actions.len(), 3, "end_date is strictly before");
}

/// A list carries no `result` (the action list never shows it), even for a finished action
/// whose `get` has one; everything else a list shows is as `get` reads it, on both list
/// queries (a page, and a `created_at` group larger than the page).
pub async fn listed_actions_leave_out_the_result(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let first = enqueue(&*store, &p, t(5), 1).await;
    let second = enqueue(&*store, &p, t(5), 1).await;
    for _ in 0..2 {
        let claim = store.claim_next("w", t(6), LEASE).await.expect("claim").expect("claimed");
        let result = ActionResult::count(claim.record.id.to_string(), 1);
        store.finish_action(&claim.fence, t(7), &result, None).await.expect("finish");
    }
    for id in [&first, &second] {
        let got = store.get_action(&p, id).await.expect("get").expect("found");
        assert_eq!(got.result, Some(ActionResult::count(id.to_string(), 1)));
    }
    // limit 1 < the group of 2 at t(5): the page is the whole group (`list_actions_at`).
    for limit in [1, 10] {
        let page = store.list_actions(&p, None, limit).await.expect("list");
        assert_eq!(page.actions.len(), 2, "limit {limit}");
        for listed in &page.actions {
            let got = store.get_action(&p, &listed.id).await.expect("get").expect("found");
            assert_eq!(listed.result, None, "limit {limit}: no result in a list");
            assert_eq!(
                ActionRecord { result: None, ..got },
                listed.clone(),
                "limit {limit}: the rest as get reads it"
            );
        }
    }
}

/// Actions, customers and credentials of one project are invisible to another.
pub async fn projects_are_isolated(store: Arc<dyn Store>) {
    let a = project(&*store, "a").await;
    let b = project(&*store, "b").await;
    assert_ne!(a, b);
    assert_eq!(project(&*store, "a").await, a, "ensure_project is idempotent");
    let id = enqueue(&*store, &a, t(0), 0).await;
    assert!(store.get_action(&a, &id).await.expect("get").is_some());
    assert!(store.get_action(&b, &id).await.expect("get").is_none());
    assert!(store.list_actions(&b, None, 10).await.expect("list").actions.is_empty());
    let created = store
        .upsert_customers(
            &a,
            vec![CustomerPatch { source_id: Some("s".into()), ..Default::default() }],
            t(1),
        )
        .await
        .expect("upsert");
    let cid = created[0].id.clone();
    assert!(store.get_customer(&b, cid.as_str()).await.expect("get").is_none());
    assert!(store.get_customer(&b, "s").await.expect("get").is_none());
    assert!(!store.delete_customer(&b, &cid).await.expect("delete"));
    assert!(
        store
            .update_customer(&b, &cid, CustomerPatch::default(), t(2))
            .await
            .expect("update")
            .is_none()
    );
    // The same source_id may exist in both projects.
    store
        .upsert_customers(
            &b,
            vec![CustomerPatch { source_id: Some("s".into()), ..Default::default() }],
            t(1),
        )
        .await
        .expect("upsert in b");
    store.put_credential(&a, "app-a", "hash-a", t(0)).await.expect("cred");
    store.put_credential(&b, "app-b", "hash-b", t(0)).await.expect("cred");
    assert_eq!(
        store.find_credential("app-a").await.expect("find"),
        Some((a.clone(), "hash-a".into()))
    );
    assert_eq!(store.find_credential("nope").await.expect("find"), None);
    assert_eq!(store.count_credentials(&b).await.expect("count"), 1);
}

/// Customer CRUD: upsert by source_id merges metadata, lookups by id or source_id, update,
/// delete, and newest-first pages with a total.
pub async fn customers_round_trip(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let meta = |v: serde_json::Value| v.as_object().cloned();
    let first = store
        .upsert_customers(
            &p,
            vec![CustomerPatch {
                source_id: Some("s1".into()),
                name: Field::Set("Ann".into()),
                metadata: meta(json!({"a": 1, "nested": {"x": [1, 2]}})),
                address: Field::Set(cv_domain::Address {
                    city: Some("Oslo".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            t(1),
        )
        .await
        .expect("create");
    let id = first[0].id.clone();
    assert!(id.as_str().starts_with("cust_"));
    let again = store
        .upsert_customers(
            &p,
            vec![CustomerPatch {
                source_id: Some("s1".into()),
                metadata: meta(json!({"b": true})),
                ..Default::default()
            }],
            t(2),
        )
        .await
        .expect("upsert");
    assert_eq!(again[0].id, id);
    let got = store.get_customer(&p, id.as_str()).await.expect("get").expect("by id");
    assert_eq!(
        got.metadata,
        meta(json!({"a": 1, "nested": {"x": [1, 2]}, "b": true})).unwrap_or_default()
    );
    assert_eq!(got.name.as_deref(), Some("Ann"));
    assert_eq!(got.address.as_ref().and_then(|a| a.city.as_deref()), Some("Oslo"));
    assert_eq!((got.created_at, got.updated_at), (t(1), Some(t(2))));
    assert_eq!(store.get_customer(&p, "s1").await.expect("get").map(|c| c.id), Some(id.clone()));
    let updated = store
        .update_customer(
            &p,
            &id,
            CustomerPatch {
                email: Field::Set("a@b.c".into()),
                name: Field::Clear,
                ..Default::default()
            },
            t(3),
        )
        .await
        .expect("update")
        .expect("exists");
    assert_eq!((updated.email.as_deref(), updated.name), (Some("a@b.c"), None));
    for i in 0..5 {
        store
            .upsert_customers(
                &p,
                vec![CustomerPatch { source_id: Some(format!("n{i}")), ..Default::default() }],
                t(10 + i),
            )
            .await
            .expect("create");
    }
    let page1 = store.list_customers(&p, 2, 1).await.expect("list");
    assert_eq!(page1.total, 6);
    assert_eq!(
        page1.customers.iter().map(|c| c.source_id.clone().unwrap_or_default()).collect::<Vec<_>>(),
        vec!["n4", "n3"]
    );
    let page3 = store.list_customers(&p, 2, 3).await.expect("list");
    assert_eq!(
        page3.customers.iter().map(|c| c.source_id.clone().unwrap_or_default()).collect::<Vec<_>>(),
        vec!["n0", "s1"]
    );
    assert!(store.delete_customer(&p, &id).await.expect("delete"));
    assert!(!store.delete_customer(&p, &id).await.expect("delete again"));
    assert!(store.get_customer(&p, "s1").await.expect("get").is_none());
}

/// Import rows replace the whole profile (keeping id and created_at); a source_id the same
/// action already imported — in this chunk or an earlier one — fails as a duplicate; only
/// failures get report lines.
pub async fn imports_replace_profiles_and_reject_repeated_rows(store: Arc<dyn Store>) {
    use cv_domain::CustomerRecord;

    use cv_store::{
        ChunkCommit, ChunkCounts, ChunkWrites, CommitMode, Item, ItemError, ReportMode,
    };

    let p = project(&*store, "default").await;
    let meta = |v: serde_json::Value| v.as_object().cloned().unwrap_or_default();
    let old = store
        .upsert_customers(
            &p,
            vec![CustomerPatch {
                source_id: Some("s1".into()),
                name: Field::Set("Old".into()),
                email: Field::Set("old@example.com".into()),
                metadata: Some(meta(json!({"a": 1}))),
                ..Default::default()
            }],
            t(1),
        )
        .await
        .expect("create")
        .remove(0);
    let id = enqueue(&*store, &p, t(2), 6).await;
    let claim = store.claim_next("w", t(3), 30_000).await.expect("claim").expect("claimed");
    let record = |source_id: &str, name: &str, metadata: serde_json::Value| {
        Item::Write(CustomerRecord {
            source_id: source_id.into(),
            name: Some(name.into()),
            metadata: meta(metadata),
            ..Default::default()
        })
    };
    let bad = Item::Failed {
        key: "s9".into(),
        error: ItemError {
            message: "Invalid payload".into(),
            details: "birthdate: bad".into(),
            key: "invalid_payload".into(),
        },
    };
    let chunk = ChunkCommit {
        first_item: 0,
        writes: ChunkWrites::from(vec![
            record("s1", "New", json!({"b": 2})),
            record("s2", "Two", json!({})),
            record("s1", "Again", json!({})),
            bad,
        ]),
        next_cursor: 4,
        report: ReportMode::FailuresOnly,
        mode: CommitMode::Commit,
    };
    let counts = store.commit_chunk(&claim.fence, t(4), chunk).await.expect("commit");
    // The repeated s1 was refused by the store while writing, s9 by the action.
    assert_eq!(counts, ChunkCounts { done: 2, failed: 2 });
    let s1 = store.get_customer(&p, "s1").await.expect("get").expect("s1");
    assert_eq!((s1.id.clone(), s1.created_at, s1.updated_at), (old.id.clone(), t(1), Some(t(4))));
    assert_eq!(
        (s1.name.as_deref(), s1.email.as_deref()),
        (Some("New"), None),
        "replaced, not merged"
    );
    assert_eq!(s1.metadata, meta(json!({"b": 2})));
    let s2 = store.get_customer(&p, "s2").await.expect("get").expect("s2");
    assert_eq!((s2.created_at, s2.updated_at), (t(4), None));
    let chunk = ChunkCommit {
        first_item: 4,
        writes: ChunkWrites::from(vec![
            record("s2", "Three", json!({})),
            record("s3", "Three", json!({})),
        ]),
        next_cursor: 6,
        report: ReportMode::FailuresOnly,
        mode: CommitMode::Commit,
    };
    let counts = store.commit_chunk(&claim.fence, t(5), chunk).await.expect("commit");
    assert_eq!(counts, ChunkCounts { done: 1, failed: 1 });
    assert_eq!(
        store.get_customer(&p, "s2").await.expect("get").and_then(|c| c.name),
        Some("Two".into())
    );
    let lines = store.report_lines(&id, None, 100).await.expect("lines");
    assert_eq!(
        lines
            .iter()
            .map(|l| (l.line, l.key.as_str(), l.error.as_ref().map(|e| e.key.as_str())))
            .collect::<Vec<_>>(),
        vec![
            (2, "s1", Some("duplicate_found")),
            (3, "s9", Some("invalid_payload")),
            (4, "s2", Some("duplicate_found"))
        ]
    );
    let rec = store.get_action(&p, &id).await.expect("get").expect("action");
    assert_eq!((rec.cursor, rec.done_count, rec.failed_count), (6, 3, 3));
}

/// Upload parts are stored in order, read back by number, and deleted together.
pub async fn upload_parts_round_trip(store: Arc<dyn Store>) {
    let upload = ActionId::generate();
    let other = ActionId::generate();
    for (part, bytes) in [b"name,source_id\n".to_vec(), b"a,b\n".to_vec(), vec![0u8, 255, 10]]
        .into_iter()
        .enumerate()
    {
        store.put_upload_part(&upload, part as u32, bytes).await.expect("put");
    }
    store.put_upload_part(&other, 0, b"x".to_vec()).await.expect("put");
    assert_eq!(store.read_upload_part(&upload, 1).await.expect("read"), Some(b"a,b\n".to_vec()));
    assert_eq!(store.read_upload_part(&upload, 2).await.expect("read"), Some(vec![0u8, 255, 10]));
    assert_eq!(store.read_upload_part(&upload, 3).await.expect("read"), None);
    assert!(
        store.put_upload_part(&upload, 1, b"again".to_vec()).await.is_err(),
        "a part is written once"
    );
    store.delete_upload(&upload).await.expect("delete");
    assert_eq!(store.read_upload_part(&upload, 0).await.expect("read"), None);
    assert_eq!(store.read_upload_part(&other, 0).await.expect("read"), Some(b"x".to_vec()));
}

/// One schema per project and resource: replacing keeps its id and created_at; other projects
/// never see it.
pub async fn metadata_schemas_round_trip(store: Arc<dyn Store>) {
    use cv_domain::metadata_schema::{
        MetadataResource, MetadataSchema, PropertyDefinition, PropertyType,
    };

    let p = project(&*store, "default").await;
    let other = project(&*store, "other").await;
    let mut schema = MetadataSchema::new(MetadataResource::Customer);
    schema.properties.insert("tier".into(), PropertyDefinition::new(PropertyType::String));
    let first = store.put_metadata_schema(&p, &schema, t(1)).await.expect("put");
    assert!(first.id.starts_with("ms_"));
    assert_eq!((first.created_at, first.updated_at), (t(1), None));
    schema.allow_defined_only = true;
    schema.properties.insert("points".into(), PropertyDefinition::new(PropertyType::Number));
    let second = store.put_metadata_schema(&p, &schema, t(2)).await.expect("replace");
    assert_eq!(
        (second.id.clone(), second.created_at, second.updated_at),
        (first.id.clone(), t(1), Some(t(2)))
    );
    let got = store
        .get_metadata_schema(&p, MetadataResource::Customer)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(got.schema, schema);
    assert!(store.get_metadata_schema(&p, MetadataResource::Product).await.expect("get").is_none());
    assert!(
        store.get_metadata_schema(&other, MetadataResource::Customer).await.expect("get").is_none()
    );
    store
        .put_metadata_schema(&p, &MetadataSchema::new(MetadataResource::Order), t(3))
        .await
        .expect("put");
    let all = store.list_metadata_schemas(&p).await.expect("list");
    assert_eq!(
        all.iter().map(|r| r.schema.related_object).collect::<Vec<_>>(),
        vec![MetadataResource::Customer, MetadataResource::Order]
    );
    assert!(store.list_metadata_schemas(&other).await.expect("list").is_empty());
    assert!(
        !store.delete_metadata_schema(&other, MetadataResource::Customer).await.expect("delete")
    );
    assert!(store.delete_metadata_schema(&p, MetadataResource::Customer).await.expect("delete"));
    assert!(
        store.get_metadata_schema(&p, MetadataResource::Customer).await.expect("get").is_none()
    );
}
