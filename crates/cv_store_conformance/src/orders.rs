//! Orders: the `ORDERS.IMPORT` chunk (references found or upserted, each order all or
//! nothing, re-imports replace), reads and project isolation; and serial groups, which run
//! one order import per project at a time.

use std::sync::Arc;

use cv_domain::{
    ActionId, ActionKind, ActionStatus, CustomerPatch, Metadata, OrderRecord, OrderStatus,
    ProjectId, Timestamp,
    customer::Field,
    order::{CustomerRef, ItemProductRecord, ItemSkuRecord, OrderItemRecord, RelatedObject},
};
use serde_json::json;

use cv_store::{ChunkCommit, ChunkWrites, CommitMode, Item, ReportMode, Store};

use super::{LEASE, done, failure, new_action_of, project, t};

fn meta(v: serde_json::Value) -> Metadata {
    v.as_object().cloned().unwrap_or_default()
}

pub(crate) async fn enqueue_kind(
    store: &dyn Store,
    project: &ProjectId,
    kind: ActionKind,
    created_at: Timestamp,
) -> ActionId {
    let id = ActionId::generate();
    store
        .create_action(new_action_of(kind, &id, project, created_at, 10))
        .await
        .expect("create action");
    id
}

fn customer(source_id: &str, name: Option<&str>) -> CustomerRef {
    CustomerRef {
        id: None,
        patch: CustomerPatch {
            source_id: Some(source_id.to_owned()),
            name: name.map_or(Field::Keep, |n| Field::Set(n.to_owned())),
            ..Default::default()
        },
    }
}

fn by_id(id: &str) -> CustomerRef {
    CustomerRef { id: Some(id.to_owned()), patch: CustomerPatch::default() }
}

fn order(source_id: Option<&str>, items: Vec<OrderItemRecord>) -> OrderRecord {
    OrderRecord {
        source_id: source_id.map(str::to_owned),
        status: Some(OrderStatus::Paid),
        items,
        ..Default::default()
    }
}

fn import(orders: Vec<OrderRecord>) -> ChunkWrites {
    ChunkWrites::from(orders.into_iter().map(Item::Write).collect::<Vec<_>>())
}

fn chunk(first_item: u64, writes: ChunkWrites) -> ChunkCommit {
    let next_cursor = first_item + writes.len() as u64;
    ChunkCommit {
        first_item,
        writes,
        next_cursor,
        report: ReportMode::AllItems,
        mode: CommitMode::Commit,
    }
}

