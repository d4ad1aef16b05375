//! `CAMPAIGN.VOUCHERS_DELETE`: delete a campaign and its vouchers
//! (`DELETE /v1/campaigns/{id}?force=…`). The API has already moved the campaign to the bin,
//! so it is hidden at once and no producer can add to it; this action then deletes its
//! vouchers chunk by chunk: into the bin too (`force=false`: hidden from every read, codes
//! and campaign name still taken), or for good (`force=true`), and then, in its finish, the
//! campaign row of a forced delete (the name is free again). Result family B:
//! `{"message":"Deleted n vouchers.","done_count":n}`.
//!
//! Crash safety, as for a purge: each chunk asks for vouchers the delete has not removed yet
//! (any voucher of the campaign for `force`, else those not in the bin) and removes them in
//! its fenced commit, which counts only the vouchers it really removed. A chunk lost in a
//! crash removed nothing, so the next claim finds exactly what is left; `done_count` is the
//! number of vouchers deleted, whenever the process died. The campaign row goes with the
//! finish, in the transaction that ends the action.

use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::{ActionResult, ProjectId, campaign::DeleteCampaign};
use cv_engine::{ActionError, ActionRun, Finish};
use cv_store::{ActionRecord, ChunkWrites, FinishEffect, Inputs, ReportMode};

use crate::{Action, Start};

pub(crate) struct Run {
    payload: DeleteCampaign,
    project: ProjectId,
    inputs: Arc<dyn Inputs>,
    /// The vouchers left to delete when the run started.
    left: u64,
}

#[async_trait]
impl Action for Run {
    type Payload = DeleteCampaign;

    async fn start(start: Start<'_>, payload: DeleteCampaign) -> Result<Self, ActionError> {
        let project = start.action.project_id.clone();
        let (campaign, force) = (&payload.campaign_id, payload.force);
        let left = start.inputs.count_vouchers_to_delete(&project, campaign, force).await?;
        Ok(Self { payload, project, inputs: start.inputs, left })
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, _cursor: u64, max: usize) -> Result<ChunkWrites, ActionError> {
        let limit = u32::try_from(max).unwrap_or(u32::MAX);
        let DeleteCampaign { campaign_id, force } = &self.payload;
        let ids = self.inputs.vouchers_to_delete(&self.project, campaign_id, *force, limit).await?;
        Ok(ChunkWrites::CampaignVoucherDeletes {
            campaign_id: campaign_id.clone(),
            force: *force,
            ids,
        })
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::FailuresOnly
    }

    fn remaining(&self) -> Option<u64> {
        Some(self.left)
    }

    async fn finish(
        &mut self,
        _inputs: &dyn Inputs,
        action: &ActionRecord,
    ) -> Result<Finish, ActionError> {
        let n = action.done_count;
        let result = ActionResult::count(format!("Deleted {n} vouchers."), n);
        let campaign_id = self.payload.campaign_id.clone();
        let effect = self.payload.force.then_some(FinishEffect::DeleteCampaign { campaign_id });
        Ok(Finish { result, effect })
    }
}
