//! Standalone vouchers (SPEC.md §4): discount vouchers, gift cards and loyalty cards, and the
//! rows the two voucher imports (`VOUCHERS.IMPORT`, `VOUCHERS.IMPORT_CSV`) describe.
//!
//! Money (`amount_off`, `fixed_amount`, gift `amount` and `balance`) is an integer in cents;
//! `percent_off` and `unit_off` are kept as the number given, so integers stay integers.

use serde::{Deserialize, Serialize};
use serde_json::Number;

use crate::{Metadata, Timestamp, VoucherId};

/// What kind of voucher it is (Voucherify's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VoucherType {
    /// A discount code.
    DiscountVoucher,
    /// A gift card with a balance.
    GiftVoucher,
    /// A loyalty card with points.
    LoyaltyCard,
}

impl VoucherType {
    /// The Voucherify name, e.g. `DISCOUNT_VOUCHER`.
    pub fn as_str(self) -> &'static str {
        match self {
            VoucherType::DiscountVoucher => "DISCOUNT_VOUCHER",
            VoucherType::GiftVoucher => "GIFT_VOUCHER",
            VoucherType::LoyaltyCard => "LOYALTY_CARD",
        }
    }

    /// The type with this Voucherify name (exact, upper case).
    pub fn parse(text: &str) -> Option<Self> {
        [Self::DiscountVoucher, Self::GiftVoucher, Self::LoyaltyCard]
            .into_iter()
            .find(|t| t.as_str() == text)
    }
}

/// How a discount is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DiscountType {
    /// A fixed amount off (`amount_off`, cents).
    Amount,
    /// A percentage off (`percent_off`).
    Percent,
    /// The price becomes a fixed amount (`fixed_amount`, cents).
    Fixed,
    /// Units of a product off or added (`unit_off`, `unit_type`).
    Unit,
}

impl DiscountType {
    /// The Voucherify name, e.g. `AMOUNT`.
    pub fn as_str(self) -> &'static str {
        match self {
            DiscountType::Amount => "AMOUNT",
            DiscountType::Percent => "PERCENT",
            DiscountType::Fixed => "FIXED",
            DiscountType::Unit => "UNIT",
        }
    }

    /// The type with this Voucherify name (exact, upper case).
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Amount, Self::Percent, Self::Fixed, Self::Unit]
            .into_iter()
            .find(|t| t.as_str() == text)
    }
}

/// A discount voucher's discount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discount {
    /// How the discount is computed.
    #[serde(rename = "type")]
    pub kind: DiscountType,
    /// AMOUNT: cents off.
    pub amount_off: Option<i64>,
    /// PERCENT: percent off, as given.
    pub percent_off: Option<Number>,
    /// FIXED: the new price in cents.
    pub fixed_amount: Option<i64>,
    /// UNIT: how many units, as given.
    pub unit_off: Option<Number>,
    /// UNIT: the product or SKU (`prod_…`).
    pub unit_type: Option<String>,
    /// Where the discount applies (e.g. `APPLY_TO_ORDER`).
    pub effect: Option<String>,
}

impl Discount {
    /// A discount of `kind` with no values yet.
    pub fn new(kind: DiscountType) -> Self {
        Self {
            kind,
            amount_off: None,
            percent_off: None,
            fixed_amount: None,
            unit_off: None,
            unit_type: None,
            effect: None,
        }
    }

    /// The first property this type requires that is missing, as Voucherify's reason.
    pub fn missing(&self) -> Option<String> {
        let missing = match self.kind {
            DiscountType::Amount => self.amount_off.is_none().then_some("amount_off"),
            DiscountType::Percent => self.percent_off.is_none().then_some("percent_off"),
            DiscountType::Fixed => self.fixed_amount.is_none().then_some("fixed_amount"),
            DiscountType::Unit if self.unit_off.is_none() => Some("unit_off"),
            DiscountType::Unit => self.unit_type.is_none().then_some("unit_type"),
        };
        missing.map(|name| format!("discount.{name}: property is required"))
    }
}

/// A gift card's value, in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gift {
    /// The initial value.
    pub amount: i64,
    /// What is left.
    pub balance: i64,
}

impl Gift {
    /// A gift card of `amount` of which `redeemed` is spent already; `None` when the balance
    /// `amount - redeemed` does not fit in an `i64`.
    pub fn with_redeemed(amount: i64, redeemed: i64) -> Option<Self> {
        amount.checked_sub(redeemed).map(|balance| Self { amount, balance })
    }

