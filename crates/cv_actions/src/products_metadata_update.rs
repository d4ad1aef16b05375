//! `PRODUCTS.METADATA_UPDATE`: merge the same metadata into every listed product, creating
//! missing ones (`POST /v1/products/metadata/async`).

use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::{ProductPatch, metadata_schema::MetadataSchema, payload::ProductsMetadataUpdate};
use cv_engine::{ActionError, ActionRun};
use cv_store::{ActionRecord, ChunkItem, ReportMode, Store};

use crate::{ActionsConfig, chunk_of, metadata_error, report};

pub(crate) struct Run {
    payload: ProductsMetadataUpdate,
    /// Why the metadata fails the project's schema, if it does: then every item fails.
    refusal: Option<String>,
    config: Arc<ActionsConfig>,
}

impl Run {
    pub fn new(
        payload: ProductsMetadataUpdate,
        schema: Option<MetadataSchema>,
        config: Arc<ActionsConfig>,
    ) -> Self {
        let refusal = schema.and_then(|s| s.validate_json(&payload.metadata, false).err());
        Self { payload, refusal, config }
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<Vec<ChunkItem>, ActionError> {
        Ok(chunk_of(&self.payload.source_ids, cursor, max)
            .iter()
            .map(|source_id| match &self.refusal {
                Some(reason) => ChunkItem::Failed {
                    key: source_id.clone(),
                    error: metadata_error(reason.clone()),
                },
                None => ChunkItem::Product(ProductPatch {
                    source_id: Some(source_id.clone()),
                    metadata: Some(self.payload.metadata.clone()),
                    ..Default::default()
                }),
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
        Ok(report::bulk_report(store, action, &self.config, None).await?)
    }
}