/// An order chunk upserts customers (merging given fields), products and SKUs by source_id,
/// keeps the given `created_at`, computes totals, and replaces an order re-imported by
/// source_id; an order naming a missing customer, product, SKU or order id, a SKU of another
/// product, or a new SKU without a product fails whole (its new customer is not created)
/// and moves from done to failed. Orders read back by id or source_id, newest first, and
/// only in their project.
pub async fn order_imports_upsert_references_and_replace_orders(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let other = project(&*store, "other").await;
    let action = enqueue_kind(&*store, &p, ActionKind::OrdersImport, t(1)).await;
    let claim = store.claim_next("w", t(2), LEASE).await.expect("claim").expect("claimed");
    assert_eq!(claim.record.id, action);
    let ann = store
        .upsert_customers(
            &p,
            vec![CustomerPatch {
                source_id: Some("ann".into()),
                email: Field::Set("ann@example.com".into()),
                ..Default::default()
            }],
            t(2),
        )
        .await
        .expect("seed")
        .remove(0);

    let first = OrderRecord {
        customer: Some(customer("ann", Some("Ann"))),
        referrer: Some(customer("ref", Some("Rita"))),
        created_at: Some(t(-86_400_000)),
        discount_amount: Some(100),
        metadata: meta(json!({"channel": "web"})),
        ..order(
            Some("o1"),
            vec![
                OrderItemRecord {
                    source_id: Some("phone".into()),
                    related_object: Some(RelatedObject::Product),
                    quantity: Some(2),
                    product: Some(ItemProductRecord {
                        name: Some("Phone".into()),
                        price: Some(70_000),
                        metadata: Some(meta(json!({"color": "silver"}))),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                OrderItemRecord {
                    source_id: Some("comic-1".into()),
                    related_object: Some(RelatedObject::Sku),
                    quantity: Some(1),
                    discount_amount: Some(600),
                    product: Some(ItemProductRecord {
                        source_id: Some("books".into()),
                        name: Some("Comics".into()),
                        ..Default::default()
                    }),
                    sku: Some(ItemSkuRecord {
                        sku: Some("Comic 1".into()),
                        price: Some(1600),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                OrderItemRecord { amount: Some(900), ..Default::default() },
            ],
        )
    };
    let missing_product = OrderRecord {
        customer: Some(customer("zed", Some("Zed"))),
        ..order(
            Some("o2"),
            vec![OrderItemRecord {
                product_id: Some("prod_000000000000000000".into()),
                ..Default::default()
            }],
        )
    };
    let missing_customer =
        OrderRecord { customer: Some(by_id("cust_nobody")), ..order(None, Vec::new()) };
    let new_sku_without_product = order(
        Some("o4"),
        vec![OrderItemRecord {
            source_id: Some("ghost".into()),
            related_object: Some(RelatedObject::Sku),
            ..Default::default()
        }],
    );
    let by_customer_id = OrderRecord {
        customer: Some(by_id(ann.id.as_str())),
        ..order(
            Some("o5"),
            vec![OrderItemRecord {
                source_id: Some("comic-1".into()),
                related_object: Some(RelatedObject::Sku),
                quantity: Some(3),
                ..Default::default()
            }],
        )
    };
    store
        .commit_chunk(
            &claim.fence,
            t(3),
            chunk(
                0,
                import(vec![
                    first,
                    missing_product,
                    missing_customer,
                    new_sku_without_product,
                    by_customer_id,
                ]),
            ),
        )
        .await
        .expect("commit");
    let lines = store.report_lines(&action, None, 10).await.expect("lines");
    assert_eq!(
        lines
            .iter()
            .map(|l| (
                l.key.as_str(),
                l.found,
                l.updated,
                l.error.as_ref().map(|e| e.details.as_str())
            ))
            .collect::<Vec<_>>(),
        vec![
            ("o1", false, true, None),
            ("o2", false, false, Some("Cannot find product with id prod_000000000000000000")),
            ("", false, false, Some("Cannot find customer with id cust_nobody")),
            (
                "o4",
                false,
                false,
                Some("Cannot find sku with source_id ghost (a new SKU needs the item's product)")
            ),
            ("o5", false, true, None),
        ]
    );
    let rec = store.get_action(&p, &action).await.expect("get").expect("exists");
    assert_eq!((rec.done_count, rec.failed_count), (2, 3), "refused orders move to failed");
    assert!(
        store.get_customer(&p, "zed").await.expect("get").is_none(),
        "a failed order leaves nothing"
    );

    let o1 = store.get_order(&p, "o1").await.expect("get").expect("o1");
    assert!(o1.id.as_str().starts_with("ord_"));
    assert_eq!(store.get_order(&p, o1.id.as_str()).await.expect("get"), Some(o1.clone()));
    assert_eq!(
        (o1.created_at, o1.updated_at, o1.status),
        (t(-86_400_000), None, OrderStatus::Paid)
    );
    assert_eq!(
        (o1.amount, o1.items_discount_amount, o1.total_discount_amount),
        (Some(142_500), 600, 700)
    );
    assert_eq!(o1.total_amount, Some(141_800));
    let customer = store.get_customer(&p, "ann").await.expect("get").expect("ann");
    assert_eq!(
        (customer.id.clone(), customer.name.as_deref(), customer.email.as_deref()),
        (ann.id.clone(), Some("Ann"), Some("ann@example.com"))
    );
    assert_eq!(o1.customer_id, Some(ann.id.clone()));
    let rita = store.get_customer(&p, "ref").await.expect("get").expect("referrer created");
    assert_eq!(o1.referrer_id, Some(rita.id));
    let phone = store.get_product(&p, "phone").await.expect("get").expect("phone");
    assert_eq!((phone.name.as_deref(), phone.price), (Some("Phone"), Some(70_000)));
    assert_eq!(phone.metadata, meta(json!({"color": "silver"})));
    let books = store.get_product(&p, "books").await.expect("get").expect("books");
    let comic = store.get_sku(&p, "comic-1").await.expect("get").expect("sku");
    assert_eq!(
        (comic.product_id.clone(), comic.price, comic.sku.as_deref()),
        (books.id.clone(), Some(1600), Some("Comic 1"))
    );
    assert_eq!(
        (o1.items[0].product_id.clone(), o1.items[0].amount),
        (Some(phone.id.clone()), Some(140_000))
    );
    assert_eq!(
        (o1.items[1].sku_id.clone(), o1.items[1].product_id.clone()),
        (Some(comic.id.clone()), Some(books.id.clone()))
    );
    assert_eq!(o1.items[1].subtotal_amount, Some(1000));
    assert_eq!((o1.items[2].product_id.clone(), o1.items[2].amount), (None, Some(900)));
    let o5 = store.get_order(&p, "o5").await.expect("get").expect("o5");
    assert_eq!(
        (o5.items[0].price, o5.items[0].amount),
        (Some(1600), Some(4800)),
        "the SKU's price"
    );
    assert_eq!(o5.items[0].product.as_ref().and_then(|p| p.name.as_deref()), Some("Comics"));
    assert_eq!(o5.created_at, t(3), "no created_at: the time of the import");

    // A second chunk: re-importing o1 replaces it (same id, creation time kept); an existing
    // SKU named with another product fails; items may name SKUs and products by id.
    let reimport = OrderRecord {
        status: Some(OrderStatus::Fulfilled),
        ..order(
            Some("o1"),
            vec![OrderItemRecord {
                sku_id: Some(comic.id.to_string()),
                quantity: Some(1),
                ..Default::default()
            }],
        )
    };
    let wrong_product = order(
        Some("o6"),
        vec![OrderItemRecord {
            product_id: Some(phone.id.to_string()),
            sku_id: Some(comic.id.to_string()),
            ..Default::default()
        }],
    );
    let o5 = store.get_order(&p, "o5").await.expect("get").expect("o5");
    let taken = OrderRecord { id: Some(o5.id.to_string()), ..order(Some("o1"), Vec::new()) };
    let unknown =
        OrderRecord { id: Some("ord_000000000000000000".into()), ..order(None, Vec::new()) };
    let by_order_id = OrderRecord {
        id: Some(o5.id.to_string()),
        status: Some(OrderStatus::Canceled),
        ..order(None, Vec::new())
    };
    store
        .commit_chunk(
            &claim.fence,
            t(4),
            chunk(5, import(vec![reimport, wrong_product, taken, unknown, by_order_id])),
        )
        .await
        .expect("commit");
    let again = store.get_order(&p, "o1").await.expect("get").expect("o1");
    assert_eq!(
        (again.id.clone(), again.created_at, again.updated_at),
        (o1.id.clone(), o1.created_at, Some(t(4)))
    );
    assert_eq!(
        (again.status, again.customer_id.clone(), again.amount),
        (OrderStatus::Fulfilled, None, Some(1600))
    );
    let lines = store.report_lines(&action, Some(4), 10).await.expect("lines");
    assert_eq!((lines[0].key.as_str(), lines[0].found), ("o1", true));
    assert_eq!(
        lines[1].error.as_ref().map(|e| e.details.clone()),
        Some(format!("Resource sku with id comic-1 is in use by products with ids [{}]", books.id))
    );
    assert_eq!(
        lines[2..]
            .iter()
            .map(|l| (l.key.as_str(), l.error.as_ref().map(|e| e.details.clone())))
            .collect::<Vec<_>>(),
        vec![
            ("o1", Some(format!("source_id: 'o1' belongs to another order ({})", o1.id))),
            ("", Some("Cannot find order with id ord_000000000000000000".to_owned())),
            ("", None),
        ]
    );
    let cancelled = store.get_order(&p, o5.id.as_str()).await.expect("get").expect("o5");
    assert_eq!(
        (cancelled.source_id.as_deref(), cancelled.status, cancelled.created_at),
        (Some("o5"), OrderStatus::Canceled, o5.created_at),
        "replaced by id, its source_id and creation time kept"
    );
    assert!(store.get_order(&p, "o6").await.expect("get").is_none());

    let page = store.list_orders(&p, 2, 1).await.expect("list");
    assert_eq!(page.total, 2);
    assert_eq!(
        page.orders.iter().map(|o| o.source_id.clone().unwrap_or_default()).collect::<Vec<_>>(),
        vec!["o5", "o1"],
        "newest first by the orders' own created_at"
    );
    assert!(store.list_orders(&p, 2, 2).await.expect("list").orders.is_empty());
    assert!(store.get_order(&other, "o1").await.expect("get").is_none());
    assert!(store.get_order(&other, o1.id.as_str()).await.expect("get").is_none());
    assert_eq!(store.list_orders(&other, 10, 1).await.expect("list").total, 0);
}

/// Actions of a serial group (order imports) run one at a time per project, oldest first:
/// a newer one is not claimed while an older one is ENQUEUED or IN_PROGRESS, other kinds and
/// other projects' imports are claimed meanwhile, an expired import is re-claimed, and an
/// import inserted with an older `created_at` than one already running still waits.
pub async fn serial_group_actions_run_one_at_a_time(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let q = project(&*store, "other").await;
    let first = enqueue_kind(&*store, &p, ActionKind::OrdersImport, t(10)).await;
    let second = enqueue_kind(&*store, &p, ActionKind::OrdersImport, t(11)).await;
    let bulk = enqueue_kind(&*store, &p, ActionKind::CustomersBulkUpdate, t(12)).await;
    let elsewhere = enqueue_kind(&*store, &q, ActionKind::OrdersImport, t(13)).await;
    let claim = |at: i64| {
        let store = store.clone();
        async move {
            store
                .claim_next("w", t(at), LEASE)
                .await
                .expect("claim")
                .map(|c| (c.record.id, c.fence))
        }
    };
    let (id, fence) = claim(20).await.expect("first import");
    assert_eq!(id, first);
    // The second import waits; other kinds do not, nor do other projects' imports (which
    // the queue takes first: project "other" has nothing else waiting).
    let (id, elsewhere_fence) = claim(20).await.expect("other project");
    assert_eq!(id, elsewhere, "other projects' imports do not wait");
    let (id, bulk_fence) = claim(20).await.expect("bulk");
    assert_eq!(id, bulk, "other kinds do not wait");
    assert!(claim(20).await.is_none());
    for fence in [bulk_fence, elsewhere_fence] {
        store.finish_action(&fence, t(21), &done(), None).await.expect("finish");
    }
    // The first import's worker dies: it is re-claimed after its lease, still before the
    // second one.
    let (id, fence2) = claim(21 + LEASE).await.expect("re-claimed");
    assert_eq!((id, fence2.attempt), (first.clone(), 2));
    assert!(store.extend_lease(&fence, t(22 + LEASE), LEASE).await.is_err());
    assert!(claim(22 + LEASE).await.is_none(), "the second import still waits");
    store.finish_action(&fence2, t(23 + LEASE), &done(), None).await.expect("finish");
    let (id, running) = claim(24 + LEASE).await.expect("second import");
    assert_eq!(id, second);
    // An import that arrives with an older created_at (another node's clock) waits for the
    // running one.
    let late = enqueue_kind(&*store, &p, ActionKind::OrdersImport, t(0)).await;
    assert!(claim(25 + LEASE).await.is_none());
    store.finish_action(&running, t(26 + LEASE), &failure(), None).await.expect("finish");
    assert_eq!(claim(27 + LEASE).await.map(|c| c.0), Some(late));
    let rec = store.get_action(&p, &second).await.expect("get").expect("second");
    assert_eq!(rec.status, ActionStatus::Failed);
}

/// Claimers racing over two imports of one project (and nothing else): exactly one gets an
/// import; the other import stays ENQUEUED.
pub async fn serial_group_claim_race_starts_one_import(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    for round in 0..5 {
        let base = round * 1_000;
        let a = enqueue_kind(&*store, &p, ActionKind::OrdersImport, t(base)).await;
        let b = enqueue_kind(&*store, &p, ActionKind::OrdersImport, t(base + 1)).await;
        let barrier = Arc::new(tokio::sync::Barrier::new(4));
        let mut tasks = Vec::new();
        for worker in 0..4 {
            let (store, barrier) = (store.clone(), barrier.clone());
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                store.claim_next(&format!("w{worker}"), t(base + 2), LEASE).await
            }));
        }
        let mut winners = Vec::new();
        for task in tasks {
            if let Some(claimed) = task.await.expect("join").expect("claim") {
                winners.push(claimed);
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: one import runs");
        assert_eq!(winners[0].record.id, a);
        let waiting = store.get_action(&p, &b).await.expect("get").expect("b");
        assert_eq!(waiting.status, ActionStatus::Enqueued);
        store.finish_action(&winners[0].fence, t(base + 3), &done(), None).await.expect("finish");
        let next = store.claim_next("w", t(base + 4), LEASE).await.expect("claim").expect("b");
        assert_eq!(next.record.id, b);
        store.finish_action(&next.fence, t(base + 5), &done(), None).await.expect("finish");
    }
}
