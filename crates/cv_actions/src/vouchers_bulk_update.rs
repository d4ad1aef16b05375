//! `VOUCHERS.BULK_UPDATE`: merge per-code metadata into existing vouchers
//! (`POST /v1/vouchers/bulk/async`). Only metadata changes; a code that does not exist fails
//! its item (no upsert, Decision 5); error items carry `code`.

use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::{
    metadata_schema::MetadataSchema, payload::VouchersBulkUpdate, voucher::VoucherMetadataPatch,
};
use cv_engine::{ActionError, ActionRun};
use cv_store::{ActionRecord, ChunkItem, ReportMode, Store};

use crate::{ActionsConfig, chunk_of, metadata_error, report};

pub(crate) struct Run {
    vouchers: Vec<VoucherMetadataPatch>,
    schema: Option<MetadataSchema>,
    config: Arc<ActionsConfig>,
}

impl Run {
    pub fn new(
        payload: VouchersBulkUpdate,
        schema: Option<MetadataSchema>,
        config: Arc<ActionsConfig>,
    ) -> Self {
        Self { vouchers: payload.vouchers, schema, config }
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<Vec<ChunkItem>, ActionError> {
        Ok(chunk_of(&self.vouchers, cursor, max)
            .iter()
            .map(|patch| {
                let refusal = self
                    .schema
                    .as_ref()
                    .and_then(|s| s.validate_json(&patch.metadata, false).err());
                match refusal {
                    None => ChunkItem::VoucherMetadata(patch.clone()),
                    Some(reason) => {
                        ChunkItem::Failed { key: patch.code.clone(), error: metadata_error(reason) }
                    }
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
        Ok(report::bulk_report(store, action, &self.config, Some("code")).await?)
    }
}
