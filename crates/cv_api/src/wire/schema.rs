//! Schemas of the OpenAPI document (`GET /openapi.json`) that no wire type derives: the
//! request bodies, which the sibling modules parse by hand from JSON (to answer with
//! Voucherify's `Property .<path> …` details) and which therefore have no typed struct of
//! their own; the bodies built with `json!` (errors, health, an action's `result`); and the
//! enumerations the API takes from the domain's own lists. The structs here exist only to be
//! described: nothing serializes or parses them.

use cv_domain::{
    ActionKind, DeliveryStatus, OrderStatus, WebhookEvent,
    campaign::{CampaignMode, CampaignType, GenerationStatus},
    metadata_schema::{MetadataResource, PropertyType},
    voucher::{DiscountType, VoucherType},
};
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{
        Ref, RefOr,
        schema::{AnyOfBuilder, Object, ObjectBuilder, Schema, Type},
    },
};

use crate::live::STATUS_NAMES;

/// A string schema that takes only `values`.
fn string_enum<'a>(values: impl IntoIterator<Item = &'a str>, description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
        .build()
}

macro_rules! constants {
    ($($name:ident => $value:literal),* $(,)?) => {
        $(
            #[doc = concat!("The schema of the constant string `\"", $value, "\"`.")]
            pub(crate) fn $name() -> Object {
                ObjectBuilder::new().schema_type(Type::String).enum_values(Some([$value])).build()
            }
        )*
    };
}

constants! {
    async_action => "async_action",
    campaign => "campaign",
    customer => "customer",
    list => "list",
    metadata_schema => "metadata_schema",
    order => "order",
    order_item => "order_item",
    product => "product",
    sku => "sku",
    voucher => "voucher",
    webhook => "webhook",
    webhook_delivery => "webhook_delivery",
    bearer => "Bearer",
    data => "data",
    async_actions => "async_actions",
    campaigns => "campaigns",
    customers => "customers",
    deliveries => "deliveries",
    orders => "orders",
    products => "products",
    schemas => "schemas",
    skus => "skus",
    vouchers => "vouchers",
    webhooks => "webhooks",
}

macro_rules! enum_schema {
    ($(#[$doc:meta])* $name:ident, $values:expr, $description:literal) => {
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                string_enum($values, $description).into()
            }
        }

        impl ToSchema for $name {}
    };
}

enum_schema!(
    /// An action type, e.g. `CUSTOMERS.BULK_UPDATE`.
    ActionType,
    ActionKind::ALL.iter().map(|kind| kind.as_str()),
    "The action's type: which producer made it and what it does."
);
enum_schema!(
    /// An action's status.
    ActionStatusName,
    STATUS_NAMES,
    "ENQUEUED → IN_PROGRESS → DONE | FAILED."
);
enum_schema!(
    /// An action's outcome.
    OperationStatusName,
    ["UNKNOWN", "SUCCESS", "FAILED"],
    "UNKNOWN while the action is ENQUEUED or IN_PROGRESS, SUCCESS when DONE, FAILED when FAILED."
);
enum_schema!(
    /// A webhook event name.
    WebhookEventName,
    WebhookEvent::ALL.iter().map(|event| event.as_str()),
    "async_action.done when an action ends DONE, async_action.failed when it ends FAILED."
);
enum_schema!(
    /// A resource that has a metadata schema (its `related_object`).
    MetadataResourceName,
    MetadataResource::ALL.iter().map(|resource| resource.as_str()),
    "The resource the schema types metadata of."
);
enum_schema!(
    /// The resource of a metadata-schema path, singular or plural.
    MetadataResourcePath,
    ["campaign", "campaigns", "customer", "customers", "order", "orders", "product", "products"]
        .into_iter()
        .chain(["voucher", "vouchers"]),
    "The resource, singular or plural (any other name answers 404)."
);
enum_schema!(
    /// A metadata property's type.
    PropertyTypeName,
    PropertyType::ALL.iter().map(|kind| kind.as_str()),
    "The type values of the property must have."
);
enum_schema!(
    /// An order's status.
    OrderStatusName,
    OrderStatus::ALL.iter().map(|status| status.as_str()),
    "The order's status."
);

