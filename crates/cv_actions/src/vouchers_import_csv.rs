//! `VOUCHERS.IMPORT_CSV`: create standalone vouchers from an uploaded CSV file; a code that
//! exists already is updated with the row (`POST /v1/vouchers/importCSV`).
//!
//! Columns `Code, Voucher Type, Value, Discount Type, Category, Start Date, Expiration Date,
//! Redemption Limit, Redeemed Quantity, Redeemed Amount, Active, Additional Info` (and the
//! dashboard's `Discount Effect`, plus `Unit Type` for UNIT discounts) are matched
//! case-insensitively; `Validation Rule ID` and `Formula` are ignored; every other column
//! becomes a metadata key named exactly like its header, typed through the project's voucher
//! metadata schema. `Value` is in major units for AMOUNT and FIXED discounts and gift cards
//! (`10` is stored as 1000), as given for PERCENT and UNIT, and the points of a loyalty card
//! (Decision 9). `Redeemed Amount` (major units) lowers a gift card's balance.

use crate::{
    Action, Start,
    csv_cells::{active, cents, date, gift, integer, not_a, number},
    csv_import::{self, RowMapper},
};
use async_trait::async_trait;
use cv_domain::{
    VoucherRecord,
    metadata_schema::{MetadataResource, MetadataSchema},
    payload::VouchersImportCsv,
    voucher::{Discount, DiscountType, LoyaltyCard, VoucherType},
};
use cv_engine::ActionError;
use cv_store::{ChunkWrites, Item, VoucherWrites};

/// Where each column of the file goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Code,
    VoucherType,
    Value,
    DiscountType,
    DiscountEffect,
    UnitType,
    Category,
    StartDate,
    ExpirationDate,
    RedemptionLimit,
    RedeemedQuantity,
    RedeemedAmount,
    Active,
    AdditionalInfo,
    Ignored,
    Metadata,
}

fn column(header: &str) -> Column {
    match header.to_ascii_lowercase().replace('_', " ").as_str() {
        "code" => Column::Code,
        "voucher type" => Column::VoucherType,
        "value" => Column::Value,
        "discount type" => Column::DiscountType,
        "discount effect" => Column::DiscountEffect,
        "unit type" => Column::UnitType,
        "category" => Column::Category,
        "start date" => Column::StartDate,
        "expiration date" => Column::ExpirationDate,
        "redemption limit" => Column::RedemptionLimit,
        "redeemed quantity" => Column::RedeemedQuantity,
        "redeemed amount" => Column::RedeemedAmount,
        "active" => Column::Active,
        "additional info" => Column::AdditionalInfo,
        "validation rule id" | "formula" => Column::Ignored,
        _ => Column::Metadata,
    }
}

/// The standard cells of one row, by column.
#[derive(Debug, Default)]
struct Cells {
    code: Option<String>,
    voucher_type: Option<String>,
    value: Option<String>,
    discount_type: Option<String>,
    effect: Option<String>,
    unit_type: Option<String>,
    category: Option<String>,
    start_date: Option<String>,
    expiration_date: Option<String>,
    redemption_limit: Option<String>,
    redeemed_quantity: Option<String>,
    redeemed_amount: Option<String>,
    active: Option<String>,
    additional_info: Option<String>,
}

