//! The body of `POST /v1/vouchers/import` (VOUCHERS.IMPORT): a JSON array of vouchers.
//!
//! What refuses the whole request (400): a body that is not an array, a property of the wrong
//! JSON type (`invalid_payload`), items without a `code` (`invalid_voucher`), and codes
//! repeated within the body (`duplicate_key`; codes that exist already are checked by the
//! route). What fails only its item: a missing property its type requires (AMOUNT needs
//! `amount_off`, a gift card `gift.amount`, …) or an unknown `type`. Other properties are
//! ignored, as Voucherify does.

use std::collections::BTreeSet;

use cv_domain::{
    Timestamp, VoucherRecord,
    customer::Field,
    payload::{VoucherImportItem, VouchersImport},
    voucher::{Discount, DiscountType, Gift, LoyaltyCard, VoucherType},
};
use serde_json::{Map, Number, Value};

use super::validate::{self, JsonPath};
use crate::ApiError;

/// An optional integer property (`null` counts as absent).
pub(crate) fn integer(
    obj: &Map<String, Value>,
    name: &str,
    at: &JsonPath,
) -> Result<Option<i64>, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            validate::integer(n).map(Some).ok_or_else(|| at.key(name).should_be("integer"))
        }
        Some(_) => Err(at.key(name).should_be("integer")),
    }
}

/// An optional number property, kept as given (`null` counts as absent).
fn number(obj: &Map<String, Value>, name: &str, at: &JsonPath) -> Result<Option<Number>, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(Some(n.clone())),
        Some(_) => Err(at.key(name).should_be("number")),
    }
}

/// An optional string property (`null` counts as absent).
pub(crate) fn string(
    obj: &Map<String, Value>,
    name: &str,
    at: &JsonPath,
) -> Result<Option<String>, ApiError> {
    Ok(match validate::string_field(obj, name, at)? {
        Field::Set(s) => Some(s),
        Field::Keep | Field::Clear => None,
    })
}

/// An optional date property in any ISO 8601 form clients send.
pub(crate) fn date(
    obj: &Map<String, Value>,
    name: &str,
    at: &JsonPath,
) -> Result<Option<Timestamp>, ApiError> {
    string(obj, name, at)?
        .map(|text| {
            Timestamp::parse(&text).map_err(|_| {
                at.key(name).invalid("cannot be recognized as a ISO-8601 compliant date")
            })
        })
        .transpose()
}

fn one_of(name: &str, allowed: &[&str], actual: &str) -> String {
    format!("{name}: must be equal to one of {} (actual value is '{actual}')", allowed.join(","))
}

/// The discount of an item, or the reason its item fails.
fn discount(obj: &Map<String, Value>, at: &JsonPath) -> Result<Result<Discount, String>, ApiError> {
    let kind = match string(obj, "type", at)? {
        None => return Ok(Err("discount.type: property is required".to_owned())),
        Some(text) => match DiscountType::parse(&text) {
            Some(kind) => kind,
            None => {
                return Ok(Err(one_of(
                    "discount.type",
                    &["AMOUNT", "PERCENT", "FIXED", "UNIT"],
                    &text,
                )));
            }
        },
    };
    Ok(Ok(Discount {
        kind,
        amount_off: integer(obj, "amount_off", at)?,
        percent_off: number(obj, "percent_off", at)?,
        fixed_amount: integer(obj, "fixed_amount", at)?,
        unit_off: number(obj, "unit_off", at)?,
        unit_type: string(obj, "unit_type", at)?,
        effect: string(obj, "effect", at)?,
    }))
}

