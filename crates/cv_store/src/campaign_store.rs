//! The campaign part of the storage contract: [`CampaignStore`]. The API writes campaigns one
//! at a time; actions change them only through their chunk commits (vouchers: a
//! [`crate::VoucherWrites::Import`] whose records name the campaign; deletes:
//! [`crate::ChunkWrites::CampaignVoucherDeletes`]) and their finish
//! ([`crate::FinishEffect`]: counters, generation status, the campaign row of a forced
//! delete).

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

    /// The ids of up to `limit` vouchers of the campaign `campaign_id` (in the bin or not,
    /// like the campaign itself) that a delete still has to remove: every voucher for a
    /// `force` delete, else those not in the bin yet; newest first. Each committed chunk of a
    /// delete removes what it was given, so the next call lists the next ones.
    async fn campaign_vouchers_to_delete(
        &self,
        project: &ProjectId,
        campaign_id: &str,
        force: bool,
        limit: u32,
    ) -> Result<Vec<String>, StoreError>;

    /// How many vouchers [`CampaignStore::campaign_vouchers_to_delete`] would list in all.
    async fn count_campaign_vouchers_to_delete(
        &self,
        project: &ProjectId,
        campaign_id: &str,
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
