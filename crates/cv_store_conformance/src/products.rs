//! Products and SKUs: upserts, the two CSV imports' rules, and project isolation.

use std::sync::Arc;

use cv_domain::{Metadata, ProductPatch, ProductRecord, SkuPatch, SkuRecord, customer::Field};
use serde_json::json;

use cv_store::{
    ChunkCommit, ChunkWrites, CommitMode, Item, ItemError, ReportMode, Store, StoreError,
};

use super::{LEASE, enqueue, project, t};

fn meta(v: serde_json::Value) -> Metadata {
    v.as_object().cloned().unwrap_or_default()
}

fn product_patch(source_id: &str, name: &str, metadata: serde_json::Value) -> ProductPatch {
    ProductPatch {
        source_id: Some(source_id.to_owned()),
        name: Field::Set(name.to_owned()),
        metadata: Some(meta(metadata)),
        ..Default::default()
    }
}

fn sku_row(
    source_id: &str,
    product: &str,
    price: Option<i64>,
    attributes: serde_json::Value,
) -> Item<SkuRecord> {
    Item::Write(SkuRecord {
        source_id: source_id.to_owned(),
        product: product.to_owned(),
        sku: Some(format!("SKU {source_id}")),
        price,
        image_url: Some(format!("https://img/{source_id}.png")),
        attributes: meta(attributes),
        metadata: meta(json!({"row": source_id})),
    })
}

fn chunk(first_item: u64, writes: impl Into<ChunkWrites>, report: ReportMode) -> ChunkCommit {
    let writes = writes.into();
    let next_cursor = first_item + writes.len() as u64;
    ChunkCommit { first_item, writes, next_cursor, report, mode: CommitMode::Commit }
}

