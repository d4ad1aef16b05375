//! Campaigns on SQLite: `impl CampaignStore for SqliteStore`, the chunk writes of a campaign
//! delete, and the campaign effects of a finishing action.

use async_trait::async_trait;
use cv_domain::{ActionStatus, Campaign, ProjectId, Timestamp};
use cv_store::{
    CampaignPage, CampaignStore, Fence, FinishEffect, StoreError, plan,
    sql::{self as q, campaigns as qc},
};
use rusqlite::{OptionalExtension, Row, Transaction, params};

use crate::convert::Cached as _;
use crate::{
    SqliteStore,
    convert::{self, error, sql},
};

/// Decodes a `body` column.
fn campaign(row: &Row<'_>) -> rusqlite::Result<Campaign> {
    convert::body(row)
}

#[async_trait]
impl CampaignStore for SqliteStore {
    async fn create_campaign(
        &self,
        project: &ProjectId,
        campaign: &Campaign,
    ) -> Result<(), StoreError> {
        let (project, c) = (project.clone(), campaign.clone());
        self.write(move |tx| {
            tx.exec(
                &sql(qc::INSERT_CAMPAIGN),
                params![
                    c.id,
                    project.as_str(),
                    c.name,
                    convert::to_json(&c),
                    c.created_at.as_millis()
                ],
            )
            .map_err(error)?;
            Ok(())
        })
        .await
    }

    async fn update_campaign(
        &self,
        project: &ProjectId,
        campaign: &Campaign,
    ) -> Result<bool, StoreError> {
        let (project, c) = (project.clone(), campaign.clone());
        self.write(move |tx| {
            let n = tx
                .exec(
                    &sql(qc::UPDATE_CAMPAIGN),
                    params![project.as_str(), c.id, c.name, convert::to_json(&c)],
                )
                .map_err(error)?;
            Ok(n > 0)
        })
        .await
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
        let project = project.clone();
        self.read(move |c| {
            let offset = cv_store::sql::page_offset(limit, page);
            let campaigns = c
                .prepare_cached(&sql(qc::SELECT_CAMPAIGN_PAGE))?
                .query_map(params![project.as_str(), i64::from(limit), offset], campaign)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let total: i64 =
                c.row(&sql(qc::COUNT_CAMPAIGNS), params![project.as_str()], |r| r.get(0))?;
            Ok(CampaignPage { campaigns, total: total as u64 })
        })
        .await
    }

    async fn bin_campaign(&self, project: &ProjectId, id: &str) -> Result<bool, StoreError> {
        let (project, id) = (project.clone(), id.to_owned());
        self.write(move |tx| {
            let n =
                tx.exec(&sql(qc::BIN_CAMPAIGN), params![project.as_str(), id]).map_err(error)?;
            Ok(n > 0)
        })
        .await
    }

    async fn campaign_vouchers_to_delete(
        &self,
        project: &ProjectId,
        campaign_id: &str,
        force: bool,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        let (project, id) = (project.clone(), campaign_id.to_owned());
        let select = if force { qc::SELECT_VOUCHERS_TO_DELETE } else { qc::SELECT_VOUCHERS_TO_BIN };
        self.read(move |c| {
            c.prepare_cached(&sql(select))?
                .query_map(params![project.as_str(), id, i64::from(limit)], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await
    }

    async fn count_campaign_vouchers_to_delete(
        &self,
        project: &ProjectId,
        campaign_id: &str,
        force: bool,
    ) -> Result<u64, StoreError> {
        let (project, id) = (project.clone(), campaign_id.to_owned());
        let count = if force { qc::COUNT_VOUCHERS_TO_DELETE } else { qc::COUNT_VOUCHERS_TO_BIN };
        self.read(move |c| {
            c.row(&sql(count), params![project.as_str(), id], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
        })
        .await
    }

    async fn unredeemed_campaign_vouchers(
        &self,
        project: &ProjectId,
        campaign_id: &str,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<cv_domain::Voucher>, StoreError> {
        let (project, id) = (project.clone(), campaign_id.to_owned());
        self.read(move |c| {
            let offset = i64::try_from(offset).unwrap_or(i64::MAX);
            c.prepare_cached(UNREDEEMED_VOUCHERS)?
                .query_map(params![project.as_str(), id, i64::from(limit), offset], convert::body)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await
    }
}

/// `?1` project, `?2` campaign, `?3` limit, `?4` offset: unredeemed vouchers, oldest first.
const UNREDEEMED_VOUCHERS: &str = "SELECT body FROM vouchers \
     WHERE project_id = ?1 AND campaign_id = ?2 AND binned = 0 \
       AND COALESCE(CAST(json_extract(body, '$.redeemed_quantity') AS INTEGER), 0) = 0 \
     ORDER BY created_at, id LIMIT ?3 OFFSET ?4";

/// `?1` project, `?2` campaign, `?3` a JSON array of voucher ids.
const DELETE_VOUCHERS: &str = "DELETE FROM vouchers WHERE project_id = ?1 AND campaign_id = ?2 \
     AND id IN (SELECT value FROM json_each(?3))";

/// `?1` project, `?2` campaign, `?3` a JSON array of voucher ids.
const BIN_VOUCHERS: &str = "UPDATE vouchers SET binned = 1 WHERE project_id = ?1 \
     AND campaign_id = ?2 AND binned = 0 AND id IN (SELECT value FROM json_each(?3))";

/// Deletes (or bins) the vouchers of a campaign-delete chunk, and takes those already gone
/// off the done count the fence added.
pub fn delete_vouchers(
    tx: &Transaction<'_>,
    fence: &Fence,
    project: &str,
    campaign_id: &str,
    force: bool,
    ids: Vec<String>,
    _now: Timestamp,
) -> Result<(), StoreError> {
    let named = serde_json::to_string(&ids).map_err(anyhow::Error::from)?;
    let statement = if force { DELETE_VOUCHERS } else { BIN_VOUCHERS };
    let removed = tx.exec(statement, params![project, campaign_id, named]).map_err(error)?;
    let skipped = (ids.len() - removed) as i64;
    if skipped > 0 {
        tx.exec(&sql(q::UNCOUNT_DONE), params![fence.action_id.as_str(), skipped])
            .map_err(error)?;
    }
    Ok(())
}

/// Applies a finishing action's effect on its campaign, in the finishing transaction.
pub fn apply_effect(
    tx: &Transaction<'_>,
    project: &str,
    effect: &FinishEffect,
    status: ActionStatus,
    now: Timestamp,
) -> Result<(), StoreError> {
    match effect {
        FinishEffect::RecountCampaign { campaign_id, generation } => {
            let found = tx
                .row(&sql(qc::SELECT_CAMPAIGN), params![project, campaign_id], campaign)
                .optional()
                .map_err(error)?;
            let Some(found) = found.filter(|c| &c.id == campaign_id) else {
                return Ok(());
            };
            let count: i64 = tx
                .row(&sql(qc::COUNT_CAMPAIGN_VOUCHERS), params![project, campaign_id], |r| r.get(0))
                .map_err(error)?;
            let c = plan::recount_campaign(found, count as u64, *generation, status, now);
            tx.exec(
                &sql(qc::UPDATE_CAMPAIGN),
                params![project, c.id, c.name, convert::to_json(&c)],
            )
            .map_err(error)?;
        }
        FinishEffect::DeleteCampaign { campaign_id } => {
            tx.exec(&sql(qc::DELETE_CAMPAIGN), params![project, campaign_id]).map_err(error)?;
        }
    }
    Ok(())
}
