//! Campaign responses (SPEC.md §4) and the bodies of `POST /v1/campaigns` and
//! `POST /v1/campaigns/{id}/vouchers`.
//!
//! Create: `name*`, `campaign_type` (DISCOUNT_COUPONS | GIFT_VOUCHERS | LOYALTY_PROGRAM,
//! else derived from the voucher type), `type` (AUTO_UPDATE | STATIC, default AUTO_UPDATE),
//! `vouchers_count`, `voucher*{type, discount|gift|loyalty_card, code_config,
//! redemption{quantity}}` (checked like a VOUCHERS.IMPORT item), `description`, `category`,
//! `start_date`, `expiration_date`, `active`, `metadata`. Other properties are ignored.

use cv_domain::{
    Campaign, Metadata, Timestamp,
    campaign::{CampaignMode, CampaignType, GenerationStatus, VoucherTemplate, new_campaign_id},
    code_config::CodeConfig,
    voucher::{Gift, LoyaltyCard, VoucherType},
};
use cv_store::CampaignPage;
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::{
    schema,
    validate::{self, JsonPath},
    voucher::DiscountResponse,
    voucher_import,
};
use crate::ApiError;

/// The most vouchers one request may generate (SPEC.md §1: a campaign holds ≤ 100,000).
pub const MAX_VOUCHERS_COUNT: u64 = 100_000;

/// A parsed create request: the campaign as it will be stored, and how many vouchers to make.
#[derive(Debug)]
pub struct CampaignCreate {
    /// The campaign, with `vouchers_count` 0 and status DONE (the route adjusts both).
    pub campaign: Campaign,
    /// How many vouchers were asked for (0 when absent).
    pub vouchers_count: u64,
}

/// The optional `code_config` of `obj`, validated; `Err` carries the CodeConfigError text.
pub fn code_config(
    obj: &Map<String, Value>,
    at: &JsonPath,
) -> Result<Result<Option<CodeConfig>, String>, ApiError> {
    let Some(raw) = validate::object_field(obj, "code_config", at)? else {
        return Ok(Ok(None));
    };
    let config: CodeConfig = serde_json::from_value(Value::Object(raw.clone()))
        .map_err(|e| at.key("code_config").invalid(&e.to_string()))?;
    Ok(config.validate().map(|_| Some(config)).map_err(|e| e.to_string()))
}

/// The optional non-negative integer `vouchers_count` of a body or query, at most
/// [`MAX_VOUCHERS_COUNT`].
pub fn vouchers_count(value: Option<&Value>, at: &JsonPath) -> Result<u64, ApiError> {
    let count = match value {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => validate::unsigned(n).ok_or_else(|| at.should_be("integer"))?,
        Some(_) => return Err(at.should_be("integer")),
    };
    if count > MAX_VOUCHERS_COUNT {
        return Err(ApiError::InvalidCampaign(format!(
            "vouchers_count must be at most {MAX_VOUCHERS_COUNT} (got {count})"
        )));
    }
    Ok(count)
}

/// The voucher template of a create body.
fn template(obj: &Map<String, Value>, at: &JsonPath) -> Result<VoucherTemplate, ApiError> {
    let record =
        voucher_import::record(obj, String::new(), at)?.map_err(ApiError::InvalidCampaign)?;
    let code_config = code_config(obj, at)?.map_err(ApiError::InvalidCampaign)?;
    Ok(VoucherTemplate {
        kind: record.kind,
        discount: record.discount,
        gift: record.gift,
        loyalty_card: record.loyalty_card,
        code_config: code_config.unwrap_or_default(),
        redemption_quantity: record.redemption_quantity,
    })
}