/// Product upserts by source_id merge metadata and keep unset fields; lookups by id or
/// source_id; update; newest-first pages with their SKUs and a total; SKUs upsert under their
/// product (another product's source_id conflicts); deleting a product deletes its SKUs.
pub async fn products_and_skus_round_trip(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let first = store
        .upsert_products(
            &p,
            vec![ProductPatch {
                price: Field::Set(2100),
                attributes: Some(vec!["color".into(), "size".into()]),
                ..product_patch("shirt", "Shirt", json!({"a": 1}))
            }],
            t(1),
        )
        .await
        .expect("create")
        .remove(0);
    assert!(first.id.as_str().starts_with("prod_"));
    let again = store
        .upsert_products(
            &p,
            vec![ProductPatch {
                source_id: Some("shirt".into()),
                metadata: Some(meta(json!({"b": true}))),
                ..Default::default()
            }],
            t(2),
        )
        .await
        .expect("upsert")
        .remove(0);
    assert_eq!(again.id, first.id);
    let got = store.get_product(&p, "shirt").await.expect("get").expect("by source_id");
    assert_eq!(got.metadata, meta(json!({"a": 1, "b": true})));
    assert_eq!((got.name.as_deref(), got.price), (Some("Shirt"), Some(2100)));
    assert_eq!(got.attributes, vec!["color".to_owned(), "size".to_owned()]);
    assert_eq!((got.created_at, got.updated_at), (t(1), Some(t(2))));
    let by_id = store.get_product(&p, first.id.as_str()).await.expect("get").expect("by id");
    assert_eq!(by_id, got);
    let updated = store
        .update_product(
            &p,
            &first.id,
            ProductPatch {
                price: Field::Clear,
                image_url: Field::Set("u".into()),
                ..Default::default()
            },
            t(3),
        )
        .await
        .expect("update")
        .expect("exists");
    assert_eq!((updated.price, updated.image_url.as_deref()), (None, Some("u")));

    let sku_patch = |source_id: &str, name: &str| SkuPatch {
        source_id: Some(source_id.to_owned()),
        sku: Field::Set(name.to_owned()),
        price: Field::Set(1300),
        currency: Field::Set("USD".into()),
        attributes: Some(meta(json!({"color": "blue"}))),
        ..Default::default()
    };
    let blue = store
        .upsert_sku(&p, &first.id, sku_patch("blue", "Blue"), t(4))
        .await
        .expect("sku")
        .expect("product exists");
    assert!(blue.id.as_str().starts_with("sku_"));
    assert_eq!(
        (blue.product_id.clone(), blue.price, blue.currency.as_deref()),
        (first.id.clone(), Some(1300), Some("USD"))
    );
    let renamed = store
        .upsert_sku(
            &p,
            &first.id,
            SkuPatch {
                source_id: Some("blue".into()),
                sku: Field::Set("Navy".into()),
                ..Default::default()
            },
            t(5),
        )
        .await
        .expect("sku upsert")
        .expect("product exists");
    assert_eq!(
        (renamed.id.clone(), renamed.sku.as_deref(), renamed.price),
        (blue.id.clone(), Some("Navy"), Some(1300))
    );
    store
        .upsert_sku(&p, &first.id, sku_patch("red", "Red"), t(6))
        .await
        .expect("sku")
        .expect("exists");
    let other = store
        .upsert_products(&p, vec![product_patch("cap", "Cap", json!({}))], t(7))
        .await
        .expect("cap")
        .remove(0);
    assert!(matches!(
        store.upsert_sku(&p, &other.id, sku_patch("blue", "Cap blue"), t(8)).await,
        Err(StoreError::Conflict { .. })
    ));
    let unknown = cv_domain::ProductId::generate();
    assert!(
        store.upsert_sku(&p, &unknown, sku_patch("x", "X"), t(8)).await.expect("sku").is_none()
    );
    assert_eq!(store.get_sku(&p, "blue").await.expect("get").map(|s| s.id), Some(blue.id.clone()));
    assert_eq!(
        store.get_sku(&p, blue.id.as_str()).await.expect("get").and_then(|s| s.sku),
        Some("Navy".into())
    );

    let skus = store.list_skus(&p, &first.id, 1, 2).await.expect("skus");
    assert_eq!(skus.total, 2);
    assert_eq!(
        skus.skus.iter().map(|s| s.source_id.clone().unwrap_or_default()).collect::<Vec<_>>(),
        vec!["red"]
    );
    for i in 0..3 {
        store
            .upsert_products(&p, vec![product_patch(&format!("n{i}"), "N", json!({}))], t(10 + i))
            .await
            .expect("create");
    }
    let page = store.list_products(&p, 2, 2).await.expect("list");
    assert_eq!(page.total, 5);
    assert_eq!(
        page.products.iter().map(|p| p.source_id.clone().unwrap_or_default()).collect::<Vec<_>>(),
        vec!["n0", "cap"]
    );
    assert!(page.skus.is_empty(), "the shirt's SKUs are not on this page");
    let last = store.list_products(&p, 2, 3).await.expect("list");
    assert_eq!(
        last.products.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        vec![first.id.clone()]
    );
    assert_eq!(
        last.skus.iter().map(|s| s.source_id.clone().unwrap_or_default()).collect::<Vec<_>>(),
        vec!["blue", "red"]
    );

    assert!(store.delete_product(&p, &first.id).await.expect("delete"));
    assert!(!store.delete_product(&p, &first.id).await.expect("delete again"));
    assert!(store.get_product(&p, "shirt").await.expect("get").is_none());
    assert!(store.get_sku(&p, "blue").await.expect("get").is_none(), "SKUs go with their product");
}

