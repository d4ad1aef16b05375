//! `PRODUCTS.METADATA_UPDATE`: merge the same metadata into every listed product, creating
//! missing ones (`POST /v1/products/metadata/async`).

use cv_domain::{
    Metadata, ProductPatch, metadata_schema::MetadataResource, payload::ProductsMetadataUpdate,
};
use cv_store::{ChunkWrites, Item};

use crate::metadata_update::{self, Target};

/// The products a metadata update names.
pub(crate) struct Products;

/// A run of `PRODUCTS.METADATA_UPDATE`.
pub(crate) type Run = metadata_update::Run<Products>;

impl Target for Products {
    type Payload = ProductsMetadataUpdate;
    type Write = ProductPatch;
    const RESOURCE: MetadataResource = MetadataResource::Product;

    fn split(payload: ProductsMetadataUpdate) -> (Vec<String>, Metadata) {
        (payload.source_ids, payload.metadata)
    }

    /// Merges `metadata` into the product `source_id` (upserting it).
    fn write(source_id: &str, metadata: &Metadata) -> ProductPatch {
        ProductPatch {
            source_id: Some(source_id.to_owned()),
            metadata: Some(metadata.clone()),
            ..Default::default()
        }
    }

    fn writes(items: Vec<Item<ProductPatch>>) -> ChunkWrites {
        items.into()
    }
}
