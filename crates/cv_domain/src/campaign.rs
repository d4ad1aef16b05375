//! Campaigns (SPEC.md §4): a named set of generated vouchers sharing one voucher template.
//!
//! Only what `CAMPAIGN.VOUCHERS_GENERATE` needs is modelled: the campaign's type, the
//! voucher template (`type`, `discount|gift|loyalty_card`, `code_config`,
//! `redemption.quantity`), how many vouchers it has and where generation stands.

use serde::{Deserialize, Serialize};

use crate::{
    Metadata, Timestamp, VoucherRecord,
    code_config::{CodeConfig, CodeConfigError, CodePattern, DEFAULT_MAX_ATTEMPTS_PER_CODE},
    ids::random_secret,
    voucher::{Discount, Gift, LoyaltyCard, VoucherType},
};

/// A new campaign id: `camp_` + 24 alphanumerics.
pub fn new_campaign_id() -> String {
    format!("camp_{}", random_secret(24))
}

/// What the campaign is for (`campaign_type`); only the generating types are creatable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CampaignType {
    /// Discount codes.
    DiscountCoupons,
    /// Gift cards.
    GiftVouchers,
    /// Loyalty cards.
    LoyaltyProgram,
}

impl CampaignType {
    /// The Voucherify name, e.g. `DISCOUNT_COUPONS`.
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignType::DiscountCoupons => "DISCOUNT_COUPONS",
            CampaignType::GiftVouchers => "GIFT_VOUCHERS",
            CampaignType::LoyaltyProgram => "LOYALTY_PROGRAM",
        }
    }

    /// The type with this Voucherify name (exact, upper case).
    pub fn parse(text: &str) -> Option<Self> {
        [Self::DiscountCoupons, Self::GiftVouchers, Self::LoyaltyProgram]
            .into_iter()
            .find(|t| t.as_str() == text)
    }
}

/// Whether the campaign takes new vouchers (`type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CampaignMode {
    /// Vouchers can be added later (the default).
    AutoUpdate,
    /// A fixed set of vouchers.
    Static,
}

impl CampaignMode {
    /// The Voucherify name.
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignMode::AutoUpdate => "AUTO_UPDATE",
            CampaignMode::Static => "STATIC",
        }
    }

    /// The mode with this Voucherify name (exact, upper case).
    pub fn parse(text: &str) -> Option<Self> {
        [Self::AutoUpdate, Self::Static].into_iter().find(|t| t.as_str() == text)
    }
}

/// Where voucher generation stands (`creation_status`, `vouchers_generation_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GenerationStatus {
    /// Every voucher exists.
    Done,
    /// An action is generating vouchers.
    InProgress,
    /// Generation failed.
    Failed,
}

impl GenerationStatus {
    /// The Voucherify name.
    pub fn as_str(self) -> &'static str {
        match self {
            GenerationStatus::Done => "DONE",
            GenerationStatus::InProgress => "IN_PROGRESS",
            GenerationStatus::Failed => "FAILED",
        }
    }
}

/// The template every voucher of the campaign is made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoucherTemplate {
    /// Discount, gift card or loyalty card.
    pub kind: VoucherType,
    /// Discount vouchers.
    pub discount: Option<Discount>,
    /// Gift cards.
    pub gift: Option<Gift>,
    /// Loyalty cards.
    pub loyalty_card: Option<LoyaltyCard>,
    /// How codes look.
    pub code_config: CodeConfig,
    /// Redemption limit per voucher; `None` is unlimited.
    pub redemption_quantity: Option<i64>,
}

impl VoucherTemplate {
    /// An active voucher record of this campaign with `code`.
    pub fn record(&self, code: String, campaign_id: &str) -> VoucherRecord {
        let mut record = VoucherRecord::new(code, self.kind);
        record.campaign_id = Some(campaign_id.to_owned());
        record.discount = self.discount.clone();
        record.gift = self.gift;
        record.loyalty_card = self.loyalty_card;
        record.redemption_quantity = self.redemption_quantity;
        record
    }

    /// Why vouchers cannot be made from the template (the checks of `VOUCHERS.IMPORT`).
    pub fn check(&self) -> Result<(), String> {
        self.record(String::new(), "").check()
    }
}

/// A campaign as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    /// `camp_…`.
    pub id: String,
    /// Unique per project.
    pub name: String,
    /// What it is for.
    pub campaign_type: CampaignType,
    /// AUTO_UPDATE or STATIC.
    pub mode: CampaignMode,
    /// How its vouchers are made.
    pub voucher: VoucherTemplate,
    /// How many vouchers it has (0 until generation is done).
    pub vouchers_count: u64,
    /// Where generation stands.
    pub generation_status: GenerationStatus,
    /// Free text.
    pub description: Option<String>,
    /// Category name.
    pub category: Option<String>,
    /// Valid from.
    pub start_date: Option<Timestamp>,
    /// Valid until.
    pub expiration_date: Option<Timestamp>,
    /// Whether it is active.
    pub active: bool,
    /// Custom attributes.
    pub metadata: Metadata,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Option<Timestamp>,
}