/// The voucher a row's standard cells describe (metadata aside), or the row's reason.
fn record(cells: Cells) -> Result<VoucherRecord, String> {
    let code = cells.code.ok_or("Code is required")?;
    let kind_text = cells.voucher_type.ok_or("Voucher Type is required")?;
    let kind = VoucherType::parse(&kind_text.to_ascii_uppercase()).ok_or_else(|| {
        not_a(
            "Voucher Type",
            "equal to one of DISCOUNT_VOUCHER,GIFT_VOUCHER,LOYALTY_CARD",
            &kind_text,
        )
    })?;
    let value = cells.value.ok_or("Value is required")?;
    let mut record = VoucherRecord::new(code, kind);
    match kind {
        VoucherType::DiscountVoucher => {
            let text = cells.discount_type.ok_or("Discount Type is required")?;
            let discount_type =
                DiscountType::parse(&text.to_ascii_uppercase()).ok_or_else(|| {
                    not_a("Discount Type", "equal to one of AMOUNT,PERCENT,FIXED,UNIT", &text)
                })?;
            let mut discount = Discount::new(discount_type);
            match discount_type {
                DiscountType::Amount => discount.amount_off = Some(cents("Value", &value)?),
                DiscountType::Fixed => discount.fixed_amount = Some(cents("Value", &value)?),
                DiscountType::Percent => discount.percent_off = Some(number("Value", &value)?),
                DiscountType::Unit => {
                    discount.unit_off = Some(number("Value", &value)?);
                    discount.unit_type = cells.unit_type;
                }
            }
            discount.effect = cells.effect;
            record.discount = Some(discount);
        }
        VoucherType::GiftVoucher => {
            let amount = cents("Value", &value)?;
            let redeemed =
                cells.redeemed_amount.map(|c| cents("Redeemed Amount", &c)).transpose()?;
            record.gift = Some(gift(amount, redeemed)?);
        }
        VoucherType::LoyaltyCard => {
            let points = integer("Value", &value)?;
            record.loyalty_card = Some(LoyaltyCard { points, balance: points });
        }
    }
    record.category = cells.category;
    record.start_date = date("Start Date", cells.start_date)?;
    record.expiration_date = date("Expiration Date", cells.expiration_date)?;
    record.redemption_quantity =
        cells.redemption_limit.map(|c| integer("Redemption Limit", &c)).transpose()?;
    record.redeemed_quantity =
        cells.redeemed_quantity.map(|c| integer("Redeemed Quantity", &c)).transpose()?.unwrap_or(0);
    record.active = active(cells.active.as_deref())?.unwrap_or(true);
    record.additional_info = cells.additional_info;
    record.check()?;
    Ok(record)
}

pub(crate) struct Mapper {
    columns: Vec<Column>,
    /// Types the metadata columns; without one, metadata values are strings.
    schema: MetadataSchema,
}

/// A run of this import.
pub(crate) type Run = csv_import::Run<Mapper>;

#[async_trait]
impl Action for Run {
    type Payload = VouchersImportCsv;

    /// Opens the upload and maps its columns.
    async fn start(start: Start<'_>, payload: VouchersImportCsv) -> Result<Self, ActionError> {
        let schema = start.schema(MetadataResource::Voucher).await?;
        let (noun, key) = ("voucher", Some("code"));
        csv_import::Run::open(start.inputs, start.action, payload.upload, noun, key, |headers| {
            mapper(headers, schema)
        })
        .await
    }
}

/// The mapper of a file with `headers`; without a schema, metadata values are strings.
pub(crate) fn mapper(headers: &[String], schema: Option<MetadataSchema>) -> Mapper {
    let schema = schema.unwrap_or_else(|| MetadataSchema::new(MetadataResource::Voucher));
    Mapper { columns: headers.iter().map(|h| column(h)).collect(), schema }
}

impl Mapper {
    fn item(
        &self,
        headers: &[String],
        cells: Vec<String>,
    ) -> Result<VoucherRecord, (String, String)> {
        let mut standard = Cells::default();
        let mut metadata = Vec::new();
        for ((cell, column), header) in cells.into_iter().zip(&self.columns).zip(headers) {
            if cell.is_empty() {
                continue;
            }
            let slot = match column {
                Column::Code => &mut standard.code,
                Column::VoucherType => &mut standard.voucher_type,
                Column::Value => &mut standard.value,
                Column::DiscountType => &mut standard.discount_type,
                Column::DiscountEffect => &mut standard.effect,
                Column::UnitType => &mut standard.unit_type,
                Column::Category => &mut standard.category,
                Column::StartDate => &mut standard.start_date,
                Column::ExpirationDate => &mut standard.expiration_date,
                Column::RedemptionLimit => &mut standard.redemption_limit,
                Column::RedeemedQuantity => &mut standard.redeemed_quantity,
                Column::RedeemedAmount => &mut standard.redeemed_amount,
                Column::Active => &mut standard.active,
                Column::AdditionalInfo => &mut standard.additional_info,
                Column::Ignored => continue,
                Column::Metadata => {
                    metadata.push((header.clone(), cell));
                    continue;
                }
            };
            *slot = Some(cell);
        }
        let key = standard.code.clone().unwrap_or_default();
        let mut record = record(standard).map_err(|reason| (key.clone(), reason))?;
        record.metadata = self.schema.coerce_csv(&metadata).map_err(|reason| (key, reason))?;
        Ok(record)
    }
}

