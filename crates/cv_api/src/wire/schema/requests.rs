//! The request bodies and forms, described for the document; the sibling wire modules parse
//! them by hand.

use utoipa::ToSchema;

use super::*;

/// The form of `POST /v1/oauth/token`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TokenForm {
    #[schema(value_type = GrantTypeName)]
    grant_type: String,
    /// Space-separated scope names (`api`, `async-actions`, `customers`…).
    #[schema(example = "api")]
    scope: String,
}

/// The form of `POST /v1/oauth/introspect` and `POST /v1/oauth/token/revoke`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AccessTokenForm {
    access_token: String,
}

/// A CSV upload: the file in the multipart field `file`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CsvUpload {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// A standalone-voucher CSV upload: the file, and `webhooks_enable`, accepted and ignored.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct VoucherCsvUpload {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    webhooks_enable: Option<String>,
}

/// A postal address.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Address {
    city: Option<String>,
    state: Option<String>,
    line_1: Option<String>,
    line_2: Option<String>,
    country: Option<String>,
    postal_code: Option<String>,
}

/// A customer's fields in a request: absent ones are kept, `null` clears, `metadata` merges.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CustomerFields {
    name: Option<String>,
    description: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    /// `YYYY-MM-DD`.
    #[schema(example = "1990-02-28")]
    birthdate: Option<String>,
    /// Deprecated form of `birthdate`.
    birthday: Option<String>,
    address: Option<Address>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
}

/// `POST /v1/customers` and `PUT /v1/customers/{id}`: a customer, upserted by `source_id` on
/// create (ignored on update: the path names the customer).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CustomerBody {
    source_id: Option<String>,
    #[serde(flatten)]
    fields: CustomerFields,
}

/// One item of `POST /v1/customers/bulk/async`, upserted by its `source_id`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CustomerBulkItem {
    #[schema(min_length = 1)]
    source_id: String,
    #[serde(flatten)]
    fields: CustomerFields,
}

/// `POST /v1/customers/metadata/async` and `POST /v1/products/metadata/async`: `metadata`
/// merged into every object named (upserting).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SourceIdsMetadataUpdate {
    source_ids: Vec<String>,
    #[schema(value_type = Object)]
    metadata: serde_json::Value,
}

/// `POST /v1/vouchers/metadata/async`: `metadata` merged into every voucher named (no upsert).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CodesMetadataUpdate {
    codes: Vec<String>,
    #[schema(value_type = Object)]
    metadata: serde_json::Value,
}

/// One item of `POST /v1/vouchers/bulk/async`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct VoucherBulkItem {
    #[schema(min_length = 1)]
    code: String,
    #[schema(value_type = Object)]
    metadata: serde_json::Value,
}

/// A product's fields in a request: absent ones are kept, `null` clears, `metadata` merges.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProductFields {
    name: Option<String>,
    /// Cents.
    price: Option<i64>,
    attributes: Option<Vec<String>>,
    image_url: Option<String>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
}

/// `POST /v1/products` (upserted by `id` or `source_id`) and `PUT /v1/products/{id}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProductBody {
    id: Option<String>,
    source_id: Option<String>,
    #[serde(flatten)]
    fields: ProductFields,
}

/// One item of `POST /v1/products/bulk/async`, upserted by its `source_id`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ProductBulkItem {
    #[schema(min_length = 1)]
    source_id: String,
    #[serde(flatten)]
    fields: ProductFields,
}

/// `POST /v1/products/{id}/skus`: a SKU, upserted by `source_id`; its attribute keys must be
/// attributes of the product.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SkuBody {
    source_id: Option<String>,
    sku: Option<String>,
    /// Cents.
    price: Option<i64>,
    currency: Option<String>,
    #[schema(value_type = Option<Object>)]
    attributes: Option<serde_json::Value>,
    image_url: Option<String>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
}

/// A discount in a request: `type` and the value its type needs (AMOUNT `amount_off`,
/// PERCENT `percent_off`, FIXED `fixed_amount`, UNIT `unit_off` and `unit_type`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DiscountBody {
    #[serde(rename = "type")]
    #[schema(value_type = Option<DiscountTypeName>)]
    kind: Option<String>,
    amount_off: Option<i64>,
    percent_off: Option<f64>,
    fixed_amount: Option<i64>,
    unit_off: Option<f64>,
    unit_type: Option<String>,
    effect: Option<String>,
}

/// A gift card's amount in a request, in cents.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct GiftBody {
    amount: Option<i64>,
}

