//! Orders on SQLite: the chunk writes of `ORDERS.IMPORT` and `impl OrderStore for
//! SqliteStore`. The single writer connection serialises chunks, so reading the rows a chunk
//! names and writing the planned ones cannot race.

use async_trait::async_trait;
use cv_domain::{Order, OrderRecord, ProjectId, Timestamp};
use cv_store::{
    Fence, Item, OrderPage, OrderStore, ReportLine, StoreError,
    plan::orders::{self as plan, OrderKeys, OrderRows},
    sql::{self as q, orders as qo},
};
use rusqlite::{Row, Transaction, params};

use crate::convert::Cached as _;
use crate::{
    SqliteStore, chunk,
    convert::{self, error, select_by_keys, sql},
    products,
};

/// `?1` project, `?2` a JSON array of ids, `?3` a JSON array of source_ids.
const SELECT_CUSTOMERS: &str = "SELECT id, source_id, name, description, email, phone, \
       birthdate, birthday, address, metadata, created_at, updated_at \
     FROM customers WHERE project_id = ?1 AND (id IN (SELECT value FROM json_each(?2)) \
       OR source_id IN (SELECT value FROM json_each(?3)))";

/// `?1` project, `?2` a JSON array of ids, `?3` a JSON array of source_ids.
const SELECT_PRODUCTS: &str = "SELECT id, source_id, name, price, attributes, image_url, \
       metadata, created_at, updated_at \
     FROM products WHERE project_id = ?1 AND (id IN (SELECT value FROM json_each(?2)) \
       OR source_id IN (SELECT value FROM json_each(?3)))";

/// `?1` project, `?2` a JSON array of ids, `?3` a JSON array of source_ids.
const SELECT_SKUS: &str = "SELECT id, source_id, product_id, sku, price, currency, attributes, \
       image_url, metadata, created_at, updated_at \
     FROM skus WHERE project_id = ?1 AND (id IN (SELECT value FROM json_each(?2)) \
       OR source_id IN (SELECT value FROM json_each(?3)))";

/// `?1` project, `?2` a JSON array of ids, `?3` a JSON array of source_ids.
const SELECT_ORDERS: &str = "SELECT body FROM orders WHERE project_id = ?1 \
     AND (id IN (SELECT value FROM json_each(?2)) OR source_id IN (SELECT value FROM json_each(?3)))";

/// Decodes a `body` column.
fn order(row: &Row<'_>) -> rusqlite::Result<Order> {
    convert::body(row)
}

/// Reads every row an order chunk names.
fn read(tx: &Transaction<'_>, project: &str, mut k: OrderKeys) -> Result<OrderRows, StoreError> {
    let skus =
        select_by_keys(tx, SELECT_SKUS, project, &[&k.sku_ids, &k.sku_sources], products::sku)?;
    k.add_sku_products(&skus);
    Ok(OrderRows {
        customers: select_by_keys(
            tx,
            SELECT_CUSTOMERS,
            project,
            &[&k.customer_ids, &k.customer_sources],
            convert::customer,
        )?,
        products: select_by_keys(
            tx,
            SELECT_PRODUCTS,
            project,
            &[&k.product_ids, &k.product_sources],
            products::product,
        )?,
        skus,
        orders: select_by_keys(
            tx,
            SELECT_ORDERS,
            project,
            &[&k.order_ids, &k.order_sources],
            order,
        )?,
    })
}

/// Writes the items of an order chunk and returns one report line per item. Orders that
/// planning refused move from the done to the failed count the fence added.
pub fn commit_items(
    tx: &Transaction<'_>,
    fence: &Fence,
    project: &str,
    items: Vec<Item<OrderRecord>>,
    first_line: u64,
    now: Timestamp,
) -> Result<Vec<ReportLine>, StoreError> {
    let rows = read(tx, project, plan::order_keys(&items))?;
    let plan = plan::plan_orders(rows, items, first_line, now);
    for c in &plan.customers {
        chunk::write_customer(tx, project, c)?;
    }
    for p in &plan.products {
        products::write_product(tx, project, p)?;
    }
    for s in &plan.skus {
        products::write_sku(tx, project, s)?;
    }
    let mut stmt = tx.prepare_cached(&sql(qo::UPSERT_ORDER)).map_err(error)?;
    for o in &plan.orders {
        stmt.execute(params![
            o.id.as_str(),
            project,
            o.source_id,
            convert::to_json(o),
            o.created_at.as_millis(),
            o.updated_at.map(Timestamp::as_millis),
        ])
        .map_err(error)?;
    }
    if plan.rejected > 0 {
        tx.exec(&sql(q::MOVE_DONE_TO_FAILED), params![fence.action_id.as_str(), plan.rejected])
            .map_err(error)?;
    }
    Ok(plan.lines)
}

#[async_trait]
impl OrderStore for SqliteStore {
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
        let project = project.clone();
        self.read(move |c| {
            let offset = q::page_offset(limit, page);
            let orders = c
                .prepare_cached(&sql(qo::SELECT_ORDER_PAGE))?
                .query_map(params![project.as_str(), i64::from(limit), offset], order)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let total: i64 = c.row(&sql(qo::COUNT_ORDERS), [project.as_str()], |r| r.get(0))?;
            Ok(OrderPage { orders, total: total as u64 })
        })
        .await
    }
}
