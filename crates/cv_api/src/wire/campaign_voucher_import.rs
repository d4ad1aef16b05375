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

use cv_domain::{
    Campaign, VoucherRecord,
    payload::CampaignVouchersImport,
    voucher::{Gift, LoyaltyCard},
};
use serde_json::{Map, Value};

use super::{
    validate::{self, JsonPath},
    voucher_import::{common_fields, integer, items},
};
use crate::ApiError;

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
    let (vouchers, codes) = items(body, |obj, code, at| record(obj, code, campaign, at))?;
    Ok((CampaignVouchersImport { campaign_id: campaign.id.clone(), vouchers }, codes))
}