/// A loyalty card's points in a request.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LoyaltyCardBody {
    points: Option<i64>,
}

/// How often a voucher can be redeemed (`null`: without limit).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RedemptionLimit {
    quantity: Option<i64>,
}

/// How generated codes look: `pattern` (each `#` a random `charset` character) or `length`
/// random characters, between `prefix` and `postfix`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CodeConfig {
    length: Option<u32>,
    charset: Option<String>,
    prefix: Option<String>,
    postfix: Option<String>,
    pattern: Option<String>,
}

/// One item of `POST /v1/vouchers/import`: a standalone voucher.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct VoucherImportItem {
    #[schema(min_length = 1)]
    code: String,
    /// DISCOUNT_VOUCHER (default), GIFT_VOUCHER or LOYALTY_CARD.
    #[serde(rename = "type")]
    #[schema(value_type = Option<VoucherTypeName>)]
    kind: Option<String>,
    discount: Option<DiscountBody>,
    gift: Option<GiftBody>,
    loyalty_card: Option<LoyaltyCardBody>,
    #[serde(flatten)]
    common: VoucherCommonFields,
}

/// The fields every voucher import takes.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct VoucherCommonFields {
    category: Option<String>,
    active: Option<bool>,
    #[schema(format = DateTime)]
    start_date: Option<String>,
    #[schema(format = DateTime)]
    expiration_date: Option<String>,
    redemption: Option<RedemptionLimit>,
    additional_info: Option<String>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
}

/// One item of `POST /v1/campaigns/{id}/import`: type and discount come from the campaign.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CampaignVoucherImportItem {
    #[schema(min_length = 1)]
    code: String,
    /// Gift campaigns: the card's amount.
    gift: Option<GiftBody>,
    /// Loyalty campaigns: the card's points.
    loyalty_card: Option<LoyaltyCardBody>,
    #[serde(flatten)]
    common: VoucherCommonFields,
}

/// The voucher template of `POST /v1/campaigns`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct VoucherTemplateBody {
    /// DISCOUNT_VOUCHER (default), GIFT_VOUCHER or LOYALTY_CARD.
    #[serde(rename = "type")]
    #[schema(value_type = Option<VoucherTypeName>)]
    kind: Option<String>,
    discount: Option<DiscountBody>,
    gift: Option<GiftBody>,
    loyalty_card: Option<LoyaltyCardBody>,
    code_config: Option<CodeConfig>,
    redemption: Option<RedemptionLimit>,
}

/// `POST /v1/campaigns`. With `vouchers_count` > 1 the vouchers are generated by an action.
#[derive(ToSchema)]
#[schema(example = json!({
    "name": "Spring sale",
    "vouchers_count": 3,
    "voucher": {"type": "DISCOUNT_VOUCHER", "discount": {"type": "PERCENT", "percent_off": 10}}
}))]
#[allow(dead_code)]
pub struct CampaignCreateBody {
    #[schema(min_length = 1)]
    name: String,
    /// Default: from the voucher type.
    #[schema(value_type = Option<CampaignTypeName>)]
    campaign_type: Option<String>,
    /// Default AUTO_UPDATE.
    #[serde(rename = "type")]
    #[schema(value_type = Option<CampaignModeName>)]
    mode: Option<String>,
    #[schema(maximum = 100000)]
    vouchers_count: Option<u64>,
    voucher: VoucherTemplateBody,
    description: Option<String>,
    category: Option<String>,
    #[schema(format = DateTime)]
    start_date: Option<String>,
    #[schema(format = DateTime)]
    expiration_date: Option<String>,
    active: Option<bool>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
}

/// `PUT /v1/campaigns/{id}`: what changes; `metadata` merges.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CampaignUpdateBody {
    description: Option<String>,
    category: Option<String>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
    unset_metadata_fields: Option<Vec<String>>,
    #[schema(format = DateTime)]
    start_date: Option<String>,
    #[schema(format = DateTime)]
    expiration_date: Option<String>,
    discount: Option<DiscountBody>,
    gift: Option<GiftBody>,
    loyalty_card: Option<LoyaltyCardBody>,
}

/// `POST /v1/campaigns/{id}/vouchers`: every property optional; `code` only for one voucher.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AddVouchersBody {
    code: Option<String>,
    code_config: Option<CodeConfig>,
    category: Option<String>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
    redemption: Option<RedemptionLimit>,
    additional_info: Option<String>,
    #[schema(format = DateTime)]
    start_date: Option<String>,
    #[schema(format = DateTime)]
    expiration_date: Option<String>,
}

