//! `CAMPAIGN.VOUCHERS_IMPORT_CSV`: add vouchers to a campaign from an uploaded CSV file
//! (`POST /v1/campaigns/{id}/importCSV`). Type, discount and redemption limit come from the
//! campaign's voucher template.
//!
//! Columns `Code` (required), `Active` (`TRUE`/`FALSE`, optional), `Category`, `Gift Amount`
//! (major units, `25` is stored as 2500), `Redeemed Amount` (major units, lowers a gift card's
//! balance), `Redeemed Quantity`, `Loyalty Points`, `Start Date`, `Expiration Date` and
//! `Additional Info` are matched case-insensitively. The standalone template's `Voucher Type,
//! Value, Discount Type, Discount Effect, Unit Type, Redemption Limit` (and `Validation Rule
//! ID`, `Formula`) are ignored, since the campaign decides them; every other column (`Region`)
//! becomes a metadata key named exactly like its header, typed through the project's voucher
//! metadata schema.
//!
//! A code that exists already changes only its `active` (when the row gives it) and
//! `category` (when the row gives one); a code of another campaign, or a standalone one,
//! fails its row. When every chunk is done the campaign's `vouchers_count` is recounted, as
//! generation does.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, PoisonError},
};

use async_trait::async_trait;
use cv_domain::{
    Campaign, ProjectId, Voucher, VoucherRecord,
    metadata_schema::{MetadataResource, MetadataSchema},
    payload::CampaignVouchersImportCsv,
    voucher::LoyaltyCard,
};
use cv_engine::{ActionError, ActionRun, Finish};
use cv_store::{ActionRecord, ChunkWrites, Inputs, Item, ReportMode, VoucherWrites};

use crate::{
    Action, Start,
    campaign_vouchers_import::recount,
    csv_cells::{active, cents, date, gift, integer},
    csv_import::{self, RowMapper, failed},
};

/// Where each column of the file goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Code,
    Active,
    Category,
    GiftAmount,
    RedeemedAmount,
    RedeemedQuantity,
    LoyaltyPoints,
    StartDate,
    ExpirationDate,
    AdditionalInfo,
    Ignored,
    Metadata,
}

fn column(header: &str) -> Column {
    match header.to_ascii_lowercase().replace('_', " ").as_str() {
        "code" => Column::Code,
        "active" => Column::Active,
        "category" => Column::Category,
        "gift amount" => Column::GiftAmount,
        "redeemed amount" => Column::RedeemedAmount,
        "redeemed quantity" => Column::RedeemedQuantity,
        "loyalty points" => Column::LoyaltyPoints,
        "start date" => Column::StartDate,
        "expiration date" => Column::ExpirationDate,
        "additional info" => Column::AdditionalInfo,
        "voucher type" | "value" | "discount type" | "discount effect" | "unit type"
        | "redemption limit" | "validation rule id" | "formula" => Column::Ignored,
        _ => Column::Metadata,
    }
}

/// The standard cells of one row, by column.
#[derive(Debug, Default)]
struct Cells {
    code: Option<String>,
    active: Option<String>,
    category: Option<String>,
    gift_amount: Option<String>,
    redeemed_amount: Option<String>,
    redeemed_quantity: Option<String>,
    loyalty_points: Option<String>,
    start_date: Option<String>,
    expiration_date: Option<String>,
    additional_info: Option<String>,
}

/// The voucher of `campaign` a row's standard cells describe (metadata aside), or the row's
/// reason.
fn record(campaign: &Campaign, cells: Cells) -> Result<VoucherRecord, String> {
    let code = cells.code.ok_or("Code is required")?;
    let mut record = campaign.voucher.record(code, &campaign.id);
    let amount = cells.gift_amount.map(|c| cents("Gift Amount", &c)).transpose()?;
    let redeemed = cells.redeemed_amount.map(|c| cents("Redeemed Amount", &c)).transpose()?;
    if amount.is_some() || redeemed.is_some() {
        let amount = amount.or(record.gift.map(|g| g.amount)).unwrap_or(0);
        record.gift = Some(gift(amount, redeemed)?);
    }
    if let Some(points) = cells.loyalty_points.map(|c| integer("Loyalty Points", &c)).transpose()? {
        record.loyalty_card = Some(LoyaltyCard { points, balance: points });
    }
    record.category = cells.category;
    record.start_date = date("Start Date", cells.start_date)?;
    record.expiration_date = date("Expiration Date", cells.expiration_date)?;
    record.redeemed_quantity =
        cells.redeemed_quantity.map(|c| integer("Redeemed Quantity", &c)).transpose()?.unwrap_or(0);
    record.active = active(cells.active.as_deref())?.unwrap_or(true);
    record.additional_info = cells.additional_info;
    record.check()?;
    Ok(record)
}