enum_schema!(
    /// A voucher's type.
    VoucherTypeName,
    [VoucherType::DiscountVoucher, VoucherType::GiftVoucher, VoucherType::LoyaltyCard]
        .map(VoucherType::as_str),
    "The voucher's type."
);
enum_schema!(
    /// A discount's type.
    DiscountTypeName,
    [DiscountType::Amount, DiscountType::Percent, DiscountType::Fixed, DiscountType::Unit]
        .map(DiscountType::as_str),
    "AMOUNT (`amount_off`), PERCENT (`percent_off`), FIXED (`fixed_amount`) or UNIT \
     (`unit_off`, `unit_type`)."
);
enum_schema!(
    /// A campaign's type.
    CampaignTypeName,
    [CampaignType::DiscountCoupons, CampaignType::GiftVouchers, CampaignType::LoyaltyProgram]
        .map(CampaignType::as_str),
    "The campaign's type."
);
enum_schema!(
    /// Whether a campaign takes new vouchers.
    CampaignModeName,
    [CampaignMode::AutoUpdate, CampaignMode::Static].map(CampaignMode::as_str),
    "AUTO_UPDATE: vouchers can be added later; STATIC: a fixed set."
);
enum_schema!(
    /// Where a campaign's voucher generation stands.
    GenerationStatusName,
    [GenerationStatus::Done, GenerationStatus::InProgress, GenerationStatus::Failed]
        .map(GenerationStatus::as_str),
    "IN_PROGRESS while CAMPAIGN.VOUCHERS_GENERATE makes the vouchers."
);
enum_schema!(
    /// What an order item refers to.
    ItemRelatedObjectName,
    ["product", "sku"],
    "Whether the item's `source_id` names a product or a SKU."
);
enum_schema!(
    /// The grant type of `POST /v1/oauth/token`.
    GrantTypeName,
    [crate::wire::oauth::CLIENT_CREDENTIALS],
    "The only grant type."
);
enum_schema!(
    /// Where a webhook delivery stands.
    DeliveryStatusName,
    [DeliveryStatus::Pending, DeliveryStatus::Delivered, DeliveryStatus::Failed]
        .map(DeliveryStatus::as_str),
    "PENDING while attempts remain, DELIVERED after a 2xx answer, FAILED when retries ran out."
);

/// An action's `result`, present once it is DONE or FAILED: one object whose shape depends on
/// the action's type (and, for FAILED, on why it failed), never an array.
pub struct ActionResult;

impl PartialSchema for ActionResult {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(Ref::from_schema_name(ImportResult::name()))
            .item(Ref::from_schema_name(CountResult::name()))
            .item(Ref::from_schema_name(BulkReportResult::name()))
            .item(Ref::from_schema_name(FailureResult::name()))
            .description(Some(
                "The result of a finished action, by type: ImportResult for the imports, \
                 CountResult for campaign updates, deletions, generations and metadata-key \
                 purges, BulkReportResult for the bulk and metadata updates, and FailureResult \
                 for any action that ended FAILED.",
            ))
            .into()
    }
}

impl ToSchema for ActionResult {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        for (name, schema) in [
            (ImportResult::name(), ImportResult::schema()),
            (CountResult::name(), CountResult::schema()),
            (BulkReportResult::name(), BulkReportResult::schema()),
            (FailureResult::name(), FailureResult::schema()),
        ] {
            schemas.push((name.into_owned(), schema));
        }
        ImportResult::schemas(schemas);
        BulkReportResult::schemas(schemas);
        FailureResult::schemas(schemas);
    }
}

/// The result of CAMPAIGN.VOUCHERS_IMPORT, CAMPAIGN.VOUCHERS_IMPORT_CSV, CUSTOMERS.IMPORT_CSV,
/// PRODUCTS.IMPORT_CSV, SKUS.IMPORT_CSV, VOUCHERS.IMPORT, VOUCHERS.IMPORT_CSV and ORDERS.IMPORT:
/// `"<n> <noun>(s) imported successfully, <m> failed."` and the items that failed.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ImportResult {
    #[schema(example = "2 customer(s) imported successfully, 1 failed.")]
    message: String,
    /// The items that failed (the first 100 of them).
    failed: Vec<ImportFailure>,
    done_count: u64,
    failed_count: u64,
}

/// One failed item of an import: its key (`code` for vouchers, `source_id` for customers,
/// products, SKUs and orders), its 1-based row for a CSV file, and the reason.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ImportFailure {
    code: Option<String>,
    source_id: Option<String>,
    #[schema(minimum = 1)]
    row: Option<u64>,
    reason: String,
}

/// The result of CAMPAIGN.VOUCHERS_UPDATE, CAMPAIGN.VOUCHERS_DELETE,
/// CAMPAIGN.VOUCHERS_GENERATE and the five *.METADATA_KEY_PURGE types:
/// `"<Verb>ed <n> <things>."`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct CountResult {
    #[schema(example = "Generated 100 vouchers.")]
    message: String,
    done_count: u64,
}

/// The result of the six *.BULK_UPDATE and *.METADATA_UPDATE types: counts, the report's URL
/// and the items' errors.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct BulkReportResult {
    done_count: u64,
    failed_count: u64,
    /// The CSV report, `GET /v1/async-actions/{id}/report`.
    reports: Vec<String>,
    #[schema(format = DateTime)]
    reports_available_till: String,
    /// The items that failed (the first 100 of them).
    errors: Vec<BulkError>,
}

