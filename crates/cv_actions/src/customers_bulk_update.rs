//! `CUSTOMERS.BULK_UPDATE`: upsert customers by `source_id` (`POST /v1/customers/bulk/async`).

use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::{
    CustomerPatch, Timestamp, customer::Field, metadata_schema::MetadataSchema,
    payload::CustomersBulkUpdate,
};
use cv_engine::{ActionError, ActionRun};
use cv_store::{ActionRecord, ChunkItem, ItemError, ReportMode, Store};

use crate::{ActionsConfig, chunk_of, metadata_error, report};

pub(crate) struct Run {
    customers: Vec<CustomerPatch>,
    schema: Option<MetadataSchema>,
    config: Arc<ActionsConfig>,
}

impl Run {
    pub fn new(
        payload: CustomersBulkUpdate,
        schema: Option<MetadataSchema>,
        config: Arc<ActionsConfig>,
    ) -> Self {
        Self { customers: payload.customers, schema, config }
    }
}

/// Checks what the request's JSON schema cannot: that dates are real calendar dates, and
/// that metadata fits the project's metadata schema.
fn validate(patch: &CustomerPatch, schema: Option<&MetadataSchema>) -> Result<(), ItemError> {
    if let (Some(schema), Some(metadata)) = (schema, &patch.metadata) {
        schema.validate_json(metadata, false).map_err(metadata_error)?;
    }
    for (name, field) in [("birthdate", &patch.birthdate), ("birthday", &patch.birthday)] {
        if let Field::Set(value) = field
            && Timestamp::parse_date(value).is_none()
        {
            return Err(ItemError {
                message: "Invalid payload".to_owned(),
                details: format!(
                    "Property .{name} should match format \"date\" (actual value is '{value}')"
                ),
                key: "invalid_payload".to_owned(),
            });
        }
    }
    Ok(())
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<Vec<ChunkItem>, ActionError> {
        Ok(chunk_of(&self.customers, cursor, max)
            .iter()
            .map(|patch| match validate(patch, self.schema.as_ref()) {
                Ok(()) => ChunkItem::Customer(patch.clone()),
                Err(error) => {
                    ChunkItem::Failed { key: patch.source_id.clone().unwrap_or_default(), error }
                }
            })
            .collect())
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::AllItems
    }

    async fn result(
        &mut self,
        store: &dyn Store,
        action: &ActionRecord,
    ) -> Result<serde_json::Value, ActionError> {
        Ok(report::bulk_report(store, action, &self.config, Some("source_id")).await?)
    }
}
