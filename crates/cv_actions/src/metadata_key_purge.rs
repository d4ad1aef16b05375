//! `CAMPAIGNS|CUSTOMERS|PRODUCTS|VOUCHERS.METADATA_KEY_PURGE`: remove one metadata key from
//! every object of a resource in the project (`POST /v1/metadata-schemas/{resource}/purge`).
//! One module for all of them: the resource decides only which table the store touches
//! ([`cv_store::sql::metadata_purge::metadata_table`]). Result family B:
//! `{"message":"Updated n customers.","done_count":n}`, n counting the objects that lost the
//! key.
//!
//! Each chunk asks the store for the next objects that **still have the key**, newest first,
//! after the last object this run has seen (a keyset bound kept in memory, so no chunk scans
//! what an earlier one covered), and commits one `MetadataKeyPurge` item per object: the
//! store removes the key inside the chunk's fenced transaction. That makes the purge
//! crash-safe without a stored position: a chunk that did not commit left its objects with
//! the key, one that committed removed it, so a new claim simply starts again from the newest
//! object and finds exactly the objects not yet purged. No object is purged or counted twice
//! (the key is gone after the first time), and none is missed.
//!
//! Progress: on every claim the run counts the objects still holding the key and sets the
//! action's total to its cursor plus that count ([`cv_store::Store::set_remaining_items`]),
//! so each committed chunk raises progress. Counting here rather than at enqueue keeps the
//! API's answer O(1) (a count reads every object of the resource) and counts what is really
//! left when the work starts, not when it was queued; objects that gain the key behind the
//! walk while it runs may keep it, as with any online purge.

use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::{ProjectId, metadata_schema::MetadataResource, payload::MetadataKeyPurge};
use cv_engine::{ActionError, ActionRun};
use cv_store::{ActionRecord, ChunkItem, Fence, MetadataHolder, ReportMode, Store};
use serde_json::{Value, json};

/// One claim's run of a purge.
pub(crate) struct Run {
    resource: MetadataResource,
    key: String,
    project: ProjectId,
    store: Arc<dyn Store>,
    /// The last object handed out by this run: the next chunk starts after it.
    after: Option<MetadataHolder>,
}

impl Run {
    /// Starts a run of `action`, which purges `payload.key` from `resource`: counts the
    /// objects left and sets the action's total from them.
    pub async fn start(
        action: &ActionRecord,
        resource: MetadataResource,
        payload: MetadataKeyPurge,
        store: Arc<dyn Store>,
    ) -> Result<Self, ActionError> {
        let project = action.project_id.clone();
        let left = store.count_metadata_key_holders(&project, resource, &payload.key).await?;
        let fence = Fence { action_id: action.id.clone(), attempt: action.attempt };
        store.set_remaining_items(&fence, left).await?;
        Ok(Self { resource, key: payload.key, project, store, after: None })
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, _cursor: u64, max: usize) -> Result<Vec<ChunkItem>, ActionError> {
        let limit = u32::try_from(max).unwrap_or(u32::MAX);
        let holders = self
            .store
            .metadata_key_holders(
                &self.project,
                self.resource,
                &self.key,
                self.after.as_ref(),
                limit,
            )
            .await?;
        if let Some(last) = holders.last() {
            self.after = Some(last.clone());
        }
        Ok(holders
            .into_iter()
            .map(|h| ChunkItem::MetadataKeyPurge {
                resource: self.resource,
                id: h.id,
                key: self.key.clone(),
            })
            .collect())
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::FailuresOnly
    }

    async fn result(
        &mut self,
        _store: &dyn Store,
        action: &ActionRecord,
    ) -> Result<Value, ActionError> {
        Ok(json!({
            "message": format!("Updated {} {}.", action.done_count, self.resource.plural()),
            "done_count": action.done_count,
        }))
    }
}
