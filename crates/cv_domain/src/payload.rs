//! The stored payloads of action types: what the API stores when it enqueues an action
//! (claim-check) and what the action reads back. Both sides use these types, so the format
//! has one definition.

use serde::{Deserialize, Serialize};

use crate::{ActionKind, CustomerPatch, Metadata, ProductPatch, metadata_schema::MetadataResource};

/// A stored request that names its own action type. Enqueueing takes the type from the
/// payload (`cv_store::NewAction::new`), so no payload can be stored under another type.
pub trait Payload: Serialize {
    /// The action type this payload is the request of.
    fn kind(&self) -> ActionKind;
}

/// Implements [`Payload`] for payload types of exactly one action type.
macro_rules! payload_kinds {
    ($($payload:ty => $kind:ident),* $(,)?) => {
        $(impl Payload for $payload {
            fn kind(&self) -> ActionKind {
                ActionKind::$kind
            }
        })*
    };
}

payload_kinds! {
    CustomersBulkUpdate => CustomersBulkUpdate,
    CustomersMetadataUpdate => CustomersMetadataUpdate,
    CustomersImportCsv => CustomersImportCsv,
    ProductsBulkUpdate => ProductsBulkUpdate,
    ProductsMetadataUpdate => ProductsMetadataUpdate,
    ProductsImportCsv => ProductsImportCsv,
    SkusImportCsv => SkusImportCsv,
    VouchersBulkUpdate => VouchersBulkUpdate,
    VouchersMetadataUpdate => VouchersMetadataUpdate,
    VouchersImport => VouchersImport,
    VouchersImportCsv => VouchersImportCsv,
    CampaignVouchersImport => CampaignVouchersImport,
    CampaignVouchersImportCsv => CampaignVouchersImportCsv,
    OrdersImport => OrdersImport,
    crate::campaign::GenerateVouchers => CampaignVouchersGenerate,
    crate::campaign::DeleteCampaign => CampaignVouchersDelete,
    crate::campaign::UpdateCampaignVouchers => CampaignVouchersUpdate,
}

/// `CUSTOMERS.BULK_UPDATE`: upsert each customer by `source_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomersBulkUpdate {
    /// One patch per request item, in request order; each has a `source_id`.
    pub customers: Vec<CustomerPatch>,
}

/// `CUSTOMERS.METADATA_UPDATE`: merge `metadata` into every listed customer (upsert).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomersMetadataUpdate {
    /// The customers, in request order.
    pub source_ids: Vec<String>,
    /// The keys to set.
    pub metadata: Metadata,
}

/// A CSV file uploaded for an import action, stored in parts before the action was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// How many parts the file was stored in (numbered from 0).
    pub parts: u32,
    /// The file's size in bytes.
    pub bytes: u64,
    /// Data rows (records after the header).
    pub rows: u64,
}

/// `CUSTOMERS.IMPORT_CSV`: the uploaded file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomersImportCsv {
    /// Where the file is.
    pub upload: Upload,
}

/// `PRODUCTS.BULK_UPDATE`: upsert each product by `source_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductsBulkUpdate {
    /// One patch per request item, in request order; each has a `source_id`.
    pub products: Vec<ProductPatch>,
}

/// `PRODUCTS.METADATA_UPDATE`: merge `metadata` into every listed product (upsert).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductsMetadataUpdate {
    /// The products, in request order.
    pub source_ids: Vec<String>,
    /// The keys to set.
    pub metadata: Metadata,
}

/// `PRODUCTS.IMPORT_CSV`: the uploaded file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductsImportCsv {
    /// Where the file is.
    pub upload: Upload,
}

/// `SKUS.IMPORT_CSV`: the uploaded file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkusImportCsv {
    /// Where the file is.
    pub upload: Upload,
}

/// `VOUCHERS.BULK_UPDATE`: merge per-code metadata into existing vouchers (no upsert).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VouchersBulkUpdate {
    /// One item per request item, in request order.
    pub vouchers: Vec<crate::voucher::VoucherMetadataPatch>,
}

