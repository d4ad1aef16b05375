//! Target `json_body`: the JSON body of every endpoint that takes one, decoded as the server
//! decodes it (`JsonBody::decode`) and parsed by the endpoint's parser in `cv_api::wire`.
//!
//! Input: a selector byte choosing the endpoint ([`ENDPOINTS`], `a` the first), then the
//! body.
//!
//! Properties: the decoded JSON prints as text that parses back to the same value (floats
//! included); what a parser accepts survives the trip through the store (the payload
//! serialized as the API stores it and deserialized as the action reads it is the same); what
//! it refuses is a Voucherify-shaped 400.

use std::{fmt::Debug, sync::LazyLock};

use cv_api::{
    ApiConfig, ApiError, JsonBody,
    wire::{
        campaign, campaign_update, campaign_voucher_import, campaign_vouchers, customer,
        metadata_purge, metadata_schema, order, product, validate::JsonPath, voucher,
        voucher_import, webhook,
    },
};
use cv_domain::{
    Campaign, Timestamp,
    payload::{VoucherImportItem, VouchersImport},
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Value, json};

use crate::shape::assert_voucherify_error;

/// The keys a body parser's 400 may carry.
const BODY_ERRORS: [&str; 4] =
    ["invalid_payload", "invalid_voucher", "duplicate_key", "invalid_campaign"];

/// Parses a decoded body as one endpoint does and checks the outcome.
pub type Endpoint = fn(&Value);

/// The endpoints, in selector order, by the route whose body they parse.
pub const ENDPOINTS: [(&str, Endpoint); 21] = [
    ("POST /v1/customers/bulk/async", |b| payload(customer::bulk_update(b))),
    ("POST /v1/customers/metadata/async", |b| payload(customer::metadata_update(b))),
    ("POST /v1/products/bulk/async", |b| payload(product::bulk_update(b))),
    ("POST /v1/products/metadata/async", |b| payload(product::metadata_update(b))),
    ("POST /v1/vouchers/bulk/async", |b| payload(voucher::bulk_update(b))),
    ("POST /v1/vouchers/metadata/async", |b| payload(voucher::metadata_update(b))),
    ("POST /v1/vouchers/import", vouchers_import),
    ("POST /v1/campaigns/{discount}/import", |b| campaign_import(b, &CAMPAIGNS[0])),
    ("POST /v1/campaigns/{gift}/import", |b| campaign_import(b, &CAMPAIGNS[1])),
    ("POST /v1/campaigns/{loyalty}/import", |b| campaign_import(b, &CAMPAIGNS[2])),
    ("POST /v1/campaigns", campaign_create),
    ("POST /v1/campaigns/{gift}/vouchers", |b| add_vouchers(b, &CAMPAIGNS[1])),
    ("PUT /v1/campaigns/{discount}", |b| campaign_change(b, &CAMPAIGNS[0])),
    ("PUT /v1/campaigns/{gift}", |b| campaign_change(b, &CAMPAIGNS[1])),
    ("POST /v1/orders/import", orders_import),
    ("POST /v1/metadata-schemas/{resource}/purge", |b| payload(metadata_purge::purge(b))),
    ("POST /v1/metadata-schemas", schema),
    ("POST /v1/webhooks", webhook_create),
    ("POST /v1/customers", |b| payload(customer::patch(b, &JsonPath::root(), false))),
    ("POST /v1/products", |b| payload(product::patch(b, &JsonPath::root(), false))),
    ("POST /v1/products/{id}/skus", |b| payload(product::sku_patch(b, &JsonPath::root()))),
];

/// Checks the body `data[1..]` against the endpoint `data[0]` chooses.
pub fn check(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else { return };
    let value = match JsonBody::decode(body) {
        Ok(value) => value,
        Err(err) => return assert_voucherify_error(&err, 400, &["invalid_payload"]),
    };
    let printed = serde_json::to_vec(&value).expect("a JSON value prints");
    let reparsed: Value = serde_json::from_slice(&printed).expect("printed JSON parses");
    assert_eq!(reparsed, value, "the body does not survive print and parse");
    let (_, parse) = ENDPOINTS[crate::select(selector, ENDPOINTS.len())];
    parse(&value);
}

/// An accepted body's result must survive the store: serialized as the API stores a payload,
/// deserialized as the action reads it, it is the same. A refused one is a 400.
fn payload<T: Serialize + DeserializeOwned + PartialEq + Debug>(parsed: Result<T, ApiError>) {
    if let Some(value) = accepted(parsed) {
        round_trip(&value);
    }
}

