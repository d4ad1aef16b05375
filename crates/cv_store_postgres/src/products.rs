//! Products and SKUs on PostgreSQL: the chunk writes of the product actions and
//! `impl ProductStore for PostgresStore`.
//!
//! Chunks take transaction-scoped advisory locks on the keys they touch (`product/<source_id>`,
//! `sku/<source_id>`, in hash order), so two chunks never both miss a row and both insert it;
//! a SKU chunk also locks its products `FOR SHARE`, so none is deleted under it.

use std::sync::LazyLock;

use async_trait::async_trait;
use cv_domain::{
    Product, ProductId, ProductPatch, ProjectId, Sku, SkuId, SkuPatch, SkuRecord, Timestamp,
};
use cv_store::{
    Fence, Item, ProductPage, ProductStore, ProductWrites, ReportLine, SkuPage, StoreError,
    plan::products::{self as plan, ProductPlan, SkuPlan},
    sql::{self as q, products as qp},
};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use crate::{
    PostgresStore,
    convert::{self, error, get, json_column as json},
    db::{
        Params, count, execute, execute_each, lock, namespaced, query, query_opt, select_by_keys,
    },
};

/// `$1` project, `$2` source_ids. Locks the rows until the chunk commits.
static SELECT_PRODUCTS_FOR_UPDATE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM products WHERE project_id = $1 AND source_id = ANY($2) FOR UPDATE",
        qp::PRODUCT_COLUMNS
    )
});

/// `$1` project, `$2` source_ids. Keeps the rows from being deleted until the chunk commits.
static SELECT_PRODUCTS_FOR_SHARE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM products WHERE project_id = $1 AND source_id = ANY($2) FOR SHARE",
        qp::PRODUCT_COLUMNS
    )
});

/// `$1` project, `$2` source_ids.
static SELECT_SKUS_FOR_UPDATE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM skus WHERE project_id = $1 AND source_id = ANY($2) FOR UPDATE",
        qp::SKU_COLUMNS
    )
});

/// The shared lookup by id, locking the row against a concurrent read-modify-write.
static SELECT_PRODUCT_BY_ID_FOR_UPDATE: LazyLock<String> =
    LazyLock::new(|| format!("{} FOR UPDATE", qp::SELECT_PRODUCT_BY_ID));

/// The shared lookup by id, keeping the product while a SKU is added.
static SELECT_PRODUCT_BY_ID_FOR_SHARE: LazyLock<String> =
    LazyLock::new(|| format!("{} FOR SHARE", qp::SELECT_PRODUCT_BY_ID));

/// Decodes a row selected with `cv_store::sql::products::PRODUCT_COLUMNS`.
pub(crate) fn product(row: &Row) -> Result<Product, StoreError> {
    Ok(Product {
        id: ProductId::from_string(get::<String>(row, 0)?),
        source_id: get(row, 1)?,
        name: get(row, 2)?,
        price: get(row, 3)?,
        attributes: json(row, 4)?,
        image_url: get(row, 5)?,
        metadata: json(row, 6)?,
        created_at: Timestamp::from_millis(get(row, 7)?),
        updated_at: get::<Option<i64>>(row, 8)?.map(Timestamp::from_millis),
    })
}

/// Decodes a row selected with `cv_store::sql::products::SKU_COLUMNS`.
pub(crate) fn sku(row: &Row) -> Result<Sku, StoreError> {
    Ok(Sku {
        id: SkuId::from_string(get::<String>(row, 0)?),
        source_id: get(row, 1)?,
        product_id: ProductId::from_string(get::<String>(row, 2)?),
        sku: get(row, 3)?,
        price: get(row, 4)?,
        currency: get(row, 5)?,
        attributes: json(row, 6)?,
        image_url: get(row, 7)?,
        metadata: json(row, 8)?,
        created_at: Timestamp::from_millis(get(row, 9)?),
        updated_at: get::<Option<i64>>(row, 10)?.map(Timestamp::from_millis),
    })
}

/// Writes the items of a product chunk and returns one report line per item.
pub async fn commit_items(
    tx: &impl GenericClient,
    project: &str,
    writes: ProductWrites,
    first_line: u64,
    now: Timestamp,
) -> Result<Vec<ReportLine>, StoreError> {
    Ok(apply_product_items(tx, project, writes, first_line, now).await?.lines)
}