/// A bulk chunk upserts by source_id and reports every item (found or not). Product import
/// rows create, or change only the name of an existing source_id. SKU import rows create
/// under their product, change only `sku` and `price` of an existing SKU, and fail for an
/// unknown product, an attribute the product does not define, or a SKU of another product;
/// refused rows move from done to failed.
pub async fn product_and_sku_imports_follow_voucherify_rules(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let id = enqueue(&*store, &p, t(1), 4).await;
    let claim = store.claim_next("w", t(2), LEASE).await.expect("claim").expect("claimed");
    store
        .upsert_products(&p, vec![product_patch("old", "Old", json!({"k": "v"}))], t(2))
        .await
        .expect("seed");
    let items = vec![
        Item::Write(product_patch("old", "Old 2", json!({"x": 1}))),
        Item::Write(product_patch("new", "New", json!({}))),
        Item::Write(product_patch("new", "New again", json!({"y": 2}))),
        Item::Failed {
            key: "bad".into(),
            error: ItemError {
                message: "Invalid payload".into(),
                details: "nope".into(),
                key: "invalid_payload".into(),
            },
        },
    ];
    store
        .commit_chunk(&claim.fence, t(3), chunk(0, items, ReportMode::AllItems))
        .await
        .expect("bulk");
    let lines = store.report_lines(&id, None, 10).await.expect("lines");
    assert_eq!(
        lines
            .iter()
            .map(|l| (l.key.as_str(), l.found, l.updated, l.error.is_some()))
            .collect::<Vec<_>>(),
        vec![
            ("old", true, true, false),
            ("new", false, true, false),
            ("new", true, true, false),
            ("bad", false, false, true)
        ]
    );
    let old = store.get_product(&p, "old").await.expect("get").expect("old");
    assert_eq!(
        (old.name.as_deref(), old.metadata.clone()),
        (Some("Old 2"), meta(json!({"k": "v", "x": 1})))
    );
    let new = store.get_product(&p, "new").await.expect("get").expect("new");
    assert_eq!(
        (new.name.as_deref(), new.metadata.clone()),
        (Some("New again"), meta(json!({"y": 2})))
    );

    let import = |source_id: Option<&str>, name: &str, attributes: &[&str]| {
        Item::Write(ProductRecord {
            source_id: source_id.map(str::to_owned),
            name: name.to_owned(),
            price: Some(999),
            attributes: attributes.iter().map(|a| (*a).to_owned()).collect(),
            image_url: Some("https://img/p.png".into()),
            metadata: meta(json!({"imported": true})),
        })
    };
    let id = enqueue(&*store, &p, t(4), 11).await;
    let claim = store.claim_next("w", t(5), LEASE).await.expect("claim").expect("claimed");
    let items = vec![
        import(Some("old"), "Old renamed", &["ignored"]),
        import(Some("shirt"), "Shirt", &["color", "size"]),
        import(None, "No source", &[]),
    ];
    store
        .commit_chunk(&claim.fence, t(6), chunk(0, items, ReportMode::FailuresOnly))
        .await
        .expect("products");
    let old = store.get_product(&p, "old").await.expect("get").expect("old");
    assert_eq!(old.name.as_deref(), Some("Old renamed"));
    assert_eq!(
        (old.price, old.attributes.clone(), old.image_url.clone()),
        (None, Vec::<String>::new(), None),
        "only the name changes"
    );
    assert_eq!(old.metadata, meta(json!({"k": "v", "x": 1})));
    let shirt = store.get_product(&p, "shirt").await.expect("get").expect("shirt");
    assert_eq!((shirt.price, shirt.metadata.clone()), (Some(999), meta(json!({"imported": true}))));
    assert_eq!(store.list_products(&p, 10, 1).await.expect("list").total, 4);

    let items = vec![
        sku_row("s-blue", "shirt", Some(1300), json!({"color": "blue", "size": "XS"})),
        sku_row("s-red", "shirt", None, json!({})),
        sku_row("s-x", "nope", Some(1), json!({})),
        sku_row("s-w", "shirt", Some(1), json!({"weight": "1kg"})),
    ];
    store
        .commit_chunk(&claim.fence, t(7), chunk(3, items, ReportMode::FailuresOnly))
        .await
        .expect("skus");
    let blue = store.get_sku(&p, "s-blue").await.expect("get").expect("blue");
    assert_eq!(
        (blue.product_id.clone(), blue.price, blue.attributes.clone()),
        (shirt.id.clone(), Some(1300), meta(json!({"color": "blue", "size": "XS"})))
    );
    let items = vec![
        Item::Write(SkuRecord {
            source_id: "s-blue".into(),
            product: "shirt".into(),
            sku: Some("Navy".into()),
            price: Some(1450),
            image_url: Some("https://img/changed.png".into()),
            attributes: meta(json!({"color": "navy"})),
            metadata: meta(json!({"changed": true})),
        }),
        sku_row("s-blue", "new", Some(5), json!({})),
        sku_row("s-green", "shirt", Some(7), json!({"color": "green"})),
        sku_row("s-green", "shirt", Some(8), json!({"color": "green"})),
    ];
    store
        .commit_chunk(&claim.fence, t(8), chunk(7, items, ReportMode::FailuresOnly))
        .await
        .expect("skus 2");
    let blue = store.get_sku(&p, "s-blue").await.expect("get").expect("blue");
    assert_eq!(
        (blue.sku.as_deref(), blue.price, blue.updated_at),
        (Some("Navy"), Some(1450), Some(t(8)))
    );
    assert_eq!(
        blue.attributes,
        meta(json!({"color": "blue", "size": "XS"})),
        "only sku and price change"
    );
    assert_eq!(
        (blue.image_url.as_deref(), blue.metadata.clone()),
        (Some("https://img/s-blue.png"), meta(json!({"row": "s-blue"})))
    );
    assert_eq!(store.get_sku(&p, "s-green").await.expect("get").and_then(|s| s.price), Some(8));
    assert!(store.get_sku(&p, "s-x").await.expect("get").is_none());
    assert!(store.get_sku(&p, "s-w").await.expect("get").is_none());
    let lines = store.report_lines(&id, None, 20).await.expect("lines");
    let failures: Vec<(u64, &str, &str)> = lines
        .iter()
        .map(|l| (l.line, l.key.as_str(), l.error.as_ref().map_or("", |e| e.details.as_str())))
        .collect();
    assert_eq!(
        failures,
        vec![
            (5, "s-x", "product_id: Cannot find product with source_id 'nope'"),
            (
                6,
                "s-w",
                "attributes: 'weight' is not an attribute of product 'shirt' (its attributes: color,size)"
            ),
            (
                8,
                "s-blue",
                &*format!(
                    "Resource sku with id s-blue is in use by products with ids [{}]",
                    shirt.id
                )
            ),
        ]
    );
    let rec = store.get_action(&p, &id).await.expect("get").expect("action");
    assert_eq!((rec.cursor, rec.done_count, rec.failed_count), (11, 8, 3));
    assert_eq!(store.list_skus(&p, &shirt.id, 10, 1).await.expect("skus").total, 3);
}

