//! Campaigns on SQLite: `impl CampaignStore for SqliteStore`.

use async_trait::async_trait;
use cv_domain::{Campaign, ProjectId};
use cv_store::{CampaignPage, CampaignStore, StoreError, sql::campaigns as qc};
use rusqlite::{Row, params};

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

    async fn delete_campaign(
        &self,
        project: &ProjectId,
        id: &str,
        force: bool,
    ) -> Result<u64, StoreError> {
        let (project, id) = (project.clone(), id.to_owned());
        self.write(move |tx| {
            let p = params![project.as_str(), id];
            let n = if force {
                let n = tx.exec(&sql(qc::DELETE_CAMPAIGN_VOUCHERS), p).map_err(error)?;
                tx.exec(&sql(qc::DELETE_CAMPAIGN), p).map_err(error)?;
                n
            } else {
                tx.exec(&sql(qc::BIN_CAMPAIGN), p).map_err(error)?;
                tx.exec(&sql(qc::BIN_CAMPAIGN_VOUCHERS), p).map_err(error)?
            };
            Ok(n as u64)
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
