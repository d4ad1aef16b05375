//! The body of `POST /v1/campaigns/{id}/vouchers` (add vouchers): every property optional,
//! `code` (only when adding one voucher), `code_config`, `category`, `metadata`,
//! `redemption{quantity}`, `additional_info`, `start_date`, `expiration_date`. Together with
//! the campaign's template it becomes a [`GenerateVouchers`].

use cv_domain::{Campaign, campaign::GenerateVouchers};
use serde_json::Value;

use super::{
    campaign::code_config,
    validate::{self, JsonPath},
    voucher_import,
};
use crate::ApiError;

/// What to add: the generation request and, for a single voucher, the code asked for.
#[derive(Debug)]
pub struct AddVouchers {
    /// The vouchers to make (`count` filled in by the route).
    pub generate: GenerateVouchers,
    /// The code for a single voucher, when the body names one.
    pub code: Option<String>,
}

/// Parses the body against `campaign`'s template. A bad `code_config` is a 400
/// `invalid_payload` with the CodeConfigError text.
pub fn add(body: &Value, campaign: &Campaign, count: u64) -> Result<AddVouchers, ApiError> {
    let root = JsonPath::root();
    let empty = serde_json::Map::new();
    let obj = if body.is_null() { &empty } else { validate::object(body, &root)? };
    let mut template = campaign.voucher.clone();
    if let Some(config) = code_config(obj, &root)?.map_err(ApiError::InvalidPayload)? {
        template.code_config = config;
    }
    if let Some(r) = validate::object_field(obj, "redemption", &root)? {
        let at = root.key("redemption").key("quantity");
        template.redemption_quantity = match r.get("quantity") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => {
                Some(validate::integer(n).ok_or_else(|| at.should_be("number,null"))?)
            }
            Some(_) => return Err(at.should_be("number,null")),
        };
    }
    let code = voucher_import::string(obj, "code", &root)?.filter(|c| !c.trim().is_empty());
    let generate = GenerateVouchers {
        campaign_id: campaign.id.clone(),
        count,
        template,
        category: voucher_import::string(obj, "category", &root)?,
        metadata: validate::object_field(obj, "metadata", &root)?.cloned().unwrap_or_default(),
        additional_info: voucher_import::string(obj, "additional_info", &root)?,
        start_date: voucher_import::date(obj, "start_date", &root)?,
        expiration_date: voucher_import::date(obj, "expiration_date", &root)?,
    };
    Ok(AddVouchers { generate, code })
}
