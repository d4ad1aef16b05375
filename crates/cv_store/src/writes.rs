//! What a chunk writes, typed by family: [`ChunkWrites`] has one variant per kind of write an
//! action can make, each carrying only its own items, so a chunk cannot mix families and each
//! backend applies one with a single exhaustive `match`.

use cv_domain::{
    CustomerPatch, CustomerRecord, OrderRecord, ProductPatch, ProductRecord, SkuRecord,
    VoucherRecord, metadata_schema::MetadataResource, voucher::VoucherMetadataPatch,
};

use crate::ItemError;

/// One item of a chunk: a write for the store to apply, or an item the action already found
/// invalid, which is reported and counted as failed but writes nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Item<T> {
    /// Apply this write.
    Write(T),
    /// Report this failure.
    Failed {
        /// The item's key as its report line shows it (source_id, code…).
        key: String,
        /// Why it failed.
        error: ItemError,
    },
}

impl<T> Item<T> {
    /// A failed item.
    pub fn failed(key: impl Into<String>, error: ItemError) -> Self {
        Item::Failed { key: key.into(), error }
    }

    /// Whether the action already failed this item.
    pub fn is_failed(&self) -> bool {
        matches!(self, Item::Failed { .. })
    }
}

/// Product writes: merges from bulk and metadata updates, or rows of a CSV import.
#[derive(Debug, Clone, PartialEq)]
pub enum ProductWrites {
    /// Upsert each product by `source_id`, merging metadata.
    Upserts(Vec<Item<ProductPatch>>),
    /// Create a product, or rename the one with this `source_id` (the name is the only field an
    /// import changes on an existing product).
    Import(Vec<Item<ProductRecord>>),
}

/// Voucher writes: metadata merges by code, or imports.
#[derive(Debug, Clone, PartialEq)]
pub enum VoucherWrites {
    /// Merge metadata into the voucher with this code; a missing code fails (no upsert).
    Metadata(Vec<Item<VoucherMetadataPatch>>),
    /// Create a voucher from each record. A code that exists (or an earlier item of the chunk
    /// created) fails, unless `update`: then the existing voucher takes the record.
    Import {
        /// Whether an existing code is updated (CSV imports, campaign updates) rather than
        /// refused.
        update: bool,
        /// The records.
        items: Vec<Item<VoucherRecord>>,
    },
}

/// Everything one chunk writes.
#[derive(Debug, Clone, PartialEq)]
pub enum ChunkWrites {
    /// Upsert customers by `source_id`, merging metadata.
    CustomerUpserts(Vec<Item<CustomerPatch>>),
    /// Create, or fully replace, the customer with each `source_id` (CSV import). A source_id
    /// this action already imported fails as a duplicate.
    CustomerImport(Vec<Item<CustomerRecord>>),
    /// Product upserts or import rows.
    Products(ProductWrites),
    /// Create a SKU under the product whose source_id the row names, or change `sku` and
    /// `price` of the SKU with this `source_id`. A product that does not exist, an attribute
    /// the product does not define, or a SKU of another product fails the row.
    SkuImport(Vec<Item<SkuRecord>>),
    /// Voucher metadata merges or imports.
    Vouchers(VoucherWrites),
    /// Import orders: upsert the customer, referrer, products and SKUs each names by source_id,
    /// then create the order, or replace the one with its id or source_id. A reference to a
    /// missing id fails the order, and then nothing of it is written.
    OrderImport(Vec<Item<OrderRecord>>),
    /// Remove the metadata key `key` from the objects `ids` of `resource`. An object that no
    /// longer has the key when the chunk commits is left alone and not counted. No report
    /// lines.
    MetadataKeyPurge {
        /// Which kind of object.
        resource: MetadataResource,
        /// The key to remove.
        key: String,
        /// The objects.
        ids: Vec<String>,
    },
    /// Delete the vouchers `ids` of campaign `campaign_id`: for good (`force`), or into the bin
    /// (hidden from every read, codes still taken). A voucher already gone (or, without
    /// `force`, already in the bin) is left alone and not counted. No report lines.
    CampaignVoucherDeletes {
        /// The campaign the vouchers belong to.
        campaign_id: String,
        /// Delete for good rather than bin.
        force: bool,
        /// The vouchers.
        ids: Vec<String>,
    },
}

