//! Products and SKUs on SQLite: the chunk writes of the product actions and
//! `impl ProductStore for SqliteStore`. The single writer connection serialises chunks, so
//! reading a chunk's rows and writing the planned ones cannot race.

use async_trait::async_trait;
use cv_domain::{
    Product, ProductId, ProductPatch, ProjectId, Sku, SkuId, SkuPatch, SkuRecord, Timestamp,
};
use cv_store::{
    Fence, Item, ProductPage, ProductStore, ProductWrites, ReportLine, SkuPage, StoreError,
    plan::products::{self as plan, ProductPlan, SkuPlan},
    sql::{self as q, products as qp},
};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::convert::Cached as _;
use crate::{
    SqliteStore,
    convert::{self, error, json, select_by_keys, sql},
};

/// `?1` project, `?2` a JSON array of source_ids.
const SELECT_PRODUCTS_BY_SOURCE: &str = "SELECT id, source_id, name, price, attributes, \
       image_url, metadata, created_at, updated_at \
     FROM products WHERE project_id = ?1 AND source_id IN (SELECT value FROM json_each(?2))";

/// `?1` project, `?2` a JSON array of source_ids.
const SELECT_SKUS_BY_SOURCE: &str = "SELECT id, source_id, product_id, sku, price, currency, \
       attributes, image_url, metadata, created_at, updated_at \
     FROM skus WHERE project_id = ?1 AND source_id IN (SELECT value FROM json_each(?2))";

/// Decodes a row selected with `cv_store::sql::products::PRODUCT_COLUMNS`.
pub(crate) fn product(row: &Row<'_>) -> rusqlite::Result<Product> {
    Ok(Product {
        id: ProductId::from_string(row.get::<_, String>(0)?),
        source_id: row.get(1)?,
        name: row.get(2)?,
        price: row.get(3)?,
        attributes: json(&row.get::<_, String>(4)?)?,
        image_url: row.get(5)?,
        metadata: json(&row.get::<_, String>(6)?)?,
        created_at: Timestamp::from_millis(row.get(7)?),
        updated_at: row.get::<_, Option<i64>>(8)?.map(Timestamp::from_millis),
    })
}

/// Decodes a row selected with `cv_store::sql::products::SKU_COLUMNS`.
pub(crate) fn sku(row: &Row<'_>) -> rusqlite::Result<Sku> {
    Ok(Sku {
        id: SkuId::from_string(row.get::<_, String>(0)?),
        source_id: row.get(1)?,
        product_id: ProductId::from_string(row.get::<_, String>(2)?),
        sku: row.get(3)?,
        price: row.get(4)?,
        currency: row.get(5)?,
        attributes: json(&row.get::<_, String>(6)?)?,
        image_url: row.get(7)?,
        metadata: json(&row.get::<_, String>(8)?)?,
        created_at: Timestamp::from_millis(row.get(9)?),
        updated_at: row.get::<_, Option<i64>>(10)?.map(Timestamp::from_millis),
    })
}

/// Writes the items of a product chunk and returns one report line per item.
pub fn commit_items(
    tx: &Transaction<'_>,
    project: &str,
    writes: ProductWrites,
    first_line: u64,
    now: Timestamp,
) -> Result<Vec<ReportLine>, StoreError> {
    Ok(apply_product_items(tx, project, writes, first_line, now)?.lines)
}

/// Writes the rows of a SKU import chunk and returns one report line per row. Rows that
/// planning refused move from the done to the failed count the fence added.
pub fn commit_skus(
    tx: &Transaction<'_>,
    fence: &Fence,
    project: &str,
    items: Vec<Item<SkuRecord>>,
    first_line: u64,
    now: Timestamp,
) -> Result<Vec<ReportLine>, StoreError> {
    let plan = import_skus(tx, project, items, first_line, now)?;
    if plan.rejected > 0 {
        tx.exec(&sql(q::MOVE_DONE_TO_FAILED), params![fence.action_id.as_str(), plan.rejected])
            .map_err(error)?;
    }
    Ok(plan.lines)
}

/// Reads the products a chunk names, plans the chunk and writes the planned rows.
fn apply_product_items(
    tx: &Transaction<'_>,
    project: &str,
    writes: ProductWrites,
    first_line: u64,
    now: Timestamp,
) -> Result<ProductPlan, StoreError> {
    let keys = plan::product_keys(&writes);
    let existing = select_by_keys(tx, SELECT_PRODUCTS_BY_SOURCE, project, &[&keys], product)?;
    let plan = plan::plan_products(existing, writes, first_line, now);
    for row in &plan.rows {
        write_product(tx, project, row)?;
    }
    Ok(plan)
}

/// Reads the products and SKUs a SKU import chunk names, plans it and writes the SKUs.
fn import_skus(
    tx: &Transaction<'_>,
    project: &str,
    items: Vec<Item<SkuRecord>>,
    first_line: u64,
    now: Timestamp,
) -> Result<SkuPlan, StoreError> {
    let (product_keys, sku_keys) = plan::sku_keys(&items);
    let products =
        select_by_keys(tx, SELECT_PRODUCTS_BY_SOURCE, project, &[&product_keys], product)?;
    let existing = select_by_keys(tx, SELECT_SKUS_BY_SOURCE, project, &[&sku_keys], sku)?;
    let plan = plan::plan_skus(products, existing, items, first_line, now);
    for row in &plan.rows {
        write_sku(tx, project, row)?;
    }
    Ok(plan)
}

