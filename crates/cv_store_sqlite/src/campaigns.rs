//! Campaigns on SQLite: `impl CampaignStore for SqliteStore`.

use async_trait::async_trait;
use cv_domain::{Campaign, ProjectId};
use cv_store::{CampaignPage, CampaignStore, StoreError, sql::campaigns as qc};
use rusqlite::{OptionalExtension, Row, params};

use crate::{
    SqliteStore,
    convert::{self, error, sql},
};

/// Decodes a `body` column.
fn campaign(row: &Row<'_>) -> rusqlite::Result<Campaign> {
    serde_json::from_str(&row.get::<_, String>(0)?)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
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
            tx.execute(
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
                .execute(
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
        let (project, key) = (project.clone(), id_or_name.to_owned());
        self.read(move |c| {
            c.query_row(&sql(qc::SELECT_CAMPAIGN), params![project.as_str(), key], campaign)
                .optional()
        })
        .await
    }

    async fn list_campaigns(
        &self,
        project: &ProjectId,
        limit: u32,
        page: u32,
    ) -> Result<CampaignPage, StoreError> {
        let project = project.clone();
        self.read(move |c| {
            let offset = i64::from(page.saturating_sub(1)) * i64::from(limit);
            let campaigns = c
                .prepare_cached(&sql(qc::SELECT_CAMPAIGN_PAGE))?
                .query_map(params![project.as_str(), i64::from(limit), offset], campaign)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let total: i64 =
                c.query_row(&sql(qc::COUNT_CAMPAIGNS), params![project.as_str()], |r| r.get(0))?;
            Ok(CampaignPage { campaigns, total: total as u64 })
        })
        .await
    }
}
