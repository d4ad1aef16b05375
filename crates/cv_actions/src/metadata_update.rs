//! The `*.METADATA_UPDATE` family: the same metadata merged into every listed object. Each
//! type's module only says how one key and the metadata become a chunk item.

use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::{Metadata, metadata_schema::MetadataSchema};
use cv_engine::{ActionError, ActionRun};
use cv_store::{ActionRecord, ChunkItem, ReportMode, Store};

use crate::{ActionsConfig, chunk_of, metadata_error, report};

/// Builds the item that merges `metadata` into the object with key `key`.
pub(crate) type MakeItem = fn(key: &str, metadata: &Metadata) -> ChunkItem;

/// One run of a metadata update.
pub(crate) struct Run {
    keys: Vec<String>,
    metadata: Metadata,
    /// Why the metadata fails the project's schema, if it does: then every item fails.
    refusal: Option<String>,
    make: MakeItem,
    config: Arc<ActionsConfig>,
}

impl Run {
    /// A run over `keys`, checked once against `schema`.
    pub fn new(
        keys: Vec<String>,
        metadata: Metadata,
        schema: Option<MetadataSchema>,
        make: MakeItem,
        config: Arc<ActionsConfig>,
    ) -> Self {
        let refusal = schema.and_then(|s| s.validate_json(&metadata, false).err());
        Self { keys, metadata, refusal, make, config }
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, cursor: u64, max: usize) -> Result<Vec<ChunkItem>, ActionError> {
        Ok(chunk_of(&self.keys, cursor, max)
            .iter()
            .map(|key| match &self.refusal {
                Some(reason) => {
                    ChunkItem::Failed { key: key.clone(), error: metadata_error(reason.clone()) }
                }
                None => (self.make)(key, &self.metadata),
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
        Ok(report::bulk_report(store, action, &self.config, None).await?)
    }
}
