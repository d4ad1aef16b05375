//! `ORDERS.IMPORT`: historical orders from a JSON array (`POST /v1/orders/import`).
//!
//! Each order is one chunk item. The action fails an order itself when its source_id
//! repeats an earlier order of the same import, or when the project's metadata schemas
//! refuse its metadata (the order schema, with every required key; the customer schema for
//! its customer's and referrer's metadata; the product schema for its items' products). The
//! store fails the orders whose references cannot be resolved (see
//! `cv_store::plan::orders`). The result lists the failures as `{source_id, reason}`
//! (family A, `source_id` null for an order without one).
//!
//! The engine runs one import of a project at a time (`ActionKind::serial_group`).

use std::collections::HashMap;

use async_trait::async_trait;
use cv_domain::{
    OrderRecord,
    metadata_schema::{MetadataResource, MetadataSchema},
    payload::OrdersImport,
};
use cv_engine::{ActionError, ActionRun, Finish};
use cv_store::{ActionRecord, ChunkWrites, Inputs, Item, ItemError, ReportMode};

use crate::{
    Action, Start, chunk_of, left_of, metadata_error,
    report::{self, FailedShape},
};

/// The project's metadata schemas an order import checks against.
#[derive(Debug, Default)]
pub(crate) struct Schemas {
    /// For the orders' own metadata.
    pub order: Option<MetadataSchema>,
    /// For the customers' and referrers' metadata.
    pub customer: Option<MetadataSchema>,
    /// For the items' products' metadata.
    pub product: Option<MetadataSchema>,
}

pub(crate) struct Run {
    orders: Vec<OrderRecord>,
    /// The index of the first order with each source_id.
    first: HashMap<String, usize>,
    schemas: Schemas,
}

/// The failure of an order whose source_id an earlier order of the same import has.
fn repeated(source_id: &str) -> ItemError {
    ItemError {
        message: "Duplicated resource found".to_owned(),
        details: format!("source_id: '{source_id}' appears in an earlier order of this import"),
        key: "duplicate_found".to_owned(),
    }
}

#[async_trait]
impl Action for Run {
    type Payload = OrdersImport;

    async fn start(start: Start<'_>, payload: OrdersImport) -> Result<Self, ActionError> {
        let schemas = Schemas {
            order: start.schema(MetadataResource::Order).await?,
            customer: start.schema(MetadataResource::Customer).await?,
            product: start.schema(MetadataResource::Product).await?,
        };
        Ok(Self::new(payload, schemas))
    }
}

impl Run {
    fn new(payload: OrdersImport, schemas: Schemas) -> Self {
        let mut first = HashMap::new();
        for (index, order) in payload.orders.iter().enumerate() {
            if let Some(source_id) = &order.source_id {
                first.entry(source_id.clone()).or_insert(index);
            }
        }
        Self { orders: payload.orders, first, schemas }
    }

    /// Voucherify's reason when a schema refuses some metadata of the order.
    fn metadata_refusal(&self, order: &OrderRecord) -> Option<String> {
        if let Some(schema) = &self.schemas.order
            && let Err(reason) = schema.validate_json(&order.metadata, true)
        {
            return Some(reason);
        }
        if let Some(schema) = &self.schemas.customer {
            for (name, customer) in [("customer", &order.customer), ("referrer", &order.referrer)] {
                let metadata = customer.as_ref().and_then(|c| c.patch.metadata.as_ref());
                if let Some(Err(reason)) = metadata.map(|m| schema.validate_json(m, false)) {
                    return Some(format!("{name}.metadata.{reason}"));
                }
            }
        }
        if let Some(schema) = &self.schemas.product {
            for (i, item) in order.items.iter().enumerate() {
                let metadata = item.product.as_ref().and_then(|p| p.metadata.as_ref());
                if let Some(Err(reason)) = metadata.map(|m| schema.validate_json(m, false)) {
                    return Some(format!("items[{i}].product.metadata.{reason}"));
                }
            }
        }
        None
    }

    fn item(&self, index: usize, order: &OrderRecord) -> Item<OrderRecord> {
        let key = order.source_id.clone().unwrap_or_default();
        if let Some(source_id) = &order.source_id
            && self.first.get(source_id).is_some_and(|first| *first != index)
        {
            return Item::failed(key, repeated(source_id));
        }
        match self.metadata_refusal(order) {
            Some(reason) => Item::failed(key, metadata_error(reason)),
            None => Item::Write(order.clone()),
        }
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<ChunkWrites, ActionError> {
        let start = usize::try_from(cursor).unwrap_or(usize::MAX);
        let items: Vec<Item<OrderRecord>> = chunk_of(&self.orders, cursor, max)
            .iter()
            .enumerate()
            .map(|(offset, order)| self.item(start + offset, order))
            .collect();
        Ok(items.into())
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::FailuresOnly
    }

    fn items_left(&self, cursor: u64) -> Option<u64> {
        left_of(&self.orders, cursor)
    }

    async fn finish(
        &mut self,
        inputs: &dyn Inputs,
        action: &ActionRecord,
    ) -> Result<Finish, ActionError> {
        let shape = FailedShape::Item { key_name: "source_id" };
        Ok(report::import_result(inputs, action, "order", shape).await?.into())
    }
}