/// A customer or referrer of an imported order: by `id` or `source_id` (upserted with the
/// other fields).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OrderCustomerBody {
    id: Option<String>,
    source_id: Option<String>,
    #[serde(flatten)]
    fields: CustomerFields,
}

/// The product snapshot of an imported order item.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OrderItemProductBody {
    id: Option<String>,
    source_id: Option<String>,
    name: Option<String>,
    #[schema(minimum = 0)]
    price: Option<i64>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
}

/// The SKU snapshot of an imported order item.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OrderItemSkuBody {
    id: Option<String>,
    source_id: Option<String>,
    sku: Option<String>,
    #[schema(minimum = 0)]
    price: Option<i64>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
}

/// One item of an imported order. Amounts and prices in cents.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OrderItemBody {
    sku_id: Option<String>,
    product_id: Option<String>,
    #[schema(value_type = Option<ItemRelatedObjectName>)]
    related_object: Option<String>,
    source_id: Option<String>,
    #[schema(minimum = 1)]
    quantity: Option<i64>,
    #[schema(minimum = 0)]
    discount_quantity: Option<i64>,
    #[schema(minimum = 1)]
    initial_quantity: Option<i64>,
    #[schema(minimum = 0)]
    amount: Option<i64>,
    #[schema(minimum = 0)]
    discount_amount: Option<i64>,
    #[schema(minimum = 0)]
    initial_amount: Option<i64>,
    #[schema(minimum = 0)]
    price: Option<i64>,
    product: Option<OrderItemProductBody>,
    sku: Option<OrderItemSkuBody>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
}

/// One order of `POST /v1/orders/import`. Amounts in cents.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OrderImportItem {
    id: Option<String>,
    source_id: Option<String>,
    #[schema(value_type = Option<OrderStatusName>)]
    status: Option<String>,
    #[schema(minimum = 0)]
    amount: Option<i64>,
    #[schema(minimum = 0)]
    initial_amount: Option<i64>,
    #[schema(minimum = 0)]
    discount_amount: Option<i64>,
    #[schema(max_items = 500)]
    items: Option<Vec<OrderItemBody>>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
    #[schema(format = DateTime)]
    created_at: Option<String>,
    customer_id: Option<String>,
    referrer_id: Option<String>,
    customer: Option<OrderCustomerBody>,
    referrer: Option<OrderCustomerBody>,
}

/// One property definition of a metadata schema.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PropertyDefinitionBody {
    #[serde(rename = "type")]
    #[schema(value_type = PropertyTypeName)]
    kind: String,
    array: Option<bool>,
    /// Default `true`.
    optional: Option<bool>,
    /// The values allowed (of the property's type; not for `object`).
    #[schema(value_type = Option<Vec<Object>>)]
    eq: Option<Vec<serde_json::Value>>,
    /// Strings only.
    min_length: Option<u64>,
    /// Strings only.
    max_length: Option<u64>,
}

/// `PUT /v1/metadata-schemas/{resource}`: the whole schema (a fetched one can be sent back
/// as is); `related_object`, when given, must name the path's resource.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MetadataSchemaBody {
    #[schema(value_type = Option<MetadataResourcePath>)]
    related_object: Option<String>,
    properties: std::collections::BTreeMap<String, PropertyDefinitionBody>,
    allow_defined_only: Option<bool>,
}

/// `POST /v1/metadata-schemas`: a new schema for `related_object`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MetadataSchemaCreateBody {
    #[schema(value_type = MetadataResourcePath)]
    related_object: String,
    properties: std::collections::BTreeMap<String, PropertyDefinitionBody>,
    allow_defined_only: Option<bool>,
}

/// `POST /v1/metadata-schemas/{resource}/purge`: the metadata key to remove, exactly as
/// stored.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PurgeBody {
    #[schema(min_length = 1)]
    key: String,
}

/// `POST /v1/webhooks`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct WebhookBody {
    /// An absolute `http` or `https` URL.
    #[schema(format = "uri", max_length = 2048, example = "https://hooks.example.com/conveyor")]
    target_url: String,
    /// Default: every event.
    #[schema(min_items = 1)]
    events: Option<Vec<WebhookEventName>>,
}

/// A gift card's value in a campaign's voucher template, in cents.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct GiftTemplate {
    amount: i64,
    balance: i64,
}

/// A loyalty card's points in a campaign's voucher template.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LoyaltyCardTemplate {
    points: i64,
    balance: i64,
}
