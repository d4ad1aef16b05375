//! `CAMPAIGN.VOUCHERS_IMPORT`: add vouchers to a campaign from a JSON array
//! (`POST /v1/campaigns/{id}/import`). The API already made each item a record of the
//! campaign (its template plus the item's fields), so the items run exactly as
//! `VOUCHERS.IMPORT` items do ([`crate::vouchers_import`]): metadata the project's voucher
//! schema refuses, and codes that exist by the time the item runs, fail their item; the result
//! lists them as `{code, reason}` (family A).
//!
//! The finish sets the campaign's `vouchers_count` to the number of vouchers it now holds, as
//! generation does, in the transaction that ends the action ([`recount`]; a campaign deleted
//! meanwhile is left alone).

use async_trait::async_trait;
use cv_domain::{
    metadata_schema::MetadataResource,
    payload::{CampaignVouchersImport, VouchersImport},
};
use cv_engine::{ActionError, ActionRun, Finish};
use cv_store::{ActionRecord, ChunkWrites, FinishEffect, Inputs, ReportMode};

use crate::{Action, Start, vouchers_import};

pub(crate) struct Run {
    campaign_id: String,
    inner: vouchers_import::Run,
}

#[async_trait]
impl Action for Run {
    type Payload = CampaignVouchersImport;

    async fn start(start: Start<'_>, payload: CampaignVouchersImport) -> Result<Self, ActionError> {
        let schema = start.schema(MetadataResource::Voucher).await?;
        let vouchers = VouchersImport { vouchers: payload.vouchers };
        Ok(Self {
            campaign_id: payload.campaign_id,
            inner: vouchers_import::Run::new(vouchers, schema),
        })
    }
}

/// `finish`, with the campaign's `vouchers_count` set to the vouchers it holds now (as
/// generation does) in the same transaction.
pub(crate) fn recount(finish: Finish, campaign_id: &str) -> Finish {
    let campaign_id = campaign_id.to_owned();
    Finish {
        effect: Some(FinishEffect::RecountCampaign { campaign_id, generation: false }),
        ..finish
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<ChunkWrites, ActionError> {
        self.inner.chunk(cursor, max).await
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::FailuresOnly
    }

    async fn finish(
        &mut self,
        inputs: &dyn Inputs,
        action: &ActionRecord,
    ) -> Result<Finish, ActionError> {
        Ok(recount(self.inner.finish(inputs, action).await?, &self.campaign_id))
    }
}