/// Products and SKUs of one project are invisible to another, and the same source_ids may
/// exist in both.
pub async fn products_are_isolated_between_projects(store: Arc<dyn Store>) {
    let a = project(&*store, "a").await;
    let b = project(&*store, "b").await;
    let prod = store
        .upsert_products(
            &a,
            vec![ProductPatch {
                attributes: Some(vec!["color".into()]),
                ..product_patch("p", "P", json!({}))
            }],
            t(1),
        )
        .await
        .expect("upsert")
        .remove(0);
    let sku = store
        .upsert_sku(
            &a,
            &prod.id,
            SkuPatch { source_id: Some("s".into()), ..Default::default() },
            t(2),
        )
        .await
        .expect("sku")
        .expect("exists");
    for key in [prod.id.as_str(), "p"] {
        assert!(store.get_product(&b, key).await.expect("get").is_none());
    }
    for key in [sku.id.as_str(), "s"] {
        assert!(store.get_sku(&b, key).await.expect("get").is_none());
    }
    assert!(
        store
            .update_product(&b, &prod.id, ProductPatch::default(), t(3))
            .await
            .expect("update")
            .is_none()
    );
    assert!(!store.delete_product(&b, &prod.id).await.expect("delete"));
    assert!(
        store.upsert_sku(&b, &prod.id, SkuPatch::default(), t(3)).await.expect("sku").is_none()
    );
    assert_eq!(store.list_skus(&b, &prod.id, 10, 1).await.expect("skus").total, 0);
    assert_eq!(store.list_products(&b, 10, 1).await.expect("list").total, 0);

    // B's SKU import cannot reach A's product; B's own product of the same source_id works.
    let id = enqueue(&*store, &b, t(4), 2).await;
    let claim = store.claim_next("w", t(5), LEASE).await.expect("claim").expect("claimed");
    let items = vec![sku_row("s", "p", Some(1), json!({}))];
    store
        .commit_chunk(&claim.fence, t(6), chunk(0, items, ReportMode::FailuresOnly))
        .await
        .expect("skus");
    assert_eq!(store.report_lines(&id, None, 10).await.expect("lines").len(), 1);
    let b_prod = store
        .upsert_products(&b, vec![product_patch("p", "B's P", json!({}))], t(7))
        .await
        .expect("b")
        .remove(0);
    assert_ne!(b_prod.id, prod.id);
    let items = vec![sku_row("s", "p", Some(2), json!({}))];
    store
        .commit_chunk(&claim.fence, t(8), chunk(1, items, ReportMode::FailuresOnly))
        .await
        .expect("skus");
    let b_sku = store.get_sku(&b, "s").await.expect("get").expect("b's sku");
    assert_eq!((b_sku.product_id, b_sku.price), (b_prod.id, Some(2)));
    let a_sku = store.get_sku(&a, "s").await.expect("get").expect("a's sku");
    assert_eq!((a_sku.id, a_sku.price), (sku.id, None));
}
