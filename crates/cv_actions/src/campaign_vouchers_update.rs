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
//! Each voucher is written back as a `VoucherImport` item with `update: true`.

use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::{Voucher, VoucherRecord, campaign::UpdateCampaignVouchers};
use cv_engine::{ActionError, ActionRun};
use cv_store::{ActionRecord, ChunkItem, ReportMode, Store};
use serde_json::{Value, json};

pub(crate) struct Run {
    payload: UpdateCampaignVouchers,
    action: ActionRecord,
    store: Arc<dyn Store>,
}

impl Run {
    pub fn new(
        action: &ActionRecord,
        payload: UpdateCampaignVouchers,
        store: Arc<dyn Store>,
    ) -> Self {
        Self { payload, action: action.clone(), store }
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
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<Vec<ChunkItem>, ActionError> {
        let limit = u32::try_from(max).unwrap_or(u32::MAX);
        let vouchers = self
            .store
            .unredeemed_campaign_vouchers(
                &self.action.project_id,
                &self.payload.campaign_id,
                limit,
                cursor,
            )
            .await?;
        Ok(vouchers
            .into_iter()
            .map(|v| {
                let mut record = record(v);
                self.payload.apply(&mut record);
                ChunkItem::VoucherImport { record, update: true }
            })
            .collect())
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::FailuresOnly
    }

    async fn result(
        &mut self,
        _store: &dyn Store,
        action: &ActionRecord,
    ) -> Result<Value, ActionError> {
        Ok(json!({
            "message": format!("Updated {} vouchers.", action.done_count),
            "done_count": action.done_count,
        }))
    }
}
