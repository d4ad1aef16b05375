//! `CAMPAIGN.VOUCHERS_IMPORT`: add vouchers to a campaign from a JSON array
//! (`POST /v1/campaigns/{id}/import`). The API already made each item a record of the
//! campaign (its template plus the item's fields), so the items run exactly as
//! `VOUCHERS.IMPORT` items do ([`crate::vouchers_import`]): metadata the project's voucher
//! schema refuses, and codes that exist by the time the item runs, fail their item; the result
//! lists them as `{code, reason}` (family A).
//!
//! When every chunk is done, [`ActionRun::result`] sets the campaign's `vouchers_count` to the
//! number of vouchers it now holds, as generation does (idempotent; a campaign deleted
//! meanwhile is left alone).

use async_trait::async_trait;
use cv_domain::{
    metadata_schema::MetadataSchema,
    payload::{CampaignVouchersImport, VouchersImport},
};
use cv_engine::{ActionError, ActionRun};
use cv_store::{ActionRecord, ChunkItem, ReportMode, Store};
use serde_json::Value;

use crate::vouchers_import;

pub(crate) struct Run {
    campaign_id: String,
    inner: vouchers_import::Run,
}

impl Run {
    pub fn new(payload: CampaignVouchersImport, schema: Option<MetadataSchema>) -> Self {
        let vouchers = VouchersImport { vouchers: payload.vouchers };
        Self {
            campaign_id: payload.campaign_id,
            inner: vouchers_import::Run::new(vouchers, schema),
        }
    }
}

/// Sets the campaign's `vouchers_count` to the vouchers it holds now (as generation does).
pub(crate) async fn recount(
    store: &dyn Store,
    action: &ActionRecord,
    campaign_id: &str,
) -> Result<(), ActionError> {
    let project = &action.project_id;
    if let Some(mut campaign) = store.get_campaign(project, campaign_id).await? {
        campaign.vouchers_count =
            store.list_vouchers(project, Some(campaign_id), 1, 1).await?.total;
        campaign.updated_at = Some(action.updated_at);
        store.update_campaign(project, &campaign).await?;
    }
    Ok(())
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<Vec<ChunkItem>, ActionError> {
        self.inner.chunk(cursor, max).await
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::FailuresOnly
    }

    async fn result(
        &mut self,
        store: &dyn Store,
        action: &ActionRecord,
    ) -> Result<Value, ActionError> {
        recount(store, action, &self.campaign_id).await?;
        self.inner.result(store, action).await
    }
}