impl ChunkWrites {
    /// How many items the chunk has.
    pub fn len(&self) -> usize {
        match self {
            ChunkWrites::CustomerUpserts(items) => items.len(),
            ChunkWrites::CustomerImport(items) => items.len(),
            ChunkWrites::Products(ProductWrites::Upserts(items)) => items.len(),
            ChunkWrites::Products(ProductWrites::Import(items)) => items.len(),
            ChunkWrites::SkuImport(items) => items.len(),
            ChunkWrites::Vouchers(VoucherWrites::Metadata(items)) => items.len(),
            ChunkWrites::Vouchers(VoucherWrites::Import { items, .. }) => items.len(),
            ChunkWrites::OrderImport(items) => items.len(),
            ChunkWrites::MetadataKeyPurge { ids, .. } => ids.len(),
            ChunkWrites::CampaignVoucherDeletes { ids, .. } => ids.len(),
        }
    }

    /// Whether the chunk has no items (the action has no work left).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many items the action already failed.
    pub fn failed(&self) -> usize {
        fn count<T>(items: &[Item<T>]) -> usize {
            items.iter().filter(|i| i.is_failed()).count()
        }
        match self {
            ChunkWrites::CustomerUpserts(items) => count(items),
            ChunkWrites::CustomerImport(items) => count(items),
            ChunkWrites::Products(ProductWrites::Upserts(items)) => count(items),
            ChunkWrites::Products(ProductWrites::Import(items)) => count(items),
            ChunkWrites::SkuImport(items) => count(items),
            ChunkWrites::Vouchers(VoucherWrites::Metadata(items)) => count(items),
            ChunkWrites::Vouchers(VoucherWrites::Import { items, .. }) => count(items),
            ChunkWrites::OrderImport(items) => count(items),
            ChunkWrites::MetadataKeyPurge { .. } | ChunkWrites::CampaignVoucherDeletes { .. } => 0,
        }
    }
}

/// What an action's finish writes besides the action row, in the same fenced transaction, so
/// a crash leaves either both or neither.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishEffect {
    /// Set the campaign's `vouchers_count` to the vouchers it holds now, and, with
    /// `generation`, its generation status (DONE when the action succeeds, FAILED when it
    /// fails). A campaign deleted meanwhile is left alone.
    RecountCampaign {
        /// The campaign.
        campaign_id: String,
        /// Whether the action generated the vouchers (and so owns the generation status).
        generation: bool,
    },
    /// Delete the campaign row for good (after its vouchers were deleted), freeing its name.
    DeleteCampaign {
        /// The campaign.
        campaign_id: String,
    },
}

/// Implements `From<Vec<Item<T>>>` for the families whose item type names them alone.
macro_rules! family_of {
    ($($item:ty => |$items:ident| $writes:expr),* $(,)?) => {
        $(impl From<Vec<Item<$item>>> for ChunkWrites {
            fn from($items: Vec<Item<$item>>) -> Self {
                $writes
            }
        })*
    };
}

family_of! {
    CustomerPatch => |items| ChunkWrites::CustomerUpserts(items),
    CustomerRecord => |items| ChunkWrites::CustomerImport(items),
    ProductPatch => |items| ChunkWrites::Products(ProductWrites::Upserts(items)),
    ProductRecord => |items| ChunkWrites::Products(ProductWrites::Import(items)),
    SkuRecord => |items| ChunkWrites::SkuImport(items),
    VoucherMetadataPatch => |items| ChunkWrites::Vouchers(VoucherWrites::Metadata(items)),
    OrderRecord => |items| ChunkWrites::OrderImport(items),
}