pub(crate) fn write_product(
    tx: &Transaction<'_>,
    project: &str,
    p: &Product,
) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(&sql(qp::UPSERT_PRODUCT)).map_err(error)?;
    stmt.execute(params![
        p.id.as_str(),
        project,
        p.source_id,
        p.name,
        p.price,
        convert::to_json(&p.attributes),
        p.image_url,
        convert::to_json(&p.metadata),
        p.created_at.as_millis(),
        p.updated_at.map(Timestamp::as_millis),
    ])
    .map_err(error)?;
    Ok(())
}

pub(crate) fn write_sku(tx: &Transaction<'_>, project: &str, s: &Sku) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(&sql(qp::UPSERT_SKU)).map_err(error)?;
    stmt.execute(params![
        s.id.as_str(),
        project,
        s.product_id.as_str(),
        s.source_id,
        s.sku,
        s.price,
        s.currency,
        convert::to_json(&s.attributes),
        s.image_url,
        convert::to_json(&s.metadata),
        s.created_at.as_millis(),
        s.updated_at.map(Timestamp::as_millis),
    ])
    .map_err(error)?;
    Ok(())
}

fn product_by_id(
    c: &Connection,
    project: &ProjectId,
    id: &ProductId,
) -> Result<Option<Product>, StoreError> {
    c.row(&sql(qp::SELECT_PRODUCT_BY_ID), params![project.as_str(), id.as_str()], product)
        .optional()
        .map_err(error)
}

#[async_trait]
impl ProductStore for SqliteStore {
    async fn upsert_products(
        &self,
        project: &ProjectId,
        patches: Vec<ProductPatch>,
        now: Timestamp,
    ) -> Result<Vec<Product>, StoreError> {
        let project = project.clone();
        self.write(move |tx| {
            let items = ProductWrites::Upserts(patches.into_iter().map(Item::Write).collect());
            Ok(apply_product_items(tx, project.as_str(), items, 0, now)?.rows)
        })
        .await
    }

    async fn get_product(
        &self,
        project: &ProjectId,
        id_or_source_id: &str,
    ) -> Result<Option<Product>, StoreError> {
        self.find(qp::SELECT_PRODUCT, project, id_or_source_id, product).await
    }

    async fn update_product(
        &self,
        project: &ProjectId,
        id: &ProductId,
        patch: ProductPatch,
        now: Timestamp,
    ) -> Result<Option<Product>, StoreError> {
        let (project, id) = (project.clone(), id.clone());
        self.write(move |tx| {
            let Some(mut found) = product_by_id(tx, &project, &id)? else {
                return Ok(None);
            };
            patch.apply(&mut found, now);
            write_product(tx, project.as_str(), &found)?;
            Ok(Some(found))
        })
        .await
    }

    async fn delete_product(
        &self,
        project: &ProjectId,
        id: &ProductId,
    ) -> Result<bool, StoreError> {
        let (project, id) = (project.clone(), id.clone());
        self.write(move |tx| {
            let p = params![project.as_str(), id.as_str()];
            tx.exec(&sql(qp::DELETE_PRODUCT_SKUS), p).map_err(error)?;
            Ok(tx.exec(&sql(qp::DELETE_PRODUCT), p).map_err(error)? > 0)
        })
        .await
    }

    async fn list_products(
        &self,
        project: &ProjectId,
        limit: u32,
        page: u32,
    ) -> Result<ProductPage, StoreError> {
        let project = project.clone();
        self.read(move |c| {
            let offset = q::page_offset(limit, page);
            let p = params![project.as_str(), i64::from(limit), offset];
            let products = c
                .prepare_cached(&sql(qp::SELECT_PRODUCT_PAGE))?
                .query_map(p, product)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let skus = c
                .prepare_cached(&sql(qp::SELECT_PRODUCT_PAGE_SKUS))?
                .query_map(p, sku)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let total: i64 = c.row(&sql(qp::COUNT_PRODUCTS), [project.as_str()], |r| r.get(0))?;
            Ok(ProductPage { products, skus, total: total as u64 })
        })
        .await
    }

    async fn list_skus(
        &self,
        project: &ProjectId,
        product: &ProductId,
        limit: u32,
        page: u32,
    ) -> Result<SkuPage, StoreError> {
        let (project, product) = (project.clone(), product.clone());
        self.read(move |c| {
            let offset = q::page_offset(limit, page);
            let skus = c
                .prepare_cached(&sql(qp::SELECT_SKU_PAGE))?
                .query_map(
                    params![project.as_str(), product.as_str(), i64::from(limit), offset],
                    sku,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let total: i64 =
                c.row(&sql(qp::COUNT_SKUS), params![project.as_str(), product.as_str()], |r| {
                    r.get(0)
                })?;
            Ok(SkuPage { skus, total: total as u64 })
        })
        .await
    }

    async fn upsert_sku(
        &self,
        project: &ProjectId,
        product: &ProductId,
        patch: SkuPatch,
        now: Timestamp,
    ) -> Result<Option<Sku>, StoreError> {
        let (project, product) = (project.clone(), product.clone());
        self.write(move |tx| {
            if product_by_id(tx, &project, &product)?.is_none() {
                return Ok(None);
            }
            let existing = match &patch.source_id {
                Some(source_id) => tx
                    .row(&sql(qp::SELECT_SKU_BY_SOURCE), params![project.as_str(), source_id], sku)
                    .optional()
                    .map_err(error)?,
                None => None,
            };
            let row = plan::plan_sku_upsert(existing, &product, patch, now)?;
            write_sku(tx, project.as_str(), &row)?;
            Ok(Some(row))
        })
        .await
    }

    async fn get_sku(
        &self,
        project: &ProjectId,
        id_or_source_id: &str,
    ) -> Result<Option<Sku>, StoreError> {
        self.find(qp::SELECT_SKU, project, id_or_source_id, sku).await
    }
}