pub(crate) struct Mapper {
    columns: Vec<Column>,
    campaign: Campaign,
    /// Types the metadata columns; without one, metadata values are strings.
    schema: MetadataSchema,
    /// Codes of the current chunk whose row left `Active` empty (an existing voucher keeps
    /// its state); shared with [`Run`], which empties it after each chunk.
    no_active: Arc<Mutex<HashSet<String>>>,
}

impl Mapper {
    fn record(
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
                Column::Active => &mut standard.active,
                Column::Category => &mut standard.category,
                Column::GiftAmount => &mut standard.gift_amount,
                Column::RedeemedAmount => &mut standard.redeemed_amount,
                Column::RedeemedQuantity => &mut standard.redeemed_quantity,
                Column::LoyaltyPoints => &mut standard.loyalty_points,
                Column::StartDate => &mut standard.start_date,
                Column::ExpirationDate => &mut standard.expiration_date,
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
        let active_given = standard.active.is_some();
        let mut record =
            record(&self.campaign, standard).map_err(|reason| (key.clone(), reason))?;
        record.metadata = self.schema.coerce_csv(&metadata).map_err(|reason| (key, reason))?;
        if !active_given {
            self.no_active
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(record.code.clone());
        }
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
        self.record(headers, cells)
    }

    fn writes(&self, items: Vec<Item<VoucherRecord>>) -> ChunkWrites {
        ChunkWrites::Vouchers(VoucherWrites::Import { update: true, items })
    }
}

/// `existing` as a record that changes only its `active` and `category` from `row`.
fn keep_all_but_active_and_category(
    existing: Voucher,
    row: VoucherRecord,
    active_given: bool,
) -> VoucherRecord {
    VoucherRecord {
        code: existing.code,
        campaign_id: existing.campaign_id,
        category: row.category.or(existing.category),
        kind: existing.kind,
        discount: existing.discount,
        gift: existing.gift,
        loyalty_card: existing.loyalty_card,
        start_date: existing.start_date,
        expiration_date: existing.expiration_date,
        active: if active_given { row.active } else { existing.active },
        additional_info: existing.additional_info,
        metadata: Default::default(),
        redemption_quantity: existing.redemption_quantity,
        redeemed_quantity: existing.redeemed_quantity,
    }
}

/// One claim's run: the CSV import, with rows of existing codes narrowed to active and
/// category.
pub(crate) struct Run {
    inner: csv_import::Run<Mapper>,
    campaign_id: String,
    project: ProjectId,
    inputs: Arc<dyn Inputs>,
    no_active: Arc<Mutex<HashSet<String>>>,
}

#[async_trait]
impl Action for Run {
    type Payload = CampaignVouchersImportCsv;

    /// Finds the campaign, opens the upload and maps its columns.
    async fn start(
        start: Start<'_>,
        payload: CampaignVouchersImportCsv,
    ) -> Result<Self, ActionError> {
        let schema = start.schema(MetadataResource::Voucher).await?;
        let (action, inputs) = (start.action, start.inputs);
        let id = payload.campaign_id;
        let Some(campaign) = inputs.campaign(&action.project_id, &id).await? else {
            return Err(ActionError::Fatal(format!("Cannot find campaign with id {id}")));
        };
        let no_active = Arc::new(Mutex::new(HashSet::new()));
        let shared = no_active.clone();
        let inner = csv_import::Run::open(
            inputs.clone(),
            action,
            payload.upload,
            "voucher",
            Some("code"),
            |headers| mapper(headers, campaign, schema, shared),
        )
        .await?;
        let project = action.project_id.clone();
        Ok(Run { inner, campaign_id: id, project, inputs, no_active })
    }
}