/// One item with a code as a record, or the reason it fails.
pub(crate) fn record(
    obj: &Map<String, Value>,
    code: String,
    at: &JsonPath,
) -> Result<Result<VoucherRecord, String>, ApiError> {
    let gift = validate::object_field(obj, "gift", at)?;
    let loyalty = validate::object_field(obj, "loyalty_card", at)?;
    let kind = match string(obj, "type", at)? {
        Some(text) => match VoucherType::parse(&text) {
            Some(kind) => kind,
            None => {
                let allowed = ["DISCOUNT_VOUCHER", "GIFT_VOUCHER", "LOYALTY_CARD"];
                return Ok(Err(one_of("type", &allowed, &text)));
            }
        },
        None if gift.is_some() => VoucherType::GiftVoucher,
        None if loyalty.is_some() => VoucherType::LoyaltyCard,
        None => VoucherType::DiscountVoucher,
    };
    let mut record = VoucherRecord::new(code, kind);
    if let Some(d) = validate::object_field(obj, "discount", at)? {
        match discount(d, &at.key("discount"))? {
            Ok(d) => record.discount = Some(d),
            Err(reason) => return Ok(Err(reason)),
        }
    }
    if let Some(g) = gift {
        let amount = integer(g, "amount", &at.key("gift"))?;
        record.gift = amount.map(|amount| Gift { amount, balance: amount });
    }
    if let Some(l) = loyalty {
        let points = integer(l, "points", &at.key("loyalty_card"))?.unwrap_or(0);
        record.loyalty_card = Some(LoyaltyCard { points, balance: points });
    }
    common_fields(obj, at, &mut record)?;
    Ok(record.check().map(|()| record))
}

/// The request as the action's payload, and the codes to check against the store. An empty
/// body is an empty array.
pub fn import(body: &Value) -> Result<(VouchersImport, Vec<String>), ApiError> {
    let (vouchers, codes) = items(body, record)?;
    Ok((VouchersImport { vouchers }, codes))
}

/// The items of a voucher import body, each made a record by `record` (given the item, its
/// code and its path), and their codes. Refuses the body when it is not an array, when
/// items have no code and when codes repeat; a `null` body has no items.
pub(crate) fn items(
    body: &Value,
    record: impl Fn(
        &Map<String, Value>,
        String,
        &JsonPath,
    ) -> Result<Result<VoucherRecord, String>, ApiError>,
) -> Result<(Vec<VoucherImportItem>, Vec<String>), ApiError> {
    if body.is_null() {
        return Ok((Vec::new(), Vec::new()));
    }
    let root = JsonPath::root();
    let items = validate::array(body, &root)?;
    let (mut vouchers, mut codes, mut without_code) = (Vec::new(), Vec::new(), 0usize);
    for (i, item) in items.iter().enumerate() {
        let at = root.index(i);
        let obj = validate::object(item, &at)?;
        let code = match obj.get("code") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Some(_) => return Err(at.key("code").should_be("string")),
        };
        let Some(code) = code else {
            without_code += 1;
            continue;
        };
        codes.push(code.clone());
        vouchers.push(match record(obj, code.clone(), &at)? {
            Ok(record) => VoucherImportItem::Valid(Box::new(record)),
            Err(reason) => VoucherImportItem::Invalid { code, reason },
        });
    }
    if without_code > 0 {
        return Err(ApiError::InvalidVoucher(format!(
            "Found {without_code} voucher(s) without 'code' value"
        )));
    }
    let mut seen = BTreeSet::new();
    let repeated: BTreeSet<&String> = codes.iter().filter(|c| !seen.insert(*c)).collect();
    if !repeated.is_empty() {
        return Err(ApiError::DuplicateKey(format!(
            "{} voucher codes(s) repeat in the request.",
            repeated.len()
        )));
    }
    Ok((vouchers, codes))
}

/// The item fields every voucher import takes, whatever the voucher type or campaign:
/// `category, active, start_date, expiration_date, redemption.quantity, additional_info,
/// metadata`.
pub(crate) fn common_fields(
    obj: &Map<String, Value>,
    at: &JsonPath,
    record: &mut VoucherRecord,
) -> Result<(), ApiError> {
    record.category = string(obj, "category", at)?;
    record.active = match obj.get("active") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(at.key("active").should_be("boolean")),
    };
    record.start_date = date(obj, "start_date", at)?;
    record.expiration_date = date(obj, "expiration_date", at)?;
    if let Some(r) = validate::object_field(obj, "redemption", at)? {
        let r_at = at.key("redemption");
        record.redemption_quantity = match r.get("quantity") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => Some(
                validate::integer(n)
                    .ok_or_else(|| r_at.key("quantity").should_be("number,null"))?,
            ),
            Some(_) => return Err(r_at.key("quantity").should_be("number,null")),
        };
    }
    record.additional_info = string(obj, "additional_info", at)?;
    record.metadata = validate::object_field(obj, "metadata", at)?.cloned().unwrap_or_default();
    Ok(())
}
