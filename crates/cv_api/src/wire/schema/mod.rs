//! Schemas of the OpenAPI document (`GET /openapi.json`) that no wire type derives: the
//! request bodies, which the sibling modules parse by hand from JSON (to answer with
//! Voucherify's `Property .<path> …` details) and which therefore have no typed struct of
//! their own; the bodies built with `json!` (errors, health, an action's `result`); and the
//! enumerations the API takes from the domain's own lists. The structs here exist only to be
//! described: nothing serializes or parses them. The request bodies are in `requests`.

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

mod requests;
pub use requests::*;

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