/// The mapper of a file with `headers` for `campaign`; without a schema, metadata values are
/// strings. Codes whose row leaves `Active` empty go into `no_active`.
pub(crate) fn mapper(
    headers: &[String],
    campaign: Campaign,
    schema: Option<MetadataSchema>,
    no_active: Arc<Mutex<HashSet<String>>>,
) -> Mapper {
    let schema = schema.unwrap_or_else(|| MetadataSchema::new(MetadataResource::Voucher));
    Mapper { columns: headers.iter().map(|h| column(h)).collect(), campaign, schema, no_active }
}

impl Run {
    /// The item of a row whose code exists already.
    async fn existing(
        &self,
        row: VoucherRecord,
        no_active: &HashSet<String>,
    ) -> Result<Item<VoucherRecord>, ActionError> {
        let found = self.inputs.voucher(&self.project, &row.code).await?;
        Ok(match found {
            Some(v) if v.campaign_id.as_deref() == Some(self.campaign_id.as_str()) => {
                let active_given = !no_active.contains(&row.code);
                Item::Write(keep_all_but_active_and_category(v, row, active_given))
            }
            Some(_) => {
                let reason = format!("Voucher with code {} belongs to another campaign", row.code);
                failed(row.code, reason)
            }
            None => Item::Write(row),
        })
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<ChunkWrites, ActionError> {
        let items = self.inner.items(cursor, max).await?;
        let no_active =
            std::mem::take(&mut *self.no_active.lock().unwrap_or_else(PoisonError::into_inner));
        let codes: Vec<String> = items
            .iter()
            .filter_map(|i| match i {
                Item::Write(record) => Some(record.code.clone()),
                Item::Failed { .. } => None,
            })
            .collect();
        let existing: HashSet<String> =
            self.inputs.taken_codes(&self.project, &codes).await?.into_iter().collect();
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(match item {
                Item::Write(record) if existing.contains(&record.code) => {
                    self.existing(record, &no_active).await?
                }
                other => other,
            });
        }
        Ok(ChunkWrites::Vouchers(VoucherWrites::Import { update: true, items: out }))
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::FailuresOnly
    }

    async fn finish(
        &mut self,
        inputs: &dyn Inputs,
        action: &ActionRecord,
    ) -> Result<Finish, ActionError> {
        Ok(recount(self.inner.finish(inputs, action).await?, &self.campaign_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cv_domain::Timestamp;
    use cv_domain::voucher::Gift;

    #[test]
    fn campaign_columns_match_and_the_standalone_ones_are_ignored() {
        assert_eq!(column("Gift Amount"), Column::GiftAmount);
        assert_eq!(column("LOYALTY_POINTS"), Column::LoyaltyPoints);
        assert_eq!(column("Voucher Type"), Column::Ignored);
        assert_eq!(column("Redemption Limit"), Column::Ignored);
        assert_eq!(column("Region"), Column::Metadata);
    }

    /// Regression (fuzz corpus `csv_import/regression-gift-balance-overflow*`): a balance that does not
    /// fit used to wrap (or panic in a debug build); the row fails instead.
    #[test]
    fn a_gift_balance_that_overflows_fails_the_row() {
        use cv_domain::campaign::{CampaignMode, CampaignType, GenerationStatus, VoucherTemplate};
        let campaign = Campaign {
            id: "camp_1".to_owned(),
            name: "Gifts".to_owned(),
            campaign_type: CampaignType::GiftVouchers,
            mode: CampaignMode::Static,
            voucher: VoucherTemplate {
                kind: cv_domain::voucher::VoucherType::GiftVoucher,
                discount: None,
                gift: Some(Gift { amount: 1000, balance: 1000 }),
                loyalty_card: None,
                code_config: Default::default(),
                redemption_quantity: None,
            },
            vouchers_count: 0,
            generation_status: GenerationStatus::Done,
            description: None,
            category: None,
            start_date: None,
            expiration_date: None,
            active: true,
            metadata: Default::default(),
            created_at: Timestamp::from_millis(0),
            updated_at: None,
        };
        let row = |amount: &str, redeemed: &str| Cells {
            code: Some("G".into()),
            gift_amount: Some(amount.into()),
            redeemed_amount: Some(redeemed.into()),
            ..Default::default()
        };
        let ok = record(&campaign, row("25", "5")).expect("a gift");
        assert_eq!(ok.gift, Some(Gift { amount: 2_500, balance: 2_000 }));
        assert!(record(&campaign, row("90000000000000000", "-10000000000000000")).is_err());
    }
}
