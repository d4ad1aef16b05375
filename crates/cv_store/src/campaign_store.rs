//! The campaign part of the storage contract: [`CampaignStore`], a supertrait of
//! [`crate::Store`]. Campaigns are small and written one at a time, outside chunk commits;
//! their vouchers are written by chunks like any other voucher
//! ([`crate::ChunkItem::VoucherImport`] with a record naming the campaign).

use async_trait::async_trait;
use cv_domain::{Campaign, ProjectId};

use crate::StoreError;

/// A page of campaigns and the total.
#[derive(Debug, Clone)]
pub struct CampaignPage {
    /// Newest first.
    pub campaigns: Vec<Campaign>,
    /// All campaigns of the project.
    pub total: u64,
}

/// Campaign reads and writes; each call is one short transaction.
#[async_trait]
pub trait CampaignStore: Send + Sync {
    /// Stores a new campaign. A name the project already uses fails with
    /// [`StoreError::Conflict`].
    async fn create_campaign(
        &self,
        project: &ProjectId,
        campaign: &Campaign,
    ) -> Result<(), StoreError>;

    /// Replaces a stored campaign (by id); `false` when it does not exist.
    async fn update_campaign(
        &self,
        project: &ProjectId,
        campaign: &Campaign,
    ) -> Result<bool, StoreError>;

    /// A campaign by id, or else by name.
    async fn get_campaign(
        &self,
        project: &ProjectId,
        id_or_name: &str,
    ) -> Result<Option<Campaign>, StoreError>;

    /// A page (1-based) of campaigns, newest first, with the total.
    async fn list_campaigns(
        &self,
        project: &ProjectId,
        limit: u32,
        page: u32,
    ) -> Result<CampaignPage, StoreError>;
}
