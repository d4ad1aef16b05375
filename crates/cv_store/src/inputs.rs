//! The actions' role: [`Inputs`], read-only access to what an action's payload points to.
//! Implemented once, over the resource traits, for every store; an action holds nothing else,
//! so every effect it has goes through its chunk commits and its finish.

use async_trait::async_trait;
use cv_domain::{
    ActionId, Campaign, ProjectId, Voucher,
    metadata_schema::{MetadataResource, MetadataSchema},
};

use crate::{
    ActionReads, CampaignStore, MetadataHolder, MetadataPurgeStore, Resources, StoreError,
    VoucherStore,
};

/// What actions read: the project's metadata schemas, uploaded files, campaigns, which codes
/// are taken, the objects a purge or a campaign delete still has to visit, and (through
/// [`ActionReads`]) their own failed report lines.
#[async_trait]
pub trait Inputs: ActionReads {
    /// The project's metadata schema for `resource`.
    async fn metadata_schema(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
    ) -> Result<Option<MetadataSchema>, StoreError>;

    /// Part `part` of an uploaded file, or `None` past its end.
    async fn upload_part(
        &self,
        upload: &ActionId,
        part: u32,
    ) -> Result<Option<Vec<u8>>, StoreError>;

    /// A campaign by id or name (not deleted, not in the bin).
    async fn campaign(&self, project: &ProjectId, id: &str)
    -> Result<Option<Campaign>, StoreError>;

    /// A voucher by code or id.
    async fn voucher(&self, project: &ProjectId, code: &str)
    -> Result<Option<Voucher>, StoreError>;

    /// Which of `codes` the project already has, sorted.
    async fn taken_codes(
        &self,
        project: &ProjectId,
        codes: &[String],
    ) -> Result<Vec<String>, StoreError>;

    /// How many vouchers the project has (binned ones excluded).
    async fn voucher_count(&self, project: &ProjectId) -> Result<u64, StoreError>;

    /// A page of a campaign's vouchers not yet redeemed, oldest first, skipping `offset`
    /// ([`CampaignStore::unredeemed_campaign_vouchers`]).
    async fn unredeemed_vouchers(
        &self,
        project: &ProjectId,
        campaign_id: &str,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Voucher>, StoreError>;

    /// The ids of up to `limit` vouchers of a campaign (binned or not) that a delete still has
    /// to remove ([`CampaignStore::campaign_vouchers_to_delete`]).
    async fn vouchers_to_delete(
        &self,
        project: &ProjectId,
        campaign_id: &str,
        force: bool,
        limit: u32,
    ) -> Result<Vec<String>, StoreError>;

    /// How many vouchers a campaign delete still has to remove.
    async fn count_vouchers_to_delete(
        &self,
        project: &ProjectId,
        campaign_id: &str,
        force: bool,
    ) -> Result<u64, StoreError>;

    /// Objects whose metadata still has `key` ([`MetadataPurgeStore::metadata_key_holders`]).
    async fn key_holders(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
        key: &str,
        after: Option<&MetadataHolder>,
        limit: u32,
    ) -> Result<Vec<MetadataHolder>, StoreError>;

    /// How many objects have `key` in their metadata.
    async fn count_key_holders(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
        key: &str,
    ) -> Result<u64, StoreError>;
}

#[async_trait]
impl<S> Inputs for S
where
    S: ?Sized + ActionReads + Resources + CampaignStore + VoucherStore + MetadataPurgeStore,
{
    async fn metadata_schema(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
    ) -> Result<Option<MetadataSchema>, StoreError> {
        Ok(self.get_metadata_schema(project, resource).await?.map(|r| r.schema))
    }

    async fn upload_part(
        &self,
        upload: &ActionId,
        part: u32,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.read_upload_part(upload, part).await
    }

    async fn campaign(
        &self,
        project: &ProjectId,
        id: &str,
    ) -> Result<Option<Campaign>, StoreError> {
        self.get_campaign(project, id).await
    }

    async fn voucher(
        &self,
        project: &ProjectId,
        code: &str,
    ) -> Result<Option<Voucher>, StoreError> {
        self.get_voucher(project, code).await
    }

    async fn taken_codes(
        &self,
        project: &ProjectId,
        codes: &[String],
    ) -> Result<Vec<String>, StoreError> {
        self.existing_voucher_codes(project, codes).await
    }

    async fn voucher_count(&self, project: &ProjectId) -> Result<u64, StoreError> {
        Ok(self.list_vouchers(project, None, 1, 1).await?.total)
    }

    async fn unredeemed_vouchers(
        &self,
        project: &ProjectId,
        campaign_id: &str,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Voucher>, StoreError> {
        self.unredeemed_campaign_vouchers(project, campaign_id, limit, offset).await
    }

    async fn vouchers_to_delete(
        &self,
        project: &ProjectId,
        campaign_id: &str,
        force: bool,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        self.campaign_vouchers_to_delete(project, campaign_id, force, limit).await
    }

    async fn count_vouchers_to_delete(
        &self,
        project: &ProjectId,
        campaign_id: &str,
        force: bool,
    ) -> Result<u64, StoreError> {
        self.count_campaign_vouchers_to_delete(project, campaign_id, force).await
    }

    async fn key_holders(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
        key: &str,
        after: Option<&MetadataHolder>,
        limit: u32,
    ) -> Result<Vec<MetadataHolder>, StoreError> {
        self.metadata_key_holders(project, resource, key, after, limit).await
    }

    async fn count_key_holders(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
        key: &str,
    ) -> Result<u64, StoreError> {
        self.count_metadata_key_holders(project, resource, key).await
    }
}