/// One failed item of a bulk or metadata update; `source_id` (customers, products) or
/// `code` (vouchers) names the item in the bulk updates.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct BulkError {
    #[schema(example = "Invalid payload")]
    message: String,
    details: String,
    #[schema(example = "invalid_payload")]
    key: String,
    source_id: Option<String>,
    code: Option<String>,
}

/// The result of an action that ended FAILED: why (an unreadable file, its campaign gone, an
/// internal error retries could not overcome, or `"Cancelled."`), and for a cancelled action
/// the counts of the chunks applied before it stopped.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct FailureResult {
    #[schema(example = "Cancelled.")]
    message: String,
    error: FailureCause,
    done_count: Option<u64>,
    failed_count: Option<u64>,
}

/// Why an action failed.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct FailureCause {
    /// `cancelled`, `action_failed` or `internal_error`.
    key: String,
    message: String,
}

/// `GET /v1/async-actions/{id}`: the action; with `wait`, its live form.
pub struct AsyncActionAnswer;

impl PartialSchema for AsyncActionAnswer {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(Ref::from_schema_name("AsyncAction"))
            .item(Ref::from_schema_name("LiveAsyncAction"))
            .description(Some(
                "The action; with `wait` (a long-poll), its live form with `total_items` and \
                 `processed_items`.",
            ))
            .into()
    }
}

impl ToSchema for AsyncActionAnswer {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        use super::action::{AsyncAction, LiveAsyncAction};
        schemas.push((AsyncAction::name().into_owned(), AsyncAction::schema()));
        schemas.push((LiveAsyncAction::name().into_owned(), LiveAsyncAction::schema()));
        LiveAsyncAction::schemas(schemas);
    }
}

/// One event of `GET /v1/async-actions/{id}/events`: its name, and its data, the action's
/// live form as JSON (the document adds the data's `contentSchema`, which this model of
/// OpenAPI cannot express: `crate::openapi`).
pub struct ActionEvent;

impl PartialSchema for ActionEvent {
    fn schema() -> RefOr<Schema> {
        let data = ObjectBuilder::new()
            .schema_type(Type::String)
            .content_media_type("application/json")
            .description(Some("The action's live form (LiveAsyncAction), as JSON."));
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "event",
                string_enum(
                    ["progress", "finished"],
                    "`progress` while the action runs; `finished`, the last, once it is DONE or \
                     FAILED.",
                ),
            )
            .required("event")
            .property("data", data)
            .required("data")
            .description(Some(
                "One Server-Sent Event. The stream sends the action as it is, then one event \
                 per change, and ends after `finished`; `: keep-alive` comments come between.",
            ))
            .into()
    }
}

impl ToSchema for ActionEvent {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        AsyncActionAnswer::schemas(schemas);
    }
}

/// Voucherify's error body (`crate::ApiError`). A rate-limited call gets only `code` and
/// `message`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// The HTTP status.
    #[schema(example = 404)]
    code: u16,
    #[schema(example = "not_found")]
    key: Option<String>,
    #[schema(example = "Resource not found")]
    message: String,
    #[schema(example = "Cannot find customer with id cust_1")]
    details: Option<String>,
    #[schema(example = "v-0c54493e444b0f61a6")]
    request_id: Option<String>,
    /// On a 404 of a resource id.
    resource_id: Option<String>,
    /// On a 404 of a resource id.
    resource_type: Option<String>,
}

/// The 413 of an oversized body, in Voucherify's (Boom) shape.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PayloadTooLarge {
    #[serde(rename = "statusCode")]
    #[schema(example = 413)]
    status_code: u16,
    #[schema(example = "Request Entity Too Large")]
    error: String,
    #[schema(example = "Payload content length greater than maximum allowed: 10485760")]
    message: String,
}

/// `GET /healthz`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Health {
    #[schema(example = "ok")]
    status: String,
}

/// `GET /readyz`: `ready` with the backend, or `unavailable`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Readiness {
    #[schema(example = "ready")]
    status: String,
    /// `sqlite` or `postgres`.
    backend: Option<String>,
}

/// `POST /v1/oauth/introspect`'s reply: the token's fields and `"active": true` while it is
/// live and the caller's, else only `{"active": false}`.
#[derive(ToSchema)]
#[schema(as = Introspection)]
#[allow(dead_code)]
pub struct IntrospectionBody {
    access_token: Option<String>,
    client_id: Option<String>,
    /// Epoch seconds.
    expires_at: Option<i64>,
    expires_in: Option<i64>,
    scope: Option<String>,
    token_type: Option<String>,
    active: bool,
}

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
