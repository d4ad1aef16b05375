//! `CUSTOMERS.METADATA_UPDATE`: merge the same metadata into every listed customer, creating
//! missing ones (`POST /v1/customers/metadata/async`).

use cv_domain::{CustomerPatch, Metadata};
use cv_store::ChunkItem;

/// The item that merges `metadata` into the customer `source_id` (upserting it).
pub(crate) fn item(source_id: &str, metadata: &Metadata) -> ChunkItem {
    ChunkItem::Customer(CustomerPatch {
        source_id: Some(source_id.to_owned()),
        metadata: Some(metadata.clone()),
        ..Default::default()
    })
}
