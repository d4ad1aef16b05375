//! The Voucherify async-action types, one module each, behind one closed enum dispatch:
//! [`Registry`] implements the engine's `Handlers` with an exhaustive `match` on
//! `ActionKind`. Adding a type means adding a module and one match arm.

mod campaign_vouchers_delete;
mod campaign_vouchers_generate;
mod campaign_vouchers_import;
mod campaign_vouchers_import_csv;
mod campaign_vouchers_update;
mod csv_cells;
mod csv_import;
pub mod csv_preview;
mod csv_source;
mod customers_bulk_update;
mod customers_import_csv;
mod customers_metadata_update;
mod metadata_key_purge;
mod metadata_update;
mod orders_import;
mod products_bulk_update;
mod products_import_csv;
mod products_metadata_update;
mod report;
mod skus_import_csv;
mod vouchers_bulk_update;
mod vouchers_import;
mod vouchers_import_csv;
mod vouchers_metadata_update;

use report::import_result;

use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::ActionKind;
use cv_domain::{
    metadata_schema::{MetadataResource, MetadataSchema},
    payload::{CustomersMetadataUpdate, ProductsMetadataUpdate},
};
use cv_engine::{ActionError, ActionRun, Handlers};
use cv_store::{ActionRecord, ItemError, Store};
use serde::{Deserialize, Serialize};

/// Settings the action types share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActionsConfig {
    /// How long a bulk report stays downloadable after its action finished, in days.
    pub report_ttl_days: u32,
}

impl Default for ActionsConfig {
    fn default() -> Self {
        Self { report_ttl_days: 30 }
    }
}

/// The engine's view of every action type.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    config: Arc<ActionsConfig>,
}

impl Registry {
    /// A registry with these settings.
    pub fn new(config: ActionsConfig) -> Self {
        Self { config: Arc::new(config) }
    }
}

/// The items of a chunk: `items[cursor..cursor + max]`, clamped to the end.
fn chunk_of<T>(items: &[T], cursor: u64, max: usize) -> &[T] {
    let start = usize::try_from(cursor).unwrap_or(usize::MAX).min(items.len());
    let end = start.saturating_add(max).min(items.len());
    &items[start..end]
}

/// The project's metadata schema for `resource`, read once per claim.
async fn schema_of(
    store: &dyn Store,
    action: &ActionRecord,
    resource: MetadataResource,
) -> Result<Option<MetadataSchema>, ActionError> {
    Ok(store.get_metadata_schema(&action.project_id, resource).await?.map(|r| r.schema))
}

/// The item error of metadata that its schema refuses.
fn metadata_error(reason: String) -> ItemError {
    ItemError {
        message: "Metadata validation failed".to_owned(),
        details: reason,
        key: "metadata_validation_failed".to_owned(),
    }
}

fn decode<T: serde::de::DeserializeOwned>(payload: &[u8]) -> Result<T, ActionError> {
    serde_json::from_slice(payload)
        .map_err(|e| ActionError::Fatal(format!("The stored request could not be read: {e}")))
}

