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

    /// Moves a campaign to the bin: hidden from every read, its name still taken. `false`
    /// when there is no such unbinned campaign.
    async fn bin_campaign(&self, project: &ProjectId, id: &str) -> Result<bool, StoreError>;

    /// Deletes a campaign's vouchers, in one transaction: `force` deletes them and the
    /// campaign for good (the name is free again); otherwise both go to the bin. Returns
    /// how many vouchers were deleted (a repeated binning counts the same vouchers again).
    async fn delete_campaign(
        &self,
        project: &ProjectId,
        id: &str,
        force: bool,
    ) -> Result<u64, StoreError>;

    /// A page of the campaign's vouchers not yet redeemed (`redeemed_quantity` 0; the
    /// store has no publications), oldest first, skipping `offset`.
    async fn unredeemed_campaign_vouchers(
        &self,
        project: &ProjectId,
        campaign_id: &str,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<cv_domain::Voucher>, StoreError>;
}
