//! `PRODUCTS.BULK_UPDATE`: upsert products by `source_id` (`POST /v1/products/bulk/async`).

use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::{ProductPatch, metadata_schema::MetadataSchema, payload::ProductsBulkUpdate};
use cv_engine::{ActionError, ActionRun};
use cv_store::{ActionRecord, ChunkItem, ReportMode, Store};

use crate::{ActionsConfig, chunk_of, metadata_error, report};

pub(crate) struct Run {
    products: Vec<ProductPatch>,
    schema: Option<MetadataSchema>,
    config: Arc<ActionsConfig>,
}

impl Run {
    pub fn new(
        payload: ProductsBulkUpdate,
        schema: Option<MetadataSchema>,
        config: Arc<ActionsConfig>,
    ) -> Self {
        Self { products: payload.products, schema, config }
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<Vec<ChunkItem>, ActionError> {
        Ok(chunk_of(&self.products, cursor, max)
            .iter()
            .map(|patch| {
                // What the request's JSON schema cannot check: metadata against the project's
                // product metadata schema.
                let refusal = match (&self.schema, &patch.metadata) {
                    (Some(schema), Some(metadata)) => schema.validate_json(metadata, false).err(),
                    _ => None,
                };
                match refusal {
                    None => ChunkItem::Product(patch.clone()),
                    Some(reason) => ChunkItem::Failed {
                        key: patch.source_id.clone().unwrap_or_default(),
                        error: metadata_error(reason),
                    },
                }
            })
            .collect())
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::AllItems
    }

    async fn result(
        &mut self,
        store: &dyn Store,
        action: &ActionRecord,
    ) -> Result<serde_json::Value, ActionError> {
        Ok(report::bulk_report(store, action, &self.config, Some("source_id")).await?)
    }
}
