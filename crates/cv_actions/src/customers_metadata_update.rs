//! `CUSTOMERS.METADATA_UPDATE`: merge the same metadata into every listed customer, creating
//! missing ones (`POST /v1/customers/metadata/async`).

use cv_domain::{
    CustomerPatch, Metadata, metadata_schema::MetadataResource, payload::CustomersMetadataUpdate,
};
use cv_store::{ChunkWrites, Item};

use crate::metadata_update::{self, Target};

/// The customers a metadata update names.
pub(crate) struct Customers;

/// A run of `CUSTOMERS.METADATA_UPDATE`.
pub(crate) type Run = metadata_update::Run<Customers>;

impl Target for Customers {
    type Payload = CustomersMetadataUpdate;
    type Write = CustomerPatch;
    const RESOURCE: MetadataResource = MetadataResource::Customer;

    fn split(payload: CustomersMetadataUpdate) -> (Vec<String>, Metadata) {
        (payload.source_ids, payload.metadata)
    }

    /// Merges `metadata` into the customer `source_id` (upserting it).
    fn write(source_id: &str, metadata: &Metadata) -> CustomerPatch {
        CustomerPatch {
            source_id: Some(source_id.to_owned()),
            metadata: Some(metadata.clone()),
            ..Default::default()
        }
    }

    fn writes(items: Vec<Item<CustomerPatch>>) -> ChunkWrites {
        items.into()
    }
}
