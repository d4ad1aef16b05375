//! The `*.METADATA_UPDATE` family: the same metadata merged into every listed object. Each
//! type's module only says which objects it lists and how one key and the metadata become a
//! write ([`Target`]).

use std::{marker::PhantomData, sync::Arc};

use async_trait::async_trait;
use cv_domain::{
    Metadata,
    metadata_schema::{MetadataResource, MetadataSchema},
};
use cv_engine::{ActionError, ActionRun, Finish};
use cv_store::{ActionRecord, ChunkWrites, Inputs, Item, ReportMode};
use serde::de::DeserializeOwned;

use crate::{Action, ActionsConfig, Start, chunk_of, left_of, metadata_error, report};

/// What one metadata-update type updates.
pub(crate) trait Target: Send + 'static {
    /// The stored request.
    type Payload: DeserializeOwned + Send;
    /// The write of one object.
    type Write: Send + Sync;
    /// Whose metadata schema checks the metadata.
    const RESOURCE: MetadataResource;
    /// The objects' keys and the metadata.
    fn split(payload: Self::Payload) -> (Vec<String>, Metadata);
    /// The write that merges `metadata` into the object with key `key`.
    fn write(key: &str, metadata: &Metadata) -> Self::Write;
    /// A chunk of such writes.
    fn writes(items: Vec<Item<Self::Write>>) -> ChunkWrites;
}

/// One run of a metadata update of `T`.
pub(crate) struct Run<T> {
    keys: Vec<String>,
    metadata: Metadata,
    /// Why the metadata fails the project's schema, if it does: then every item fails.
    refusal: Option<String>,
    config: Arc<ActionsConfig>,
    target: PhantomData<fn() -> T>,
}

#[async_trait]
impl<T: Target> Action for Run<T> {
    type Payload = T::Payload;

    async fn start(start: Start<'_>, payload: T::Payload) -> Result<Self, ActionError> {
        let schema: Option<MetadataSchema> = start.schema(T::RESOURCE).await?;
        let (keys, metadata) = T::split(payload);
        let refusal = schema.and_then(|s| s.validate_json(&metadata, false).err());
        Ok(Self { keys, metadata, refusal, config: start.config, target: PhantomData })
    }
}

#[async_trait]
impl<T: Target> ActionRun for Run<T> {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<ChunkWrites, ActionError> {
        let items = chunk_of(&self.keys, cursor, max)
            .iter()
            .map(|key| match &self.refusal {
                Some(reason) => Item::failed(key.clone(), metadata_error(reason.clone())),
                None => Item::Write(T::write(key, &self.metadata)),
            })
            .collect();
        Ok(T::writes(items))
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::AllItems
    }

    fn items_left(&self, cursor: u64) -> Option<u64> {
        left_of(&self.keys, cursor)
    }

    async fn finish(
        &mut self,
        inputs: &dyn Inputs,
        action: &ActionRecord,
    ) -> Result<Finish, ActionError> {
        Ok(report::bulk_report(inputs, action, &self.config, None).await?.into())
    }
}
