//! The metadata-purge part of the storage contract: [`MetadataPurgeStore`], which purges
//! read through [`crate::Inputs`]. Purges write through chunk commits
//! ([`crate::ChunkWrites::MetadataKeyPurge`], applied per backend with the shared pieces in
//! [`crate::sql::metadata_purge`] and [`crate::plan::metadata_purge`]); these are the reads
//! that plan them.

use async_trait::async_trait;
use cv_domain::{ProjectId, Timestamp, metadata_schema::MetadataResource};

use crate::StoreError;

/// An object whose metadata has the key being purged, and its place in the walk (newest
/// first, by `created_at` then id, both descending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataHolder {
    /// The object's id.
    pub id: String,
    /// When it was created.
    pub created_at: Timestamp,
}

/// Which objects hold a metadata key. Each call is one short read.
#[async_trait]
pub trait MetadataPurgeStore: Send + Sync {
    /// Up to `limit` objects of `resource` in `project` whose metadata has `key`, newest
    /// first, strictly after `after` (from the newest when `None`). Binned vouchers and
    /// campaigns count: a purge removes the key from every stored object.
    async fn metadata_key_holders(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
        key: &str,
        after: Option<&MetadataHolder>,
        limit: u32,
    ) -> Result<Vec<MetadataHolder>, StoreError>;

    /// How many objects of `resource` in `project` have `key` in their metadata.
    async fn count_metadata_key_holders(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
        key: &str,
    ) -> Result<u64, StoreError>;
}
