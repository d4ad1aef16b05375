//! `VOUCHERS.METADATA_UPDATE`: merge the same metadata into every listed voucher
//! (`POST /v1/vouchers/metadata/async`). A code that does not exist fails its item (no
//! upsert, Decision 5).

use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::{
    metadata_schema::MetadataSchema, payload::VouchersMetadataUpdate, voucher::VoucherMetadataPatch,
};
use cv_engine::{ActionError, ActionRun};
use cv_store::{ActionRecord, ChunkItem, ReportMode, Store};

use crate::{ActionsConfig, chunk_of, metadata_error, report};

pub(crate) struct Run {
    payload: VouchersMetadataUpdate,
    /// Why the metadata fails the project's schema, if it does: then every item fails.
    refusal: Option<String>,
    config: Arc<ActionsConfig>,
}

impl Run {
    pub fn new(
        payload: VouchersMetadataUpdate,
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
        Ok(chunk_of(&self.payload.codes, cursor, max)
            .iter()
            .map(|code| match &self.refusal {
                Some(reason) => {
                    ChunkItem::Failed { key: code.clone(), error: metadata_error(reason.clone()) }
                }
                None => ChunkItem::VoucherMetadata(VoucherMetadataPatch {
                    code: code.clone(),
                    metadata: self.payload.metadata.clone(),
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
