//! The order part of the storage contract: [`OrderStore`], part of the API's role
//! ([`crate::ApiStore`]).
//! Orders are written only by `ORDERS.IMPORT` chunks ([`crate::ChunkWrites::OrderImport`],
//! planned by [`crate::plan::orders`]); these are the reads.

use async_trait::async_trait;
use cv_domain::{Order, ProjectId};

use crate::StoreError;

/// A page of orders and the project's total.
#[derive(Debug, Clone)]
pub struct OrderPage {
    /// Newest first (by `created_at`, ties by id descending).
    pub orders: Vec<Order>,
    /// All orders of the project.
    pub total: u64,
}

/// Order reads; each call is one short transaction.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// An order by id, or else by source_id.
    async fn get_order(
        &self,
        project: &ProjectId,
        id_or_source_id: &str,
    ) -> Result<Option<Order>, StoreError>;

    /// A page (1-based) of orders, newest first, with the project's total.
    async fn list_orders(
        &self,
        project: &ProjectId,
        limit: u32,
        page: u32,
    ) -> Result<OrderPage, StoreError>;
}
