//! Campaigns on PostgreSQL: `impl CampaignStore for PostgresStore`, the chunk writes of a
//! campaign delete, and the campaign effects of a finishing action.

use async_trait::async_trait;
use cv_domain::{ActionStatus, Campaign, ProjectId, Timestamp};
use cv_store::{
    CampaignPage, CampaignStore, Fence, FinishEffect, StoreError, plan,
    sql::{self as q, campaigns as qc},
};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use crate::{
    PostgresStore,
    convert::{self, error},
    db::{Params, count, execute, query, query_opt},
};

/// Decodes a `body` column.
fn campaign(row: &Row) -> Result<Campaign, StoreError> {
    convert::body(row, "campaign")
}

#[async_trait]
impl CampaignStore for PostgresStore {
    async fn create_campaign(
        &self,
        project: &ProjectId,
        campaign: &Campaign,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        let body = convert::to_jsonb(campaign);
        let params: Params<'_> = &[
            &campaign.id,
            &project.as_str(),
            &campaign.name,
            &body,
            &campaign.created_at.as_millis(),
        ];
        execute(&client, qc::INSERT_CAMPAIGN, params).await?;
        Ok(())
    }

    async fn update_campaign(
        &self,
        project: &ProjectId,
        campaign: &Campaign,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let body = convert::to_jsonb(campaign);
        let params: Params<'_> = &[&project.as_str(), &campaign.id, &campaign.name, &body];
        Ok(execute(&client, qc::UPDATE_CAMPAIGN, params).await? > 0)
    }

    async fn get_campaign(
        &self,
        project: &ProjectId,
        id_or_name: &str,
    ) -> Result<Option<Campaign>, StoreError> {
        self.find(qc::SELECT_CAMPAIGN, project, id_or_name, campaign).await
    }

    async fn list_campaigns(
        &self,
        project: &ProjectId,
        limit: u32,
        page: u32,
    ) -> Result<CampaignPage, StoreError> {
        let client = self.client().await?;
        let offset = cv_store::sql::page_offset(limit, page);
        let page_params: Params<'_> = &[&project.as_str(), &i64::from(limit), &offset];
        let count_params: Params<'_> = &[&project.as_str()];
        let (campaigns, total) = futures_util::try_join!(
            query(&client, qc::SELECT_CAMPAIGN_PAGE, page_params),
            query(&client, qc::COUNT_CAMPAIGNS, count_params),
        )?;
        Ok(CampaignPage {
            campaigns: convert::all(&campaigns, campaign)?,
            total: total.first().map_or(Ok(0), count)?,
        })
    }

    async fn bin_campaign(&self, project: &ProjectId, id: &str) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let params: Params<'_> = &[&project.as_str(), &id];
        Ok(execute(&client, qc::BIN_CAMPAIGN, params).await? > 0)
    }

    async fn campaign_vouchers_to_delete(
        &self,
        project: &ProjectId,
        campaign_id: &str,
        force: bool,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        let client = self.client().await?;
        let select = if force { qc::SELECT_VOUCHERS_TO_DELETE } else { qc::SELECT_VOUCHERS_TO_BIN };
        let params: Params<'_> = &[&project.as_str(), &campaign_id, &i64::from(limit)];
        let rows = query(&client, select, params).await?;
        rows.iter().map(|r| r.try_get(0).map_err(error)).collect()
    }

    async fn count_campaign_vouchers_to_delete(
        &self,
        project: &ProjectId,
        campaign_id: &str,
        force: bool,
    ) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let sql = if force { qc::COUNT_VOUCHERS_TO_DELETE } else { qc::COUNT_VOUCHERS_TO_BIN };
        let rows = query(&client, sql, &[&project.as_str(), &campaign_id]).await?;
        rows.first().map_or(Ok(0), count)
    }

    async fn unredeemed_campaign_vouchers(
        &self,
        project: &ProjectId,
        campaign_id: &str,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<cv_domain::Voucher>, StoreError> {
        let client = self.client().await?;
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let params: Params<'_> = &[&project.as_str(), &campaign_id, &i64::from(limit), &offset];
        let rows = query(&client, UNREDEEMED_VOUCHERS, params).await?;
        convert::all(&rows, |row| convert::body(row, "voucher"))
    }
}

/// `$1` project, `$2` campaign, `$3` limit, `$4` offset: unredeemed vouchers, oldest first.
const UNREDEEMED_VOUCHERS: &str = "SELECT body FROM vouchers \
     WHERE project_id = $1 AND campaign_id = $2 AND binned = 0 \
       AND COALESCE((body->>'redeemed_quantity')::bigint, 0) = 0 \
     ORDER BY created_at, id LIMIT $3 OFFSET $4";

/// `$1` project, `$2` campaign, `$3` voucher ids.
const DELETE_VOUCHERS: &str =
    "DELETE FROM vouchers WHERE project_id = $1 AND campaign_id = $2 AND id = ANY($3)";

/// `$1` project, `$2` campaign, `$3` voucher ids.
const BIN_VOUCHERS: &str = "UPDATE vouchers SET binned = 1 \
     WHERE project_id = $1 AND campaign_id = $2 AND binned = 0 AND id = ANY($3)";

/// Deletes (or bins) the vouchers of a campaign-delete chunk, and takes those already gone
/// off the done count the fence added.
pub async fn delete_vouchers(
    tx: &impl GenericClient,
    fence: &Fence,
    project: &str,
    campaign_id: &str,
    force: bool,
    ids: Vec<String>,
    _now: Timestamp,
) -> Result<(), StoreError> {
    let statement = if force { DELETE_VOUCHERS } else { BIN_VOUCHERS };
    let removed = execute(tx, statement, &[&project, &campaign_id, &ids]).await?;
    let skipped = (ids.len() as u64 - removed) as i64;
    if skipped > 0 {
        execute(tx, q::UNCOUNT_DONE, &[&fence.action_id.as_str(), &skipped]).await?;
    }
    Ok(())
}

/// Applies a finishing action's effect on its campaign, in the finishing transaction.
pub async fn apply_effect(
    tx: &impl GenericClient,
    project: &str,
    effect: &FinishEffect,
    status: ActionStatus,
    now: Timestamp,
) -> Result<(), StoreError> {
    match effect {
        FinishEffect::RecountCampaign { campaign_id, generation } => {
            let row = query_opt(tx, qc::SELECT_CAMPAIGN, &[&project, campaign_id]).await?;
            let Some(found) = row.as_ref().map(campaign).transpose()? else {
                return Ok(());
            };
            if &found.id != campaign_id {
                return Ok(());
            }
            let rows = query(tx, qc::COUNT_CAMPAIGN_VOUCHERS, &[&project, campaign_id]).await?;
            let vouchers = rows.first().map_or(Ok(0), count)?;
            let c = plan::recount_campaign(found, vouchers, *generation, status, now);
            let body = convert::to_jsonb(&c);
            execute(tx, qc::UPDATE_CAMPAIGN, &[&project, &c.id, &c.name, &body]).await?;
        }
        FinishEffect::DeleteCampaign { campaign_id } => {
            execute(tx, qc::DELETE_CAMPAIGN, &[&project, campaign_id]).await?;
        }
    }
    Ok(())
}
