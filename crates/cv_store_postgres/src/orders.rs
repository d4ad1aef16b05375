//! Orders on PostgreSQL: the chunk writes of `ORDERS.IMPORT` and `impl OrderStore for
//! PostgresStore`.
//!
//! A chunk first takes the advisory locks of every source_id it may insert (customers under
//! their plain source_id, as customer chunks do; `product/…`, `sku/…`, `order/…`), all in one
//! statement in hash order, then reads the rows it names `FOR UPDATE`. So two chunks never
//! both miss a row and both insert it, and never wait on each other in a cycle.

use async_trait::async_trait;
use cv_domain::{Order, OrderRecord, ProjectId, Timestamp};
use cv_store::{
    Fence, Item, OrderPage, OrderStore, ReportLine, StoreError,
    plan::orders::{self as plan, OrderKeys, OrderRows},
    sql::{self as q, orders as qo},
};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use crate::{
    PostgresStore, chunk,
    convert::{self, error},
    db::{Params, count, execute, execute_each, lock, namespaced, query, select_by_keys},
    products,
};

/// `$1` project, `$2` ids, `$3` source_ids.
const SELECT_CUSTOMERS: &str = "SELECT id, source_id, name, description, email, phone, \
       birthdate, birthday, address, metadata, created_at, updated_at \
     FROM customers WHERE project_id = $1 AND (id = ANY($2) OR source_id = ANY($3)) FOR UPDATE";

/// `$1` project, `$2` ids, `$3` source_ids.
const SELECT_PRODUCTS: &str = "SELECT id, source_id, name, price, attributes, image_url, \
       metadata, created_at, updated_at \
     FROM products WHERE project_id = $1 AND (id = ANY($2) OR source_id = ANY($3)) FOR UPDATE";

/// `$1` project, `$2` ids, `$3` source_ids.
const SELECT_SKUS: &str = "SELECT id, source_id, product_id, sku, price, currency, attributes, \
       image_url, metadata, created_at, updated_at \
     FROM skus WHERE project_id = $1 AND (id = ANY($2) OR source_id = ANY($3)) FOR UPDATE";

/// `$1` project, `$2` ids, `$3` source_ids.
const SELECT_ORDERS: &str = "SELECT body FROM orders \
     WHERE project_id = $1 AND (id = ANY($2) OR source_id = ANY($3)) FOR UPDATE";

/// Decodes a `body` column.
fn order(row: &Row) -> Result<Order, StoreError> {
    convert::body(row, "order")
}

/// Locks the source_ids a chunk may insert, then reads (and locks) every row it names.
async fn read(
    tx: &impl GenericClient,
    project: &str,
    mut k: OrderKeys,
) -> Result<OrderRows, StoreError> {
    let mut keys = k.customer_sources.clone();
    keys.extend(namespaced("product", &k.product_sources));
    keys.extend(namespaced("sku", &k.sku_sources));
    keys.extend(namespaced("order", &k.order_sources));
    lock(tx, project, &keys).await?;
    let customers = select_by_keys(
        tx,
        SELECT_CUSTOMERS,
        project,
        &[&k.customer_ids, &k.customer_sources],
        convert::customer,
    )
    .await?;
    let skus =
        select_by_keys(tx, SELECT_SKUS, project, &[&k.sku_ids, &k.sku_sources], products::sku)
            .await?;
    k.add_sku_products(&skus);
    let products = select_by_keys(
        tx,
        SELECT_PRODUCTS,
        project,
        &[&k.product_ids, &k.product_sources],
        products::product,
    )
    .await?;
    let orders =
        select_by_keys(tx, SELECT_ORDERS, project, &[&k.order_ids, &k.order_sources], order)
            .await?;
    Ok(OrderRows { customers, products, skus, orders })
}

/// Writes the items of an order chunk and returns one report line per item. Orders that
/// planning refused move from the done to the failed count the fence added.
pub async fn commit_items(
    tx: &impl GenericClient,
    fence: &Fence,
    project: &str,
    items: Vec<Item<OrderRecord>>,
    first_line: u64,
    now: Timestamp,
) -> Result<Vec<ReportLine>, StoreError> {
    let rows = read(tx, project, plan::order_keys(&items)).await?;
    let plan = plan::plan_orders(rows, items, first_line, now);
    chunk::write_customers(tx, project, &plan.customers).await?;
    products::write_products(tx, project, &plan.products).await?;
    products::write_skus(tx, project, &plan.skus).await?;
    write_orders(tx, project, &plan.orders).await?;
    if plan.rejected > 0 {
        execute(tx, q::MOVE_DONE_TO_FAILED, &[&fence.action_id.as_str(), &plan.rejected]).await?;
    }
    Ok(plan.lines)
}

/// Inserts or overwrites planned order rows, pipelined.
async fn write_orders(
    tx: &impl GenericClient,
    project: &str,
    rows: &[Order],
) -> Result<(), StoreError> {
    execute_each(tx, qo::UPSERT_ORDER, rows, |stmt, o| async move {
        let body = convert::to_jsonb(o);
        let params: Params<'_> = &[
            &o.id.as_str(),
            &project,
            &o.source_id,
            &body,
            &o.created_at.as_millis(),
            &o.updated_at.map(Timestamp::as_millis),
        ];
        tx.execute(&stmt, params).await.map_err(error)
    })
    .await
}

#[async_trait]
impl OrderStore for PostgresStore {
    async fn get_order(
        &self,
        project: &ProjectId,
        id_or_source_id: &str,
    ) -> Result<Option<Order>, StoreError> {
        self.find(qo::SELECT_ORDER, project, id_or_source_id, order).await
    }

    async fn list_orders(
        &self,
        project: &ProjectId,
        limit: u32,
        page: u32,
    ) -> Result<OrderPage, StoreError> {
        let client = self.client().await?;
        let offset = q::page_offset(limit, page);
        let page_params: Params<'_> = &[&project.as_str(), &i64::from(limit), &offset];
        let count_params: Params<'_> = &[&project.as_str()];
        let (rows, total) = futures_util::try_join!(
            query(&client, qo::SELECT_ORDER_PAGE, page_params),
            query(&client, qo::COUNT_ORDERS, count_params),
        )?;
        Ok(OrderPage {
            orders: convert::all(&rows, order)?,
            total: total.first().map_or(Ok(0), count)?,
        })
    }
}