    /// How much was spent (`amount - balance`, Voucherify's `subtracted_amount`). Gifts made
    /// with [`Gift::with_redeemed`] or with `balance == amount` cannot overflow here; any
    /// other saturates rather than wrapping.
    pub fn subtracted_amount(&self) -> i64 {
        self.amount.saturating_sub(self.balance)
    }
}

/// A loyalty card's points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoyaltyCard {
    /// Points granted.
    pub points: i64,
    /// Points left.
    pub balance: i64,
}

/// A voucher as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Voucher {
    /// `v_…`.
    pub id: VoucherId,
    /// The code, unique per project.
    pub code: String,
    /// The campaign; `None` for a standalone voucher.
    pub campaign_id: Option<String>,
    /// Category name.
    pub category: Option<String>,
    /// Discount, gift card or loyalty card.
    pub kind: VoucherType,
    /// Set for discount vouchers.
    pub discount: Option<Discount>,
    /// Set for gift cards.
    pub gift: Option<Gift>,
    /// Set for loyalty cards.
    pub loyalty_card: Option<LoyaltyCard>,
    /// Valid from.
    pub start_date: Option<Timestamp>,
    /// Valid until.
    pub expiration_date: Option<Timestamp>,
    /// Whether it can be redeemed.
    pub active: bool,
    /// Free text.
    pub additional_info: Option<String>,
    /// Custom attributes.
    pub metadata: Metadata,
    /// How many times it may be redeemed; `None` is unlimited.
    pub redemption_quantity: Option<i64>,
    /// How many times it was redeemed.
    pub redeemed_quantity: i64,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed; absent until the first change.
    pub updated_at: Option<Timestamp>,
}

/// A voucher as an import describes it (a JSON item or a CSV row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoucherRecord {
    /// The code.
    pub code: String,
    /// The campaign it belongs to; `None` for a standalone voucher.
    #[serde(default)]
    pub campaign_id: Option<String>,
    /// Category name.
    pub category: Option<String>,
    /// Discount, gift card or loyalty card.
    pub kind: VoucherType,
    /// Discount vouchers.
    pub discount: Option<Discount>,
    /// Gift cards.
    pub gift: Option<Gift>,
    /// Loyalty cards.
    pub loyalty_card: Option<LoyaltyCard>,
    /// Valid from.
    pub start_date: Option<Timestamp>,
    /// Valid until.
    pub expiration_date: Option<Timestamp>,
    /// Whether it can be redeemed.
    pub active: bool,
    /// Free text.
    pub additional_info: Option<String>,
    /// Metadata.
    pub metadata: Metadata,
    /// Redemption limit; `None` is unlimited.
    pub redemption_quantity: Option<i64>,
    /// Redemptions so far.
    pub redeemed_quantity: i64,
}

impl VoucherRecord {
    /// A record of `kind` with only its code set, active and unlimited.
    pub fn new(code: String, kind: VoucherType) -> Self {
        Self {
            code,
            campaign_id: None,
            category: None,
            kind,
            discount: None,
            gift: None,
            loyalty_card: None,
            start_date: None,
            expiration_date: None,
            active: true,
            additional_info: None,
            metadata: Metadata::new(),
            redemption_quantity: None,
            redeemed_quantity: 0,
        }
    }

    /// Why the record cannot become a voucher: a discount voucher without its discount or a
    /// property its discount type requires, a gift card without its gift.
    pub fn check(&self) -> Result<(), String> {
        match self.kind {
            VoucherType::DiscountVoucher => match &self.discount {
                None => Err("discount: property is required".to_owned()),
                Some(discount) => discount.missing().map_or(Ok(()), Err),
            },
            VoucherType::GiftVoucher if self.gift.is_none() => {
                Err("gift.amount: property is required".to_owned())
            }
            VoucherType::GiftVoucher | VoucherType::LoyaltyCard => Ok(()),
        }
    }

    /// A fresh voucher from this record (standalone unless it names a campaign).
    pub fn create(self, id: VoucherId, now: Timestamp) -> Voucher {
        Voucher {
            id,
            code: self.code,
            campaign_id: self.campaign_id,
            category: self.category,
            kind: self.kind,
            discount: self.discount,
            gift: self.gift,
            loyalty_card: self.loyalty_card,
            start_date: self.start_date,
            expiration_date: self.expiration_date,
            active: self.active,
            additional_info: self.additional_info,
            metadata: self.metadata,
            redemption_quantity: self.redemption_quantity,
            redeemed_quantity: self.redeemed_quantity,
            created_at: now,
            updated_at: None,
        }
    }