/// Writes the rows of a SKU import chunk and returns one report line per row. Rows that
/// planning refused move from the done to the failed count the fence added.
pub async fn commit_skus(
    tx: &impl GenericClient,
    fence: &Fence,
    project: &str,
    items: Vec<Item<SkuRecord>>,
    first_line: u64,
    now: Timestamp,
) -> Result<Vec<ReportLine>, StoreError> {
    let plan = import_skus(tx, project, items, first_line, now).await?;
    if plan.rejected > 0 {
        execute(tx, q::MOVE_DONE_TO_FAILED, &[&fence.action_id.as_str(), &plan.rejected]).await?;
    }
    Ok(plan.lines)
}

/// Locks and reads the products a chunk names, plans the chunk and writes the planned rows.
async fn apply_product_items(
    tx: &impl GenericClient,
    project: &str,
    writes: ProductWrites,
    first_line: u64,
    now: Timestamp,
) -> Result<ProductPlan, StoreError> {
    let keys = plan::product_keys(&writes);
    lock(tx, project, &namespaced("product", &keys)).await?;
    let existing =
        select_by_keys(tx, &SELECT_PRODUCTS_FOR_UPDATE, project, &[&keys], product).await?;
    let plan = plan::plan_products(existing, writes, first_line, now);
    write_products(tx, project, &plan.rows).await?;
    Ok(plan)
}

/// Locks and reads the products and SKUs a SKU import chunk names, plans it and writes the
/// SKUs.
async fn import_skus(
    tx: &impl GenericClient,
    project: &str,
    items: Vec<Item<SkuRecord>>,
    first_line: u64,
    now: Timestamp,
) -> Result<SkuPlan, StoreError> {
    let (product_keys, sku_keys) = plan::sku_keys(&items);
    let mut keys = namespaced("product", &product_keys);
    keys.extend(namespaced("sku", &sku_keys));
    lock(tx, project, &keys).await?;
    let products =
        select_by_keys(tx, &SELECT_PRODUCTS_FOR_SHARE, project, &[&product_keys], product).await?;
    let existing = select_by_keys(tx, &SELECT_SKUS_FOR_UPDATE, project, &[&sku_keys], sku).await?;
    let plan = plan::plan_skus(products, existing, items, first_line, now);
    write_skus(tx, project, &plan.rows).await?;
    Ok(plan)
}

/// Inserts or overwrites planned product rows, pipelined.
pub(crate) async fn write_products(
    tx: &impl GenericClient,
    project: &str,
    rows: &[Product],
) -> Result<(), StoreError> {
    execute_each(tx, qp::UPSERT_PRODUCT, rows, |stmt, p| async move {
        let attributes = convert::to_jsonb(&p.attributes);
        let metadata = convert::to_jsonb(&p.metadata);
        let params: Params<'_> = &[
            &p.id.as_str(),
            &project,
            &p.source_id,
            &p.name,
            &p.price,
            &attributes,
            &p.image_url,
            &metadata,
            &p.created_at.as_millis(),
            &p.updated_at.map(Timestamp::as_millis),
        ];
        tx.execute(&stmt, params).await.map_err(error)
    })
    .await
}

/// Inserts or overwrites planned SKU rows, pipelined.
pub(crate) async fn write_skus(
    tx: &impl GenericClient,
    project: &str,
    rows: &[Sku],
) -> Result<(), StoreError> {
    execute_each(tx, qp::UPSERT_SKU, rows, |stmt, s| async move {
        let attributes = convert::to_jsonb(&s.attributes);
        let metadata = convert::to_jsonb(&s.metadata);
        let params: Params<'_> = &[
            &s.id.as_str(),
            &project,
            &s.product_id.as_str(),
            &s.source_id,
            &s.sku,
            &s.price,
            &s.currency,
            &attributes,
            &s.image_url,
            &metadata,
            &s.created_at.as_millis(),
            &s.updated_at.map(Timestamp::as_millis),
        ];
        tx.execute(&stmt, params).await.map_err(error)
    })
    .await
}

