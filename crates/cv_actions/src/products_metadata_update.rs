//! `PRODUCTS.METADATA_UPDATE`: merge the same metadata into every listed product, creating
//! missing ones (`POST /v1/products/metadata/async`).

use cv_domain::{Metadata, ProductPatch};
use cv_store::ChunkItem;

/// The item that merges `metadata` into the product `source_id` (upserting it).
pub(crate) fn item(source_id: &str, metadata: &Metadata) -> ChunkItem {
    ChunkItem::Product(ProductPatch {
        source_id: Some(source_id.to_owned()),
        metadata: Some(metadata.clone()),
        ..Default::default()
    })
}