/// Parses a `POST /v1/campaigns` body.
pub fn create(body: &Value, now: Timestamp) -> Result<CampaignCreate, ApiError> {
    let root = JsonPath::root();
    let obj = validate::object(body, &root)?;
    let name = validate::required_string(obj, "name", &root)?;
    let voucher = validate::object_field(obj, "voucher", &root)?
        .ok_or_else(|| ApiError::InvalidCampaign("voucher: property is required".to_owned()))?;
    let voucher = template(voucher, &root.key("voucher"))?;
    let campaign_type = match voucher_import::string(obj, "campaign_type", &root)? {
        Some(text) => CampaignType::parse(&text).ok_or_else(|| {
            ApiError::InvalidCampaign(format!(
                "campaign_type: must be equal to one of DISCOUNT_COUPONS,GIFT_VOUCHERS,\
                 LOYALTY_PROGRAM (actual value is '{text}')"
            ))
        })?,
        None => match voucher.kind {
            VoucherType::DiscountVoucher => CampaignType::DiscountCoupons,
            VoucherType::GiftVoucher => CampaignType::GiftVouchers,
            VoucherType::LoyaltyCard => CampaignType::LoyaltyProgram,
        },
    };
    let mode = match voucher_import::string(obj, "type", &root)? {
        Some(text) => CampaignMode::parse(&text).ok_or_else(|| {
            ApiError::InvalidCampaign(format!(
                "type: must be equal to one of AUTO_UPDATE,STATIC (actual value is '{text}')"
            ))
        })?,
        None => CampaignMode::AutoUpdate,
    };
    let vouchers_count = vouchers_count(obj.get("vouchers_count"), &root.key("vouchers_count"))?;
    let active = match obj.get("active") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(root.key("active").should_be("boolean")),
    };
    let campaign = Campaign {
        id: new_campaign_id(),
        name,
        campaign_type,
        mode,
        voucher,
        vouchers_count: 0,
        generation_status: GenerationStatus::Done,
        description: voucher_import::string(obj, "description", &root)?,
        category: voucher_import::string(obj, "category", &root)?,
        start_date: voucher_import::date(obj, "start_date", &root)?,
        expiration_date: voucher_import::date(obj, "expiration_date", &root)?,
        active,
        metadata: validate::object_field(obj, "metadata", &root)?.cloned().unwrap_or_default(),
        created_at: now,
        updated_at: None,
    };
    Ok(CampaignCreate { campaign, vouchers_count })
}

/// `voucher` inside a campaign.
#[derive(Debug, Serialize, ToSchema)]
struct TemplateResponse {
    #[serde(rename = "type")]
    #[schema(value_type = schema::VoucherTypeName)]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    discount: Option<DiscountResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<schema::GiftTemplate>)]
    gift: Option<Gift>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<schema::LoyaltyCardTemplate>)]
    loyalty_card: Option<LoyaltyCard>,
    #[schema(value_type = schema::RedemptionLimit)]
    redemption: Value,
    #[schema(value_type = schema::CodeConfig)]
    code_config: CodeConfig,
    is_referral_code: bool,
}

/// Voucherify's campaign object.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignResponse {
    id: String,
    name: String,
    description: Option<String>,
    #[schema(value_type = schema::CampaignTypeName)]
    campaign_type: &'static str,
    #[serde(rename = "type")]
    #[schema(value_type = schema::CampaignModeName)]
    mode: &'static str,
    voucher: TemplateResponse,
    auto_join: bool,
    join_once: bool,
    use_voucher_metadata_schema: bool,
    vouchers_count: u64,
    #[schema(value_type = schema::GenerationStatusName)]
    creation_status: &'static str,
    #[schema(value_type = schema::GenerationStatusName)]
    vouchers_generation_status: &'static str,
    #[schema(format = DateTime)]
    start_date: Option<String>,
    #[schema(format = DateTime)]
    expiration_date: Option<String>,
    active: bool,
    #[schema(value_type = Object)]
    metadata: Metadata,
    category: Option<String>,
    category_id: Option<String>,
    #[schema(value_type = Vec<Object>)]
    categories: Vec<Value>,
    protected: bool,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: Option<String>,
    #[schema(schema_with = schema::campaign)]
    object: &'static str,
}

impl From<Campaign> for CampaignResponse {
    fn from(c: Campaign) -> Self {
        let status = c.generation_status.as_str();
        let v = c.voucher;
        Self {
            id: c.id,
            name: c.name,
            description: c.description,
            campaign_type: c.campaign_type.as_str(),
            mode: c.mode.as_str(),
            voucher: TemplateResponse {
                kind: v.kind.as_str(),
                discount: v.discount.map(DiscountResponse::from),
                gift: v.gift,
                loyalty_card: v.loyalty_card,
                redemption: json!({"quantity": v.redemption_quantity}),
                code_config: v.code_config,
                is_referral_code: false,
            },
            auto_join: false,
            join_once: false,
            use_voucher_metadata_schema: false,
            vouchers_count: c.vouchers_count,
            creation_status: status,
            vouchers_generation_status: status,
            start_date: c.start_date.map(|t| t.to_string()),
            expiration_date: c.expiration_date.map(|t| t.to_string()),
            active: c.active,
            metadata: c.metadata,
            category: c.category,
            category_id: None,
            categories: Vec::new(),
            protected: false,
            created_at: c.created_at.to_string(),
            updated_at: c.updated_at.map(|t| t.to_string()),
            object: "campaign",
        }
    }
}

/// `GET /v1/campaigns`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignList {
    #[schema(schema_with = schema::list)]
    object: &'static str,
    #[schema(schema_with = schema::campaigns)]
    data_ref: &'static str,
    campaigns: Vec<CampaignResponse>,
    total: u64,
}

impl From<CampaignPage> for CampaignList {
    fn from(page: CampaignPage) -> Self {
        Self {
            object: "list",
            data_ref: "campaigns",
            campaigns: page.campaigns.into_iter().map(CampaignResponse::from).collect(),
            total: page.total,
        }
    }
}