/// The accepted value, or `None` after checking the refusal's shape.
fn accepted<T>(parsed: Result<T, ApiError>) -> Option<T> {
    match parsed {
        Ok(value) => Some(value),
        Err(err) => {
            assert_voucherify_error(&err, 400, &BODY_ERRORS);
            None
        }
    }
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T) {
    let stored = serde_json::to_vec(value).expect("a payload serializes");
    let read: T = serde_json::from_slice(&stored).unwrap_or_else(|e| {
        panic!("a stored payload does not deserialize: {e}\n{}", String::from_utf8_lossy(&stored))
    });
    assert_eq!(&read, value, "the payload changes through the store");
}

/// Every item keeps its (trimmed) code, codes do not repeat, valid records are complete.
fn check_voucher_items(items: &[VoucherImportItem], codes: &[String]) {
    assert_eq!(items.len(), codes.len());
    let mut seen = std::collections::HashSet::new();
    for (item, code) in items.iter().zip(codes) {
        assert!(seen.insert(code), "code {code:?} repeats");
        assert!(!code.is_empty() && code.trim() == code, "code {code:?}");
        match item {
            VoucherImportItem::Valid(record) => {
                assert_eq!(&record.code, code);
                assert_eq!(record.check(), Ok(()), "an accepted record is incomplete");
            }
            VoucherImportItem::Invalid { code: item_code, reason } => {
                assert_eq!(item_code, code);
                assert!(!reason.is_empty());
            }
        }
    }
}

fn vouchers_import(body: &Value) {
    if let Some((import, codes)) = accepted(voucher_import::import(body)) {
        check_voucher_items(&import.vouchers, &codes);
        round_trip::<VouchersImport>(&import);
    }
}

fn campaign_import(body: &Value, campaign: &Campaign) {
    if let Some((import, codes)) = accepted(campaign_voucher_import::import(body, campaign)) {
        assert_eq!(import.campaign_id, campaign.id);
        check_voucher_items(&import.vouchers, &codes);
        for item in &import.vouchers {
            if let VoucherImportItem::Valid(record) = item {
                assert_eq!(record.kind, campaign.voucher.kind, "the campaign decides the type");
            }
        }
        round_trip(&import);
    }
}

fn campaign_create(body: &Value) {
    let now = Timestamp::from_millis(1_700_000_000_000);
    if let Some(created) = accepted(campaign::create(body, now)) {
        assert!(created.vouchers_count <= campaign::MAX_VOUCHERS_COUNT);
        assert_eq!(created.campaign.voucher.check(), Ok(()), "an accepted template is incomplete");
        created.campaign.voucher.code_config.validate().expect("an accepted code_config is valid");
        round_trip(&created.campaign);
    }
}

fn add_vouchers(body: &Value, campaign: &Campaign) {
    if let Some(add) = accepted(campaign_vouchers::add(body, campaign, 2)) {
        assert_eq!(add.generate.campaign_id, campaign.id);
        add.generate.template.code_config.validate().expect("an accepted code_config is valid");
        round_trip(&add.generate);
    }
}

fn campaign_change(body: &Value, campaign: &Campaign) {
    let mut changed = campaign.clone();
    if let Some(changes) = accepted(campaign_update::apply(body, &mut changed)) {
        assert_eq!(changes.campaign_id, campaign.id);
        assert_eq!(changed.voucher.kind, campaign.voucher.kind, "an update changed the type");
        round_trip(&changes);
        round_trip(&changed);
    }
}

fn orders_import(body: &Value) {
    let limit = ApiConfig::default().orders_import_limit;
    if let Some(import) = accepted(order::import(body, limit)) {
        assert!((1..=limit).contains(&import.orders.len()));
        round_trip(&import);
    }
}

fn schema(body: &Value) {
    let Some(resource) = accepted(metadata_schema::related_object(body)) else { return };
    if let Some(schema) = accepted(metadata_schema::parse_schema(body, resource)) {
        assert_eq!(schema.related_object, resource);
        round_trip(&schema);
    }
}

fn webhook_create(body: &Value) {
    if let Some(new) = accepted(webhook::create(body)) {
        assert!(!new.target_url.is_empty() && new.target_url.len() <= webhook::MAX_URL_LEN);
    }
}

/// A discount, a gift and a loyalty campaign, made by the create parser itself.
static CAMPAIGNS: LazyLock<[Campaign; 3]> = LazyLock::new(|| {
    let now = Timestamp::from_millis(1_700_000_000_000);
    let make =
        |body: Value| campaign::create(&body, now).expect("a fixture campaign parses").campaign;
    [
        make(json!({"name": "Discounts", "voucher": {"type": "DISCOUNT_VOUCHER",
            "discount": {"type": "PERCENT", "percent_off": 12.5}}})),
        make(json!({"name": "Gifts", "voucher": {"type": "GIFT_VOUCHER",
            "gift": {"amount": 5000}, "code_config": {"pattern": "GIFT-####"}}})),
        make(json!({"name": "Points", "voucher": {"type": "LOYALTY_CARD",
            "loyalty_card": {"points": 100}}})),
    ]
});