#[async_trait]
impl Handlers for Registry {
    async fn start(
        &self,
        action: &ActionRecord,
        payload: Vec<u8>,
        store: Arc<dyn Store>,
    ) -> Result<Box<dyn ActionRun>, ActionError> {
        let config = self.config.clone();
        Ok(match action.kind {
            ActionKind::CustomersBulkUpdate => {
                let schema = schema_of(&*store, action, MetadataResource::Customer).await?;
                Box::new(customers_bulk_update::Run::new(decode(&payload)?, schema, config))
            }
            ActionKind::CustomersMetadataUpdate => {
                let schema = schema_of(&*store, action, MetadataResource::Customer).await?;
                let payload: CustomersMetadataUpdate = decode(&payload)?;
                let make = customers_metadata_update::item;
                Box::new(metadata_update::Run::new(
                    payload.source_ids,
                    payload.metadata,
                    schema,
                    make,
                    config,
                ))
            }
            ActionKind::CustomersImportCsv => {
                let schema = schema_of(&*store, action, MetadataResource::Customer).await?;
                let run = customers_import_csv::start(action, decode(&payload)?, schema, store);
                Box::new(run.await?)
            }
            ActionKind::ProductsBulkUpdate => {
                let schema = schema_of(&*store, action, MetadataResource::Product).await?;
                Box::new(products_bulk_update::Run::new(decode(&payload)?, schema, config))
            }
            ActionKind::ProductsMetadataUpdate => {
                let schema = schema_of(&*store, action, MetadataResource::Product).await?;
                let payload: ProductsMetadataUpdate = decode(&payload)?;
                let make = products_metadata_update::item;
                Box::new(metadata_update::Run::new(
                    payload.source_ids,
                    payload.metadata,
                    schema,
                    make,
                    config,
                ))
            }
            ActionKind::ProductsImportCsv => {
                let schema = schema_of(&*store, action, MetadataResource::Product).await?;
                let run = products_import_csv::start(action, decode(&payload)?, schema, store);
                Box::new(run.await?)
            }
            ActionKind::SkusImportCsv => {
                Box::new(skus_import_csv::start(action, decode(&payload)?, store).await?)
            }
            ActionKind::VouchersImport => {
                let schema = schema_of(&*store, action, MetadataResource::Voucher).await?;
                Box::new(vouchers_import::Run::new(decode(&payload)?, schema))
            }
            ActionKind::VouchersImportCsv => {
                let schema = schema_of(&*store, action, MetadataResource::Voucher).await?;
                let run = vouchers_import_csv::start(action, decode(&payload)?, schema, store);
                Box::new(run.await?)
            }
            ActionKind::VouchersBulkUpdate => {
                let schema = schema_of(&*store, action, MetadataResource::Voucher).await?;
                Box::new(vouchers_bulk_update::Run::new(decode(&payload)?, schema, config))
            }
            ActionKind::VouchersMetadataUpdate => {
                let schema = schema_of(&*store, action, MetadataResource::Voucher).await?;
                Box::new(vouchers_metadata_update::Run::new(decode(&payload)?, schema, config))
            }
            ActionKind::CampaignVouchersGenerate => {
                let run = campaign_vouchers_generate::Run::start(action, decode(&payload)?, store);
                Box::new(run.await?)
            }
            ActionKind::CampaignVouchersImport => {
                let schema = schema_of(&*store, action, MetadataResource::Voucher).await?;
                Box::new(campaign_vouchers_import::Run::new(decode(&payload)?, schema))
            }
            ActionKind::CampaignVouchersImportCsv => {
                let schema = schema_of(&*store, action, MetadataResource::Voucher).await?;
                let run =
                    campaign_vouchers_import_csv::start(action, decode(&payload)?, schema, store);
                Box::new(run.await?)
            }
            ActionKind::CampaignVouchersDelete => {
                Box::new(campaign_vouchers_delete::Run::new(decode(&payload)?))
            }
            ActionKind::CampaignVouchersUpdate => {
                Box::new(campaign_vouchers_update::Run::new(action, decode(&payload)?, store))
            }
            ActionKind::OrdersImport => {
                let schemas = orders_import::Schemas {
                    order: schema_of(&*store, action, MetadataResource::Order).await?,
                    customer: schema_of(&*store, action, MetadataResource::Customer).await?,
                    product: schema_of(&*store, action, MetadataResource::Product).await?,
                };
                Box::new(orders_import::Run::new(decode(&payload)?, schemas))
            }
            ActionKind::CampaignsMetadataKeyPurge
            | ActionKind::CustomersMetadataKeyPurge
            | ActionKind::ProductsMetadataKeyPurge
            | ActionKind::VouchersMetadataKeyPurge
            | ActionKind::OrdersMetadataKeyPurge => {
                let resource = MetadataResource::purged_by(action.kind).ok_or_else(|| {
                    ActionError::Fatal(format!("{} purges no resource", action.kind))
                })?;
                let run =
                    metadata_key_purge::Run::start(action, resource, decode(&payload)?, store);
                Box::new(run.await?)
            }
        })
    }
}
