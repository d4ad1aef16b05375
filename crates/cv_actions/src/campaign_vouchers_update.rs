//! `CAMPAIGN.VOUCHERS_UPDATE`: pass a campaign update (`PUT /v1/campaigns/{id}`) on to its
//! vouchers: category, start and expiration dates, and the discount, gift or loyalty card.
//! Result family B: `{"message":"Updated n vouchers.","done_count":n}`.
//!
//! Which vouchers change: only those not yet published or redeemed. This server has no
//! publications (vouchers carry no holder or publish count), so the rule is
//! `redeemed_quantity == 0`; a voucher redeemed at least once keeps its terms.
//!
//! Chunks page through the campaign's unredeemed vouchers oldest first with the cursor as the
//! offset ([`cv_store::CampaignStore::unredeemed_campaign_vouchers`]). The update never
//! changes `redeemed_quantity`, so that set, and its order, stay the same while the action
//! runs: a recomputed chunk reads the same vouchers, and re-applying a change is harmless.
//! Each voucher is written back in a `VoucherWrites::Import` with `update: true`.

use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::{
    ActionResult, ProjectId, Voucher, VoucherRecord, campaign::UpdateCampaignVouchers,
};
use cv_engine::{ActionError, ActionRun, Finish};
use cv_store::{ActionRecord, ChunkWrites, Inputs, Item, ReportMode, VoucherWrites};

use crate::{Action, Start};

pub(crate) struct Run {
    payload: UpdateCampaignVouchers,
    project: ProjectId,
    inputs: Arc<dyn Inputs>,
}

#[async_trait]
impl Action for Run {
    type Payload = UpdateCampaignVouchers;

    async fn start(start: Start<'_>, payload: UpdateCampaignVouchers) -> Result<Self, ActionError> {
        Ok(Self { payload, project: start.action.project_id.clone(), inputs: start.inputs })
    }
}

/// A stored voucher as the record that writes it back unchanged.
fn record(v: Voucher) -> VoucherRecord {
    VoucherRecord {
        code: v.code,
        campaign_id: v.campaign_id,
        category: v.category,
        kind: v.kind,
        discount: v.discount,
        gift: v.gift,
        loyalty_card: v.loyalty_card,
        start_date: v.start_date,
        expiration_date: v.expiration_date,
        active: v.active,
        additional_info: v.additional_info,
        metadata: v.metadata,
        redemption_quantity: v.redemption_quantity,
        redeemed_quantity: v.redeemed_quantity,
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<ChunkWrites, ActionError> {
        let limit = u32::try_from(max).unwrap_or(u32::MAX);
        let campaign = &self.payload.campaign_id;
        let vouchers =
            self.inputs.unredeemed_vouchers(&self.project, campaign, limit, cursor).await?;
        let items = vouchers
            .into_iter()
            .map(|v| {
                let mut record = record(v);
                self.payload.apply(&mut record);
                Item::Write(record)
            })
            .collect();
        Ok(ChunkWrites::Vouchers(VoucherWrites::Import { update: true, items }))
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::FailuresOnly
    }

    async fn finish(
        &mut self,
        _inputs: &dyn Inputs,
        action: &ActionRecord,
    ) -> Result<Finish, ActionError> {
        let message = format!("Updated {} vouchers.", action.done_count);
        Ok(ActionResult::count(message, action.done_count).into())
    }
}