#[async_trait]
impl ProductStore for PostgresStore {
    async fn upsert_products(
        &self,
        project: &ProjectId,
        patches: Vec<ProductPatch>,
        now: Timestamp,
    ) -> Result<Vec<Product>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(error)?;
        let items = ProductWrites::Upserts(patches.into_iter().map(Item::Write).collect());
        let plan = apply_product_items(&tx, project.as_str(), items, 0, now).await?;
        tx.commit().await.map_err(error)?;
        Ok(plan.rows)
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
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(error)?;
        let params: Params<'_> = &[&project.as_str(), &id.as_str()];
        let Some(row) = query_opt(&tx, &SELECT_PRODUCT_BY_ID_FOR_UPDATE, params).await? else {
            return Ok(None);
        };
        let mut found = product(&row)?;
        patch.apply(&mut found, now);
        write_products(&tx, project.as_str(), std::slice::from_ref(&found)).await?;
        tx.commit().await.map_err(error)?;
        Ok(Some(found))
    }

    async fn delete_product(
        &self,
        project: &ProjectId,
        id: &ProductId,
    ) -> Result<bool, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(error)?;
        let params: Params<'_> = &[&project.as_str(), &id.as_str()];
        execute(&tx, qp::DELETE_PRODUCT_SKUS, params).await?;
        let deleted = execute(&tx, qp::DELETE_PRODUCT, params).await? > 0;
        tx.commit().await.map_err(error)?;
        Ok(deleted)
    }

    async fn list_products(
        &self,
        project: &ProjectId,
        limit: u32,
        page: u32,
    ) -> Result<ProductPage, StoreError> {
        let client = self.client().await?;
        let offset = q::page_offset(limit, page);
        let page_params: Params<'_> = &[&project.as_str(), &i64::from(limit), &offset];
        let count_params: Params<'_> = &[&project.as_str()];
        let (products, skus, total) = futures_util::try_join!(
            query(&client, qp::SELECT_PRODUCT_PAGE, page_params),
            query(&client, qp::SELECT_PRODUCT_PAGE_SKUS, page_params),
            query(&client, qp::COUNT_PRODUCTS, count_params),
        )?;
        Ok(ProductPage {
            products: convert::all(&products, product)?,
            skus: convert::all(&skus, sku)?,
            total: total.first().map_or(Ok(0), count)?,
        })
    }

    async fn list_skus(
        &self,
        project: &ProjectId,
        product: &ProductId,
        limit: u32,
        page: u32,
    ) -> Result<SkuPage, StoreError> {
        let client = self.client().await?;
        let offset = q::page_offset(limit, page);
        let page_params: Params<'_> =
            &[&project.as_str(), &product.as_str(), &i64::from(limit), &offset];
        let count_params: Params<'_> = &[&project.as_str(), &product.as_str()];
        let (skus, total) = futures_util::try_join!(
            query(&client, qp::SELECT_SKU_PAGE, page_params),
            query(&client, qp::COUNT_SKUS, count_params),
        )?;
        Ok(SkuPage { skus: convert::all(&skus, sku)?, total: total.first().map_or(Ok(0), count)? })
    }

    async fn upsert_sku(
        &self,
        project: &ProjectId,
        product_id: &ProductId,
        patch: SkuPatch,
        now: Timestamp,
    ) -> Result<Option<Sku>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(error)?;
        let source_ids: Vec<String> = patch.source_id.iter().cloned().collect();
        lock(&tx, project.as_str(), &namespaced("sku", &source_ids)).await?;
        let params: Params<'_> = &[&project.as_str(), &product_id.as_str()];
        if query_opt(&tx, &SELECT_PRODUCT_BY_ID_FOR_SHARE, params).await?.is_none() {
            return Ok(None);
        }
        let existing =
            select_by_keys(&tx, &SELECT_SKUS_FOR_UPDATE, project.as_str(), &[&source_ids], sku)
                .await?
                .pop();
        let row = plan::plan_sku_upsert(existing, product_id, patch, now)?;
        write_skus(&tx, project.as_str(), std::slice::from_ref(&row)).await?;
        tx.commit().await.map_err(error)?;
        Ok(Some(row))
    }

    async fn get_sku(
        &self,
        project: &ProjectId,
        id_or_source_id: &str,
    ) -> Result<Option<Sku>, StoreError> {
        self.find(qp::SELECT_SKU, project, id_or_source_id, sku).await
    }
}
