//! The body of `PUT /v1/campaigns/{id}` (CAMPAIGN.VOUCHERS_UPDATE): the campaign changes at
//! once, and its vouchers not yet redeemed take the changes through the action.

use cv_domain::{Campaign, campaign::UpdateCampaignVouchers};
use serde_json::{Map, Value};

use super::{
    validate::{self, JsonPath},
    voucher_import,
};
use crate::ApiError;

/// Applies a `PUT /v1/campaigns/{id}` body to `campaign` (description, category, metadata
/// merged, `unset_metadata_fields`, dates, and the template's discount, gift or loyalty
/// card); the changes its vouchers take.
pub fn apply(body: &Value, campaign: &mut Campaign) -> Result<UpdateCampaignVouchers, ApiError> {
    let root = JsonPath::root();
    let obj = validate::object(body, &root)?;
    let mut changes = UpdateCampaignVouchers {
        campaign_id: campaign.id.clone(),
        category: voucher_import::string(obj, "category", &root)?,
        start_date: voucher_import::date(obj, "start_date", &root)?,
        expiration_date: voucher_import::date(obj, "expiration_date", &root)?,
        discount: None,
        gift: None,
        loyalty_card: None,
    };
    let terms: Map<String, Value> = ["discount", "gift", "loyalty_card"]
        .into_iter()
        .filter_map(|k| obj.get(k).filter(|v| !v.is_null()).map(|v| (k.to_owned(), v.clone())))
        .collect();
    if !terms.is_empty() {
        let mut item = terms.clone();
        item.insert("type".to_owned(), Value::from(campaign.voucher.kind.as_str()));
        let record = voucher_import::record(&item, String::new(), &root)?
            .map_err(ApiError::InvalidPayload)?;
        if terms.contains_key("discount") {
            changes.discount = record.discount;
        }
        if terms.contains_key("gift") {
            changes.gift = record.gift;
        }
        if terms.contains_key("loyalty_card") {
            changes.loyalty_card = record.loyalty_card;
        }
    }
    if let Some(text) = voucher_import::string(obj, "description", &root)? {
        campaign.description = Some(text);
    }
    if let Some(metadata) = validate::object_field(obj, "metadata", &root)? {
        campaign.metadata.extend(metadata.clone());
    }
    match obj.get("unset_metadata_fields") {
        None | Some(Value::Null) => {}
        Some(Value::Array(keys)) => {
            for key in keys {
                let key = key.as_str().ok_or_else(|| {
                    root.key("unset_metadata_fields").should_be("array of strings")
                })?;
                campaign.metadata.remove(key);
            }
        }
        Some(_) => return Err(root.key("unset_metadata_fields").should_be("array")),
    }
    if let Some(v) = &changes.category {
        campaign.category = Some(v.clone());
    }
    if let Some(v) = changes.start_date {
        campaign.start_date = Some(v);
    }
    if let Some(v) = changes.expiration_date {
        campaign.expiration_date = Some(v);
    }
    if let Some(v) = &changes.discount {
        campaign.voucher.discount = Some(v.clone());
    }
    if let Some(v) = changes.gift {
        campaign.voucher.gift = Some(v);
    }
    if let Some(v) = changes.loyalty_card {
        campaign.voucher.loyalty_card = Some(v);
    }
    Ok(changes)
}