/// `VOUCHERS.METADATA_UPDATE`: merge `metadata` into every listed voucher (no upsert).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VouchersMetadataUpdate {
    /// The voucher codes, in request order.
    pub codes: Vec<String>,
    /// The keys to set.
    pub metadata: Metadata,
}

/// One item of a `VOUCHERS.IMPORT` request: a voucher to create, or the reason the API
/// already found it cannot be (reported as a failed item, not a refused request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum VoucherImportItem {
    /// A complete voucher.
    Valid(Box<crate::VoucherRecord>),
    /// An item missing what its type requires.
    Invalid {
        /// The item's code.
        code: String,
        /// Voucherify's `reason`.
        reason: String,
    },
}

/// `VOUCHERS.IMPORT`: create standalone vouchers; codes are new (the API refused repeats).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VouchersImport {
    /// The items, in request order.
    pub vouchers: Vec<VoucherImportItem>,
}

/// `VOUCHERS.IMPORT_CSV`: the uploaded file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VouchersImportCsv {
    /// Where the file is.
    pub upload: Upload,
}

/// `CAMPAIGN.VOUCHERS_IMPORT`: add vouchers to a campaign; each valid item is already the
/// campaign's template with the item's fields, and codes are new (the API refused repeats).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignVouchersImport {
    /// The campaign (`camp_…`).
    pub campaign_id: String,
    /// The items, in request order.
    pub vouchers: Vec<VoucherImportItem>,
}

/// `CAMPAIGN.VOUCHERS_IMPORT_CSV`: the uploaded file and the campaign it fills.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignVouchersImportCsv {
    /// The campaign (`camp_…`).
    pub campaign_id: String,
    /// Where the file is.
    pub upload: Upload,
}

/// `*.METADATA_KEY_PURGE`: remove the metadata key `key` from every object of the resource
/// the action type names ([`crate::metadata_schema::MetadataResource::purge_kind`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataKeyPurge {
    /// The key, exactly as stored (any characters).
    pub key: String,
}

/// A [`MetadataKeyPurge`] as enqueued: the stored payload is the key alone (the action type
/// names the resource), and the resource picks the type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetadataKeyPurgeOf {
    /// Whose metadata loses the key; not stored.
    #[serde(skip)]
    pub resource: MetadataResource,
    /// The stored payload.
    #[serde(flatten)]
    pub payload: MetadataKeyPurge,
}

impl Payload for MetadataKeyPurgeOf {
    fn kind(&self) -> ActionKind {
        self.resource.purge_kind()
    }
}

/// `ORDERS.IMPORT`: historical orders, each upserting the customers, products and SKUs it
/// names by source_id (`POST /v1/orders/import`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrdersImport {
    /// The orders, in request order.
    pub orders: Vec<crate::OrderRecord>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (fuzz corpus `json_body/regression-float-roundtrip`): without serde_json's
    /// `float_roundtrip` feature, parsing a float was not always correctly rounded, so a
    /// number in a body could become another one on its way through the store (printed,
    /// then parsed again by the action).
    #[test]
    fn floats_survive_the_store_exactly() {
        for text in ["1.0715660391465826e-75", "3.0261999441573203e-52", "6.466053826432699e-236"] {
            let body = format!(r#"{{"source_ids":["p1"],"metadata":{{"x":{text}}}}}"#);
            let payload: ProductsMetadataUpdate = serde_json::from_str(&body).expect("a payload");
            let x = payload.metadata["x"].as_f64().expect("a float");
            assert_eq!(x, text.parse::<f64>().expect("a float"), "{text} parsed wrongly");
            let stored = serde_json::to_vec(&payload).expect("serializes");
            let read: ProductsMetadataUpdate = serde_json::from_slice(&stored).expect("reads");
            assert_eq!(read, payload, "{text} changed through the store");
        }
    }
}
