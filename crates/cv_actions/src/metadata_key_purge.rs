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
//! Progress: on every claim the run counts the objects still holding the key, and the engine
//! sets the action's total to its cursor plus that count ([`ActionRun::remaining`]),
//! so each committed chunk raises progress. Counting here rather than at enqueue keeps the
//! API's answer O(1) (a count reads every object of the resource) and counts what is really
//! left when the work starts, not when it was queued; objects that gain the key behind the
//! walk while it runs may keep it, as with any online purge.

use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::{
    ActionResult, ProjectId, metadata_schema::MetadataResource, payload::MetadataKeyPurge,
};
use cv_engine::{ActionError, ActionRun, Finish};
use cv_store::{ActionRecord, ChunkWrites, Inputs, MetadataHolder, ReportMode};

use crate::{Action, Start};

/// One claim's run of a purge.
pub(crate) struct Run {
    resource: MetadataResource,
    key: String,
    project: ProjectId,
    inputs: Arc<dyn Inputs>,
    /// The objects holding the key when the run started.
    left: u64,
    /// The last object handed out by this run: the next chunk starts after it.
    after: Option<MetadataHolder>,
}

#[async_trait]
impl Action for Run {
    type Payload = MetadataKeyPurge;

    /// Starts a run of a purge of `payload.key` from the resource its type names, counting the
    /// objects left.
    async fn start(start: Start<'_>, payload: MetadataKeyPurge) -> Result<Self, ActionError> {
        let kind = start.action.kind;
        let resource = MetadataResource::purged_by(kind)
            .ok_or_else(|| ActionError::Fatal(format!("{kind} purges no resource")))?;
        let project = start.action.project_id.clone();
        let left = start.inputs.count_key_holders(&project, resource, &payload.key).await?;
        Ok(Self { resource, key: payload.key, project, inputs: start.inputs, left, after: None })
    }
}

#[async_trait]
impl ActionRun for Run {
    async fn chunk(&mut self, _cursor: u64, max: usize) -> Result<ChunkWrites, ActionError> {
        let limit = u32::try_from(max).unwrap_or(u32::MAX);
        let (project, resource, key) = (&self.project, self.resource, &self.key);
        let holders =
            self.inputs.key_holders(project, resource, key, self.after.as_ref(), limit).await?;
        if let Some(last) = holders.last() {
            self.after = Some(last.clone());
        }
        let ids = holders.into_iter().map(|h| h.id).collect();
        Ok(ChunkWrites::MetadataKeyPurge { resource, key: key.clone(), ids })
    }

    fn report_mode(&self) -> ReportMode {
        ReportMode::FailuresOnly
    }

    fn remaining(&self) -> Option<u64> {
        Some(self.left)
    }

    async fn finish(
        &mut self,
        _inputs: &dyn Inputs,
        action: &ActionRecord,
    ) -> Result<Finish, ActionError> {
        let n = action.done_count;
        let message = format!("Updated {n} {}.", self.resource.plural());
        Ok(ActionResult::count(message, n).into())
    }
}
