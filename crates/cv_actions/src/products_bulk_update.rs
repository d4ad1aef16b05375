//! `PRODUCTS.BULK_UPDATE`: upsert products by `source_id` (`POST /v1/products/bulk/async`).

use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::{
    ProductPatch,
    metadata_schema::{MetadataResource, MetadataSchema},
    payload::ProductsBulkUpdate,
};
use cv_engine::{ActionError, ActionRun, Finish};
use cv_store::{ActionRecord, ChunkWrites, Inputs, Item, ReportMode};

use crate::{Action, ActionsConfig, Start, chunk_of, left_of, metadata_error, report};

pub(crate) struct Run {
    products: Vec<ProductPatch>,
    schema: Option<MetadataSchema>,
    config: Arc<ActionsConfig>,
}

#[async_trait]
impl Action for Run {
    type Payload = ProductsBulkUpdate;

    async fn start(start: Start<'_>, payload: ProductsBulkUpdate) -> Result<Self, ActionError> {
        let schema = start.schema(MetadataResource::Product).await?;
        Ok(Self { products: payload.products, schema, config: start.config })
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<ChunkWrites, ActionError> {
        let items: Vec<Item<ProductPatch>> = chunk_of(&self.products, cursor, max)
            .iter()
            .map(|patch| {
                // What the request's JSON schema cannot check: metadata against the project's
                // product metadata schema.
                let refusal = match (&self.schema, &patch.metadata) {
                    (Some(schema), Some(metadata)) => schema.validate_json(metadata, false).err(),
                    _ => None,
                };
                match refusal {
                    None => Item::Write(patch.clone()),
                    Some(reason) => Item::failed(
                        patch.source_id.clone().unwrap_or_default(),
                        metadata_error(reason),
                    ),
                }
            })
            .collect();
        Ok(items.into())
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::AllItems
    }

    fn items_left(&self, cursor: u64) -> Option<u64> {
        left_of(&self.products, cursor)
    }

    async fn finish(
        &mut self,
        inputs: &dyn Inputs,
        action: &ActionRecord,
    ) -> Result<Finish, ActionError> {
        Ok(report::bulk_report(inputs, action, &self.config, Some("source_id")).await?.into())
    }
}
