//! `CUSTOMERS.BULK_UPDATE`: upsert customers by `source_id` (`POST /v1/customers/bulk/async`).

use async_trait::async_trait;
use cv_domain::{
    CustomerPatch, Timestamp,
    customer::Field,
    metadata_schema::{MetadataResource, MetadataSchema},
    payload::CustomersBulkUpdate,
};
use cv_engine::{ActionError, ActionRun, Finish};
use cv_store::{ActionRecord, ChunkWrites, Inputs, Item, ItemError, ReportMode};

use crate::{Action, Start, chunk_of, left_of, metadata_error, report};

pub(crate) struct Run {
    customers: Vec<CustomerPatch>,
    schema: Option<MetadataSchema>,
    config: std::sync::Arc<crate::ActionsConfig>,
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
impl Action for Run {
    type Payload = CustomersBulkUpdate;

    async fn start(start: Start<'_>, payload: CustomersBulkUpdate) -> Result<Self, ActionError> {
        let schema = start.schema(MetadataResource::Customer).await?;
        Ok(Self { customers: payload.customers, schema, config: start.config })
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<ChunkWrites, ActionError> {
        let items: Vec<Item<CustomerPatch>> = chunk_of(&self.customers, cursor, max)
            .iter()
            .map(|patch| match validate(patch, self.schema.as_ref()) {
                Ok(()) => Item::Write(patch.clone()),
                Err(error) => Item::failed(patch.source_id.clone().unwrap_or_default(), error),
            })
            .collect();
        Ok(items.into())
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::AllItems
    }

    fn items_left(&self, cursor: u64) -> Option<u64> {
        left_of(&self.customers, cursor)
    }

    async fn finish(
        &mut self,
        inputs: &dyn Inputs,
        action: &ActionRecord,
    ) -> Result<Finish, ActionError> {
        Ok(report::bulk_report(inputs, action, &self.config, Some("source_id")).await?.into())
    }
}
