//! `VOUCHERS.BULK_UPDATE`: merge per-code metadata into existing vouchers
//! (`POST /v1/vouchers/bulk/async`). Only metadata changes; a code that does not exist fails
//! its item (no upsert, Decision 5); error items carry `code`.

use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::{
    metadata_schema::{MetadataResource, MetadataSchema},
    payload::VouchersBulkUpdate,
    voucher::VoucherMetadataPatch,
};
use cv_engine::{ActionError, ActionRun, Finish};
use cv_store::{ActionRecord, ChunkWrites, Inputs, Item, ReportMode};

use crate::{Action, ActionsConfig, Start, chunk_of, left_of, metadata_error, report};

pub(crate) struct Run {
    vouchers: Vec<VoucherMetadataPatch>,
    schema: Option<MetadataSchema>,
    config: Arc<ActionsConfig>,
}

#[async_trait]
impl Action for Run {
    type Payload = VouchersBulkUpdate;

    async fn start(start: Start<'_>, payload: VouchersBulkUpdate) -> Result<Self, ActionError> {
        let schema = start.schema(MetadataResource::Voucher).await?;
        Ok(Self { vouchers: payload.vouchers, schema, config: start.config })
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<ChunkWrites, ActionError> {
        let items: Vec<Item<VoucherMetadataPatch>> = chunk_of(&self.vouchers, cursor, max)
            .iter()
            .map(|patch| {
                let refusal = self
                    .schema
                    .as_ref()
                    .and_then(|s| s.validate_json(&patch.metadata, false).err());
                match refusal {
                    None => Item::Write(patch.clone()),
                    Some(reason) => Item::failed(patch.code.clone(), metadata_error(reason)),
                }
            })
            .collect();
        Ok(items.into())
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::AllItems
    }

    fn items_left(&self, cursor: u64) -> Option<u64> {
        left_of(&self.vouchers, cursor)
    }

    async fn finish(
        &mut self,
        inputs: &dyn Inputs,
        action: &ActionRecord,
    ) -> Result<Finish, ActionError> {
        Ok(report::bulk_report(inputs, action, &self.config, Some("code")).await?.into())
    }
}