/// The payload of `CAMPAIGN.VOUCHERS_GENERATE`: make `count` vouchers from `template` in the
/// campaign.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateVouchers {
    /// The campaign (`camp_…`).
    pub campaign_id: String,
    /// How many vouchers to make.
    pub count: u64,
    /// What they look like (the campaign's template, with the request's overrides).
    pub template: VoucherTemplate,
    /// Category of the new vouchers.
    #[serde(default)]
    pub category: Option<String>,
    /// Metadata of the new vouchers.
    #[serde(default)]
    pub metadata: Metadata,
    /// Free text of the new vouchers.
    #[serde(default)]
    pub additional_info: Option<String>,
    /// Valid from.
    #[serde(default)]
    pub start_date: Option<Timestamp>,
    /// Valid until.
    #[serde(default)]
    pub expiration_date: Option<Timestamp>,
}

impl GenerateVouchers {
    /// The record of one generated voucher with `code`.
    pub fn record(&self, code: String) -> VoucherRecord {
        let mut record = self.template.record(code, &self.campaign_id);
        record.category = self.category.clone();
        record.metadata = self.metadata.clone();
        record.additional_info = self.additional_info.clone();
        record.start_date = self.start_date;
        record.expiration_date = self.expiration_date;
        record
    }
}

/// `count` distinct codes from `pattern`, none of them `taken`, drawn from the thread-local
/// CSPRNG (see [`crate::code_config`]).
pub fn draw_codes(
    pattern: &CodePattern,
    count: usize,
    taken: impl Fn(&str) -> bool,
) -> Result<Vec<String>, CodeConfigError> {
    pattern.generate_unique(&mut rand::rng(), count, taken, DEFAULT_MAX_ATTEMPTS_PER_CODE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_make_campaign_vouchers_and_ids_have_their_shape() {
        let id = new_campaign_id();
        assert!(id.starts_with("camp_") && id.len() == 29);
        let template = VoucherTemplate {
            kind: VoucherType::GiftVoucher,
            discount: None,
            gift: None,
            loyalty_card: None,
            code_config: CodeConfig::default(),
            redemption_quantity: Some(2),
        };
        assert_eq!(template.check(), Err("gift.amount: property is required".into()));
        let record = template.record("X".into(), &id);
        assert_eq!(record.campaign_id.as_deref(), Some(id.as_str()));
        assert_eq!(record.redemption_quantity, Some(2));
        assert_eq!(CampaignType::parse("GIFT_VOUCHERS"), Some(CampaignType::GiftVouchers));
        assert_eq!(CampaignMode::parse("PROMOTION"), None);
    }
}

/// The payload of `CAMPAIGN.VOUCHERS_DELETE` (`DELETE /v1/campaigns/{id}`): delete the
/// campaign's vouchers and the campaign, for good when `force`, else into the bin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteCampaign {
    /// The campaign's id.
    pub campaign_id: String,
    /// Delete for good (freeing the name) rather than bin.
    pub force: bool,
}

/// The payload of `CAMPAIGN.VOUCHERS_UPDATE` (`PUT /v1/campaigns/{id}`): the changes a
/// campaign update passes on to its vouchers not yet published or redeemed. `None` leaves a
/// field as it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateCampaignVouchers {
    /// The campaign's id.
    pub campaign_id: String,
    /// New category.
    pub category: Option<String>,
    /// New start of validity.
    pub start_date: Option<Timestamp>,
    /// New end of validity.
    pub expiration_date: Option<Timestamp>,
    /// New discount (discount campaigns).
    pub discount: Option<Discount>,
    /// New gift (gift campaigns).
    pub gift: Option<Gift>,
    /// New loyalty card (loyalty campaigns).
    pub loyalty_card: Option<LoyaltyCard>,
}

impl UpdateCampaignVouchers {
    /// Applies the changes to one voucher record.
    pub fn apply(&self, r: &mut VoucherRecord) {
        if let Some(v) = &self.category {
            r.category = Some(v.clone());
        }
        if let Some(v) = self.start_date {
            r.start_date = Some(v);
        }
        if let Some(v) = self.expiration_date {
            r.expiration_date = Some(v);
        }
        if let Some(v) = &self.discount {
            r.discount = Some(v.clone());
        }
        if let Some(v) = self.gift {
            r.gift = Some(v);
        }
        if let Some(v) = self.loyalty_card {
            r.loyalty_card = Some(v);
        }
    }
}
