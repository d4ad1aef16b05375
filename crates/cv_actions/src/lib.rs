//! The Voucherify async-action types, one module each, behind one closed enum dispatch:
//! [`Registry`] implements the engine's `Handlers` with an exhaustive `match` on
//! `ActionKind`, one line per type. Adding a type means adding a module (an [`Action`]: its
//! payload, how a run starts, its chunks and its finish) and its line.

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

use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::{
    ActionKind,
    metadata_schema::{MetadataResource, MetadataSchema},
};
use cv_engine::{ActionError, ActionRun, Handlers};
use cv_store::{ActionRecord, Inputs, ItemError};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

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

/// What a run starts from: the claimed action, the part of the store actions may read, and
/// the shared settings.
pub(crate) struct Start<'a> {
    /// The action as claimed (cursor, counters, attempt).
    pub action: &'a ActionRecord,
    /// Read-only access to what the payload points to.
    pub inputs: Arc<dyn Inputs>,
    /// Shared settings.
    pub config: Arc<ActionsConfig>,
}

impl Start<'_> {
    /// The project's metadata schema for `resource`, read once per claim.
    pub async fn schema(
        &self,
        resource: MetadataResource,
    ) -> Result<Option<MetadataSchema>, ActionError> {
        Ok(self.inputs.metadata_schema(&self.action.project_id, resource).await?)
    }
}

/// One action type: the stored payload it reads, and how a run of it starts. A run is an
/// [`ActionRun`]: it returns writes and a finish, and changes nothing itself.
#[async_trait]
pub(crate) trait Action: ActionRun + Sized + 'static {
    /// The stored request (`cv_domain::payload`).
    type Payload: DeserializeOwned + Send;

    /// Starts a run (once per claim) from the payload.
    async fn start(start: Start<'_>, payload: Self::Payload) -> Result<Self, ActionError>;
}

/// Starts a run of the action type `A` from a stored payload.
async fn run<A: Action>(
    start: Start<'_>,
    payload: &[u8],
) -> Result<Box<dyn ActionRun>, ActionError> {
    let payload = serde_json::from_slice(payload)
        .map_err(|e| ActionError::Fatal(format!("The stored request could not be read: {e}")))?;
    Ok(Box::new(A::start(start, payload).await?))
}

/// The items of a chunk: `items[cursor..cursor + max]`, clamped to the end.
/// How many of `items` are left from `cursor` on (`ActionRun::items_left` of a run that
/// holds its items).
fn left_of<T>(items: &[T], cursor: u64) -> Option<u64> {
    Some((items.len() as u64).saturating_sub(cursor))
}

fn chunk_of<T>(items: &[T], cursor: u64, max: usize) -> &[T] {
    let start = usize::try_from(cursor).unwrap_or(usize::MAX).min(items.len());
    let end = start.saturating_add(max).min(items.len());
    &items[start..end]
}

/// The item error of metadata that its schema refuses.
fn metadata_error(reason: String) -> ItemError {
    ItemError {
        message: "Metadata validation failed".to_owned(),
        details: reason,
        key: "metadata_validation_failed".to_owned(),
    }
}

#[async_trait]
impl Handlers for Registry {
    async fn start(
        &self,
        action: &ActionRecord,
        payload: Vec<u8>,
        inputs: Arc<dyn Inputs>,
    ) -> Result<Box<dyn ActionRun>, ActionError> {
        let start = Start { action, inputs, config: self.config.clone() };
        let payload = payload.as_slice();
        match action.kind {
            ActionKind::CustomersBulkUpdate => {
                run::<customers_bulk_update::Run>(start, payload).await
            }
            ActionKind::CustomersMetadataUpdate => {
                run::<customers_metadata_update::Run>(start, payload).await
            }
            ActionKind::CustomersImportCsv => {
                run::<customers_import_csv::Run>(start, payload).await
            }
            ActionKind::ProductsBulkUpdate => {
                run::<products_bulk_update::Run>(start, payload).await
            }
            ActionKind::ProductsMetadataUpdate => {
                run::<products_metadata_update::Run>(start, payload).await
            }
            ActionKind::ProductsImportCsv => run::<products_import_csv::Run>(start, payload).await,
            ActionKind::SkusImportCsv => run::<skus_import_csv::Run>(start, payload).await,
            ActionKind::VouchersImport => run::<vouchers_import::Run>(start, payload).await,
            ActionKind::VouchersImportCsv => run::<vouchers_import_csv::Run>(start, payload).await,
            ActionKind::VouchersBulkUpdate => {
                run::<vouchers_bulk_update::Run>(start, payload).await
            }
            ActionKind::VouchersMetadataUpdate => {
                run::<vouchers_metadata_update::Run>(start, payload).await
            }
            ActionKind::CampaignVouchersGenerate => {
                run::<campaign_vouchers_generate::Run>(start, payload).await
            }
            ActionKind::CampaignVouchersImport => {
                run::<campaign_vouchers_import::Run>(start, payload).await
            }
            ActionKind::CampaignVouchersImportCsv => {
                run::<campaign_vouchers_import_csv::Run>(start, payload).await
            }
            ActionKind::CampaignVouchersDelete => {
                run::<campaign_vouchers_delete::Run>(start, payload).await
            }
            ActionKind::CampaignVouchersUpdate => {
                run::<campaign_vouchers_update::Run>(start, payload).await
            }
            ActionKind::OrdersImport => run::<orders_import::Run>(start, payload).await,
            ActionKind::CampaignsMetadataKeyPurge
            | ActionKind::CustomersMetadataKeyPurge
            | ActionKind::ProductsMetadataKeyPurge
            | ActionKind::VouchersMetadataKeyPurge
            | ActionKind::OrdersMetadataKeyPurge => {
                run::<metadata_key_purge::Run>(start, payload).await
            }
        }
    }
}
