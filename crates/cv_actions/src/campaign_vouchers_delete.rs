//! `CAMPAIGN.VOUCHERS_DELETE`: delete a campaign and its vouchers
//! (`DELETE /v1/campaigns/{id}?force=…`). The API has already moved the campaign to the bin,
//! so it is hidden at once and no producer can add to it; this action then deletes its
//! vouchers in one store transaction ([`cv_store::CampaignStore::delete_campaign`]): into
//! the bin too (`force=false`: hidden from every read, codes and campaign name still taken),
//! or for good with the campaign row (`force=true`: the name is free again). Result family B:
//! `{"message":"Deleted n vouchers.","done_count":n}`.
//!
//! There are no chunk items; the work is the result step. A repeated result step after a
//! binning counts the same vouchers again; after a forced delete it would find none left
//! (and report 0), which only happens if the process dies between the delete and the
//! action's completion.

use async_trait::async_trait;
use cv_domain::campaign::DeleteCampaign;
use cv_engine::{ActionError, ActionRun};
use cv_store::{ActionRecord, ChunkItem, ReportMode, Store};
use serde_json::{Value, json};

pub(crate) struct Run {
    payload: DeleteCampaign,
}

impl Run {
    pub fn new(payload: DeleteCampaign) -> Self {
        Self { payload }
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, _cursor: u64, _max: usize) -> Result<Vec<ChunkItem>, ActionError> {
        Ok(Vec::new())
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::FailuresOnly
    }

    async fn result(
        &mut self,
        store: &dyn Store,
        action: &ActionRecord,
    ) -> Result<Value, ActionError> {
        let p = &self.payload;
        let n = store.delete_campaign(&action.project_id, &p.campaign_id, p.force).await?;
        Ok(json!({
            "message": format!("Deleted {n} vouchers."),
            "done_count": n,
        }))
    }
}
