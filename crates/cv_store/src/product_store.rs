//! The product and SKU part of the storage contract: [`ProductStore`], part of the API's
//! role ([`crate::ApiStore`]).

use async_trait::async_trait;
use cv_domain::{Product, ProductId, ProductPatch, ProjectId, Sku, SkuPatch, Timestamp};

use crate::StoreError;

/// A page of products, the SKUs of those products, and the project's total.
#[derive(Debug, Clone)]
pub struct ProductPage {
    /// Newest first.
    pub products: Vec<Product>,
    /// Every SKU of the products on this page, oldest first.
    pub skus: Vec<Sku>,
    /// All products of the project.
    pub total: u64,
}

/// A page of one product's SKUs and that product's total.
#[derive(Debug, Clone)]
pub struct SkuPage {
    /// Oldest first.
    pub skus: Vec<Sku>,
    /// All SKUs of the product.
    pub total: u64,
}

/// Product and SKU calls. Like every store call, each is one short transaction.
#[async_trait]
pub trait ProductStore: Send + Sync {
    /// Creates or updates (by `source_id`) products in one transaction, as a chunk would.
    async fn upsert_products(
        &self,
        project: &ProjectId,
        patches: Vec<ProductPatch>,
        now: Timestamp,
    ) -> Result<Vec<Product>, StoreError>;

    /// A product by id, or else by source_id.
    async fn get_product(
        &self,
        project: &ProjectId,
        id_or_source_id: &str,
    ) -> Result<Option<Product>, StoreError>;

    /// Applies `patch` to the product with this id; `None` if there is none.
    async fn update_product(
        &self,
        project: &ProjectId,
        id: &ProductId,
        patch: ProductPatch,
        now: Timestamp,
    ) -> Result<Option<Product>, StoreError>;

    /// Deletes the product with this id and all its SKUs; whether it existed.
    async fn delete_product(&self, project: &ProjectId, id: &ProductId)
    -> Result<bool, StoreError>;

    /// A page (1-based) of products, newest first, with their SKUs and the project's total.
    async fn list_products(
        &self,
        project: &ProjectId,
        limit: u32,
        page: u32,
    ) -> Result<ProductPage, StoreError>;

    /// A page (1-based) of one product's SKUs, oldest first, and the product's total.
    async fn list_skus(
        &self,
        project: &ProjectId,
        product: &ProductId,
        limit: u32,
        page: u32,
    ) -> Result<SkuPage, StoreError>;

    /// Creates a SKU under `product`, or updates the SKU with the patch's `source_id`
    /// (metadata merged). `None` when the product does not exist; [`StoreError::Conflict`]
    /// when the source_id belongs to a SKU of another product.
    async fn upsert_sku(
        &self,
        project: &ProjectId,
        product: &ProductId,
        patch: SkuPatch,
        now: Timestamp,
    ) -> Result<Option<Sku>, StoreError>;

    /// A SKU by id, or else by source_id.
    async fn get_sku(
        &self,
        project: &ProjectId,
        id_or_source_id: &str,
    ) -> Result<Option<Sku>, StoreError>;
}
