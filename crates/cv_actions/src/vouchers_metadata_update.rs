//! `VOUCHERS.METADATA_UPDATE`: merge the same metadata into every listed voucher
//! (`POST /v1/vouchers/metadata/async`). A code that does not exist fails its item (no
//! upsert, Decision 5).

use cv_domain::{
    Metadata, metadata_schema::MetadataResource, payload::VouchersMetadataUpdate,
    voucher::VoucherMetadataPatch,
};
use cv_store::{ChunkWrites, Item};

use crate::metadata_update::{self, Target};

/// The vouchers a metadata update names.
pub(crate) struct Vouchers;

/// A run of `VOUCHERS.METADATA_UPDATE`.
pub(crate) type Run = metadata_update::Run<Vouchers>;

impl Target for Vouchers {
    type Payload = VouchersMetadataUpdate;
    type Write = VoucherMetadataPatch;
    const RESOURCE: MetadataResource = MetadataResource::Voucher;

    fn split(payload: VouchersMetadataUpdate) -> (Vec<String>, Metadata) {
        (payload.codes, payload.metadata)
    }

    fn write(code: &str, metadata: &Metadata) -> VoucherMetadataPatch {
        VoucherMetadataPatch { code: code.to_owned(), metadata: metadata.clone() }
    }

    fn writes(items: Vec<Item<VoucherMetadataPatch>>) -> ChunkWrites {
        items.into()
    }
}