impl RowMapper for Mapper {
    type Write = VoucherRecord;

    fn write(
        &self,
        headers: &[String],
        cells: Vec<String>,
    ) -> Result<VoucherRecord, (String, String)> {
        self.item(headers, cells)
    }

    fn writes(&self, items: Vec<Item<VoucherRecord>>) -> ChunkWrites {
        ChunkWrites::Vouchers(VoucherWrites::Import { update: true, items })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cv_domain::voucher::Gift;

    #[test]
    fn standard_columns_match_in_any_case_and_the_rest_is_metadata() {
        assert_eq!(column("Voucher Type"), Column::VoucherType);
        assert_eq!(column("REDEMPTION LIMIT"), Column::RedemptionLimit);
        assert_eq!(column("additional_info"), Column::AdditionalInfo);
        assert_eq!(column("Formula"), Column::Ignored);
        assert_eq!(column("Region"), Column::Metadata);
    }

    #[test]
    fn values_follow_decision_9() {
        let cells = |kind: &str, discount: Option<&str>, value: &str| Cells {
            code: Some("C".into()),
            voucher_type: Some(kind.into()),
            discount_type: discount.map(str::to_owned),
            value: Some(value.into()),
            ..Default::default()
        };
        let amount = record(cells("DISCOUNT_VOUCHER", Some("AMOUNT"), "10")).expect("amount");
        assert_eq!(amount.discount.and_then(|d| d.amount_off), Some(1000));
        let percent = record(cells("DISCOUNT_VOUCHER", Some("PERCENT"), "12.5")).expect("percent");
        assert_eq!(
            percent.discount.and_then(|d| d.percent_off).map(|n| n.to_string()).as_deref(),
            Some("12.5")
        );
        let gift = record(cells("GIFT_VOUCHER", None, "100")).expect("gift");
        assert_eq!(gift.gift, Some(Gift { amount: 10_000, balance: 10_000 }));
        assert_eq!(
            record(cells("DISCOUNT_VOUCHER", None, "10")).err().as_deref(),
            Some("Discount Type is required")
        );
        assert_eq!(
            record(cells("DISCOUNT_VOUCHER", Some("AMOUNT"), "ten")).err().as_deref(),
            Some("Value: must be a number (actual value is 'ten')")
        );
    }

    /// Regression (fuzz corpus `csv_import/regression-gift-balance-overflow*`): a balance that does not
    /// fit used to wrap (or panic in a debug build); the row fails instead.
    #[test]
    fn a_gift_balance_that_overflows_fails_the_row() {
        let row = |value: &str, redeemed: &str| Cells {
            code: Some("G".into()),
            voucher_type: Some("GIFT_VOUCHER".into()),
            value: Some(value.into()),
            redeemed_amount: Some(redeemed.into()),
            ..Default::default()
        };
        let ok = record(row("100", "25.5")).expect("a gift");
        assert_eq!(ok.gift, Some(Gift { amount: 10_000, balance: 7_450 }));
        let reason = record(row("90000000000000000", "-10000000000000000")).err();
        assert_eq!(
            reason.as_deref(),
            Some(
                "Redeemed Amount: the balance (the amount less the redeemed amount) is out of range"
            )
        );
        assert!(record(row("-90000000000000000", "10000000000000000")).is_err());
    }
}
