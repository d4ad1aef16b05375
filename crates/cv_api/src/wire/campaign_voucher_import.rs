//! The body of `POST /v1/campaigns/{id}/import` (CAMPAIGN.VOUCHERS_IMPORT): a JSON array of
//! vouchers for one campaign. Type, discount and redemption limit come from the campaign's
//! voucher template; an item gives `code*`, `category`, `active`, `redemption{quantity}`,
//! `metadata`, `additional_info`, `start_date`, `expiration_date`, and in gift campaigns
//! `gift{amount*}`, in loyalty campaigns `loyalty_card{points*}` (absent: the template's).
//!
//! What refuses the whole request (400) is what refuses `VOUCHERS.IMPORT`
//! ([`super::voucher_import`]): not an array or a property of the wrong JSON type
//! (`invalid_payload`), items without a `code` (`invalid_voucher`), codes repeated within the
//! body (`duplicate_key`). A gift or loyalty object without its amount or points fails its
//! item. Other properties are ignored.

use std::collections::BTreeSet;

use cv_domain::{
    Campaign, VoucherRecord,
    payload::{CampaignVouchersImport, VoucherImportItem},
    voucher::{Gift, LoyaltyCard},
};
use serde_json::{Map, Value};

use super::{
    validate::{self, JsonPath},
    voucher_import::common_fields,
};
use crate::ApiError;

/// An optional integer property of `obj` (`null` counts as absent).
fn integer(obj: &Map<String, Value>, name: &str, at: &JsonPath) -> Result<Option<i64>, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            validate::integer(n).map(Some).ok_or_else(|| at.key(name).should_be("integer"))
        }
        Some(_) => Err(at.key(name).should_be("integer")),
    }
}

/// One item with a code as a record of `campaign`, or the reason it fails.
fn record(
    obj: &Map<String, Value>,
    code: String,
    campaign: &Campaign,
    at: &JsonPath,
) -> Result<Result<VoucherRecord, String>, ApiError> {
    let mut record = campaign.voucher.record(code, &campaign.id);
    if let Some(g) = validate::object_field(obj, "gift", at)? {
        match integer(g, "amount", &at.key("gift"))? {
            Some(amount) => record.gift = Some(Gift { amount, balance: amount }),
            None => return Ok(Err("gift.amount: property is required".to_owned())),
        }
    }
    if let Some(l) = validate::object_field(obj, "loyalty_card", at)? {
        match integer(l, "points", &at.key("loyalty_card"))? {
            Some(points) => record.loyalty_card = Some(LoyaltyCard { points, balance: points }),
            None => return Ok(Err("loyalty_card.points: property is required".to_owned())),
        }
    }
    common_fields(obj, at, &mut record)?;
    Ok(record.check().map(|()| record))
}

/// The request as the action's payload, and the codes to check against the store. An empty
/// body is an empty array.
pub fn import(
    body: &Value,
    campaign: &Campaign,
) -> Result<(CampaignVouchersImport, Vec<String>), ApiError> {
    let campaign_id = campaign.id.clone();
    if body.is_null() {
        return Ok((CampaignVouchersImport { campaign_id, vouchers: Vec::new() }, Vec::new()));
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
        vouchers.push(match record(obj, code.clone(), campaign, &at)? {
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
    Ok((CampaignVouchersImport { campaign_id, vouchers }, codes))
}