    /// Applies the record to the existing voucher with its code (a CSV re-upload): every
    /// field the record carries replaces the stored one; metadata keys merge.
    pub fn apply(self, v: &mut Voucher, now: Timestamp) {
        v.category = self.category;
        v.kind = self.kind;
        v.discount = self.discount;
        v.gift = self.gift;
        v.loyalty_card = self.loyalty_card;
        v.start_date = self.start_date;
        v.expiration_date = self.expiration_date;
        v.active = self.active;
        v.additional_info = self.additional_info;
        v.metadata.extend(self.metadata);
        v.redemption_quantity = self.redemption_quantity;
        v.redeemed_quantity = self.redeemed_quantity;
        v.updated_at = Some(now);
    }
}

/// Per-code metadata for `VOUCHERS.BULK_UPDATE`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoucherMetadataPatch {
    /// The voucher.
    pub code: String,
    /// Keys to set; other keys are kept.
    pub metadata: Metadata,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_discount_type_requires_its_own_property() {
        let mut record = VoucherRecord::new("A".into(), VoucherType::DiscountVoucher);
        assert_eq!(record.check(), Err("discount: property is required".into()));
        for (kind, reason) in [
            (DiscountType::Amount, "discount.amount_off: property is required"),
            (DiscountType::Percent, "discount.percent_off: property is required"),
            (DiscountType::Fixed, "discount.fixed_amount: property is required"),
            (DiscountType::Unit, "discount.unit_off: property is required"),
        ] {
            record.discount = Some(Discount::new(kind));
            assert_eq!(record.check(), Err(reason.into()));
        }
        let mut unit = Discount::new(DiscountType::Unit);
        unit.unit_off = Some(Number::from(1));
        assert_eq!(unit.missing().as_deref(), Some("discount.unit_type: property is required"));
        unit.unit_type = Some("prod_1".into());
        record.discount = Some(unit);
        assert_eq!(record.check(), Ok(()));
        let gift = VoucherRecord::new("G".into(), VoucherType::GiftVoucher);
        assert_eq!(gift.check(), Err("gift.amount: property is required".into()));
        assert_eq!(VoucherType::parse("GIFT_VOUCHER"), Some(VoucherType::GiftVoucher));
        assert_eq!(DiscountType::parse("percent"), None);
    }

    /// Regression (fuzz corpus `csv_import/regression-gift-balance-overflow*`): a redeemed amount whose
    /// subtraction overflows is refused instead of wrapping (or panicking in debug builds).
    #[test]
    fn a_gift_balance_that_does_not_fit_is_refused() {
        assert_eq!(Gift::with_redeemed(1000, 250), Some(Gift { amount: 1000, balance: 750 }));
        assert_eq!(Gift::with_redeemed(i64::MAX, -1), None);
        assert_eq!(Gift::with_redeemed(i64::MIN, 1), None);
        let gift = Gift::with_redeemed(i64::MIN, i64::MIN).expect("balance 0");
        assert_eq!(gift.subtracted_amount(), i64::MIN);
        assert_eq!(Gift { amount: i64::MAX, balance: -1 }.subtracted_amount(), i64::MAX);
    }

    #[test]
    fn a_re_imported_record_replaces_fields_and_merges_metadata() {
        let mut first = VoucherRecord::new("A".into(), VoucherType::GiftVoucher);
        first.gift = Some(Gift { amount: 1000, balance: 1000 });
        first.metadata = json!({"a": 1}).as_object().cloned().unwrap_or_default();
        let mut v = first.create(VoucherId::generate(), Timestamp::from_millis(1));
        assert!(v.id.as_str().starts_with("v_") && v.id.as_str().len() == 34);
        let mut second = VoucherRecord::new("A".into(), VoucherType::GiftVoucher);
        second.gift = Some(Gift { amount: 500, balance: 400 });
        second.active = false;
        second.metadata = json!({"b": 2}).as_object().cloned().unwrap_or_default();
        second.apply(&mut v, Timestamp::from_millis(2));
        assert_eq!(v.gift, Some(Gift { amount: 500, balance: 400 }));
        assert!(!v.active);
        assert_eq!(serde_json::Value::Object(v.metadata.clone()), json!({"a": 1, "b": 2}));
        assert_eq!(v.updated_at, Some(Timestamp::from_millis(2)));
    }
}
