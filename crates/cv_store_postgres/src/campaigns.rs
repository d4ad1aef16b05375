//! Campaigns on PostgreSQL: `impl CampaignStore for PostgresStore`.

use async_trait::async_trait;
use cv_domain::{Campaign, ProjectId};
use cv_store::{CampaignPage, CampaignStore, StoreError, sql::campaigns as qc};
use tokio_postgres::Row;

use crate::{
    PostgresStore,
    convert::{self, error},
    db::{Params, count, execute, query},
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

    async fn delete_campaign(
        &self,
        project: &ProjectId,
        id: &str,
        force: bool,
    ) -> Result<u64, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(error)?;
        let params: Params<'_> = &[&project.as_str(), &id];
        let n = if force {
            let n = execute(&tx, qc::DELETE_CAMPAIGN_VOUCHERS, params).await?;
            execute(&tx, qc::DELETE_CAMPAIGN, params).await?;
            n
        } else {
            execute(&tx, qc::BIN_CAMPAIGN, params).await?;
            execute(&tx, qc::BIN_CAMPAIGN_VOUCHERS, params).await?
        };
        tx.commit().await.map_err(error)?;
        Ok(n)
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
