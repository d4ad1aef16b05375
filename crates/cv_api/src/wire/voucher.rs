//! Voucher responses (SPEC.md §4) and the bodies of the voucher bulk and metadata updates.
//! Money is integers in cents.

use cv_domain::{
    Metadata, Voucher,
    payload::{VouchersBulkUpdate, VouchersMetadataUpdate},
    voucher::{Discount, VoucherMetadataPatch},
};
use cv_store::VoucherPage;
use serde::Serialize;
use serde_json::{Number, Value};
use utoipa::ToSchema;

use super::{
    schema,
    validate::{self, JsonPath},
};
use crate::ApiError;

/// A discount as Voucherify shows it: only the properties its type uses.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DiscountResponse {
    #[serde(rename = "type")]
    #[schema(value_type = schema::DiscountTypeName)]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount_off: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    percent_off: Option<Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fixed_amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    unit_off: Option<Number>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    effect: Option<String>,
}

impl From<Discount> for DiscountResponse {
    fn from(d: Discount) -> Self {
        Self {
            kind: d.kind.as_str(),
            amount_off: d.amount_off,
            percent_off: d.percent_off,
            fixed_amount: d.fixed_amount,
            unit_off: d.unit_off,
            unit_type: d.unit_type,
            effect: d.effect,
        }
    }
}

/// A gift card's value.
#[derive(Debug, Serialize, ToSchema)]
struct GiftResponse {
    amount: i64,
    subtracted_amount: i64,
    balance: i64,
}

/// A loyalty card's points.
#[derive(Debug, Serialize, ToSchema)]
struct LoyaltyCardResponse {
    points: i64,
    balance: i64,
}

/// `redemption` inside a voucher.
#[derive(Debug, Serialize, ToSchema)]
struct Redemption {
    quantity: Option<i64>,
    redeemed_quantity: i64,
    redeemed_points: i64,
    #[schema(schema_with = schema::list)]
    object: &'static str,
    url: String,
}

/// `publish` inside a voucher.
#[derive(Debug, Serialize, ToSchema)]
struct Publish {
    #[schema(schema_with = schema::list)]
    object: &'static str,
    count: i64,
    url: String,
}

/// Voucherify's voucher object.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoucherResponse {
    id: String,
    code: String,
    campaign: Option<String>,
    campaign_id: Option<String>,
    category: Option<String>,
    category_id: Option<String>,
    #[schema(value_type = Vec<Object>)]
    categories: Vec<Value>,
    #[serde(rename = "type")]
    #[schema(value_type = schema::VoucherTypeName)]
    kind: &'static str,
    discount: Option<DiscountResponse>,
    gift: Option<GiftResponse>,
    loyalty_card: Option<LoyaltyCardResponse>,
    #[schema(format = DateTime)]
    start_date: Option<String>,
    #[schema(format = DateTime)]
    expiration_date: Option<String>,
    #[schema(value_type = Option<Object>)]
    validity_timeframe: Option<Value>,
    #[schema(value_type = Option<Vec<i32>>)]
    validity_day_of_week: Option<Value>,
    active: bool,
    additional_info: Option<String>,
    #[schema(value_type = Object)]
    metadata: Metadata,
    is_referral_code: bool,
    holder_id: Option<String>,
    redemption: Redemption,
    publish: Publish,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: Option<String>,
    #[schema(schema_with = schema::voucher)]
    object: &'static str,
}

impl From<Voucher> for VoucherResponse {
    fn from(v: Voucher) -> Self {
        let redemptions = format!("/v1/vouchers/{}/redemptions?page=1&limit=10", v.code);
        let publications = format!("/v1/vouchers/{}/publications?page=1&limit=10", v.code);
        Self {
            id: v.id.to_string(),
            campaign: None,
            campaign_id: v.campaign_id,
            category: v.category,
            category_id: None,
            categories: Vec::new(),
            kind: v.kind.as_str(),
            discount: v.discount.map(DiscountResponse::from),
            gift: v.gift.map(|g| GiftResponse {
                amount: g.amount,
                subtracted_amount: g.subtracted_amount(),
                balance: g.balance,
            }),
            loyalty_card: v
                .loyalty_card
                .map(|l| LoyaltyCardResponse { points: l.points, balance: l.balance }),
            start_date: v.start_date.map(|t| t.to_string()),
            expiration_date: v.expiration_date.map(|t| t.to_string()),
            validity_timeframe: None,
            validity_day_of_week: None,
            active: v.active,
            additional_info: v.additional_info,
            metadata: v.metadata,
            is_referral_code: false,
            holder_id: None,
            redemption: Redemption {
                quantity: v.redemption_quantity,
                redeemed_quantity: v.redeemed_quantity,
                redeemed_points: 0,
                object: "list",
                url: redemptions,
            },
            publish: Publish { object: "list", count: 0, url: publications },
            created_at: v.created_at.to_string(),
            updated_at: v.updated_at.map(|t| t.to_string()),
            object: "voucher",
            code: v.code,
        }
    }
}

/// `GET /v1/vouchers`.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoucherList {
    #[schema(schema_with = schema::list)]
    object: &'static str,
    #[schema(schema_with = schema::vouchers)]
    data_ref: &'static str,
    vouchers: Vec<VoucherResponse>,
    total: u64,
}

impl From<VoucherPage> for VoucherList {
    fn from(page: VoucherPage) -> Self {
        Self {
            object: "list",
            data_ref: "vouchers",
            vouchers: page.vouchers.into_iter().map(VoucherResponse::from).collect(),
            total: page.total,
        }
    }
}

/// `POST /v1/vouchers/bulk/async`: `[{code*, metadata*}]`. An empty body is an empty array.
pub fn bulk_update(body: &Value) -> Result<VouchersBulkUpdate, ApiError> {
    if body.is_null() {
        return Ok(VouchersBulkUpdate { vouchers: Vec::new() });
    }
    let root = JsonPath::root();
    let vouchers = validate::array(body, &root)?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = root.index(i);
            let obj = validate::object(item, &at)?;
            let code = validate::required_string(obj, "code", &at)?;
            let metadata = validate::object_field(obj, "metadata", &at)?
                .ok_or_else(|| at.key("metadata").required())?
                .clone();
            Ok(VoucherMetadataPatch { code, metadata })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(VouchersBulkUpdate { vouchers })
}

/// `POST /v1/vouchers/metadata/async`: `{codes*: [string], metadata*: object}`.
pub fn metadata_update(body: &Value) -> Result<VouchersMetadataUpdate, ApiError> {
    let (codes, metadata) = validate::metadata_update(body, "codes")?;
    Ok(VouchersMetadataUpdate { codes, metadata })
}
