use std::sync::Arc;

use async_trait::async_trait;
use cv_domain::{
    ActionId, ActionResult, Customer, CustomerId, CustomerPatch, ProjectId, Timestamp,
    metadata_schema::{MetadataResource, MetadataSchema},
};

use crate::{
    ActionChanges, ActionCount, ActionFilter, ActionRecord, CampaignStore, ChunkCommit,
    ChunkCounts, ClaimedAction, ControlStore, CustomerPage, Fence, FinishEffect, Finishing, Inputs,
    MetadataPurgeStore, MetadataSchemaRecord, NewAction, OAuthStore, OrderStore, Outbox,
    ProductStore, ReportLine, StoreError, VoucherStore, WebhookStore,
};

/// Wakes idle workers when an action is enqueued: in-process on SQLite, fed by
/// LISTEN/NOTIFY on PostgreSQL.
pub type Wakeups = Arc<tokio::sync::Notify>;

/// How far into the queue a claim of `limit` actions looks for them: the window in which
/// [`Queue::claim_batch`] takes turns across projects. Beyond it, `queued_at` has already
/// interleaved the projects (see `sql::INSERT_ACTION`).
pub fn claim_window(limit: u32) -> u32 {
    limit.saturating_mul(2).max(16)
}

/// The whole storage contract, for wiring, the backends and the conformance suite. Every
/// other component holds one role of it: the engine a [`Queue`], actions their [`Inputs`],
/// webhook delivery the [`Outbox`], the API an [`ApiStore`]. Every method is one short
/// transaction; nothing holds a lock across calls. Methods that take `now` use it for every
/// timestamp they write or compare, so tests can drive time explicitly.
pub trait Store: Queue + Outbox + ApiStore + MetadataPurgeStore + Inputs + 'static {}

impl<S> Store for S where S: Queue + Outbox + ApiStore + MetadataPurgeStore + Inputs + 'static {}

/// What the API may do: every resource call, enqueueing, cancelling, and reading actions —
/// but not claim, commit or finish them.
pub trait ApiStore:
    ActionReads
    + Resources
    + ProductStore
    + VoucherStore
    + CampaignStore
    + OrderStore
    + ControlStore
    + OAuthStore
    + WebhookStore
{
}

impl<S> ApiStore for S where
    S: ?Sized
        + ActionReads
        + Resources
        + ProductStore
        + VoucherStore
        + CampaignStore
        + OrderStore
        + ControlStore
        + OAuthStore
        + WebhookStore
{
}

/// Reads of actions, their reports and changes, and the store's identity and health: what
/// every role may see.
#[async_trait]
pub trait ActionReads: Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Succeeds when the database answers and its schema is at the version this build expects.
    async fn check_ready(&self) -> Result<(), StoreError>;

    /// The changes to action rows, once committed (by any node, on PostgreSQL): creation,
    /// claims, chunk commits, ends and cancels. See [`crate::changes`].
    fn action_changes(&self) -> ActionChanges;

    /// A number that moves on whenever a write to this store may commit: equal `Some` values
    /// read at two moments mean nothing was written in between, so whatever was read after
    /// the first is still what a read would return at the second. `None` while a write is in
    /// flight, and whenever the store cannot know. On PostgreSQL, where other nodes write
    /// too, their writes move it on when their change notification arrives, and it is `None`
    /// while notifications are not heard. The API keeps finished responses under it (see
    /// `cv_api::read_cache`).
    fn write_generation(&self) -> Option<u64> {
        None
    }

    /// One action of `project`.
    async fn get_action(
        &self,
        project: &ProjectId,
        id: &ActionId,
    ) -> Result<Option<ActionRecord>, StoreError>;

    /// Up to `limit` actions of `project` that `filter` lets through, created strictly before
    /// `before` (all if `None`), newest first, ties by id descending. Listed records carry no
    /// `result` (`None`): the action list never shows it; read one action for it.
    async fn list_actions_before(
        &self,
        project: &ProjectId,
        filter: &ActionFilter,
        before: Option<Timestamp>,
        limit: u32,
    ) -> Result<Vec<ActionRecord>, StoreError>;

    /// Every action of `project` that `filter` lets through created exactly at `at`, ids
    /// descending; without `result`, as [`Store::list_actions_before`].
    async fn list_actions_at(
        &self,
        project: &ProjectId,
        filter: &ActionFilter,
        at: Timestamp,
    ) -> Result<Vec<ActionRecord>, StoreError>;

    /// How many actions there are of each type and status, across all projects (the pairs
    /// with at least one action), for operators' metrics.
    async fn count_actions(&self) -> Result<Vec<ActionCount>, StoreError>;

    /// Report lines of an action after line `after` (from the start when `None`), in order.
    async fn report_lines(
        &self,
        id: &ActionId,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<ReportLine>, StoreError>;

    /// The first `limit` failed report lines of an action, in order.
    async fn failed_report_lines(
        &self,
        id: &ActionId,
        limit: u32,
    ) -> Result<Vec<ReportLine>, StoreError>;
}

/// Projects and credentials, enqueueing with uploads, metadata schemas and customers: the
/// API's own rows.
#[async_trait]
pub trait Resources: Send + Sync {
    /// The id of the project called `name`, creating it if needed.
    async fn ensure_project(&self, name: &str, now: Timestamp) -> Result<ProjectId, StoreError>;

    /// Stores (or replaces) the credential `app_id` with the token's hash for `project`.
    async fn put_credential(
        &self,
        project: &ProjectId,
        app_id: &str,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// The project and token hash of `app_id`.
    async fn find_credential(
        &self,
        app_id: &str,
    ) -> Result<Option<(ProjectId, String)>, StoreError>;

    /// How many credentials `project` has.
    async fn count_credentials(&self, project: &ProjectId) -> Result<u64, StoreError>;

    /// Stores the action row and its payload in one transaction and wakes workers.
    async fn create_action(&self, new: NewAction) -> Result<ActionRecord, StoreError>;

    /// Stores part `part` of the file uploaded for action `upload` (its id, generated before
    /// the action row is created).
    async fn put_upload_part(
        &self,
        upload: &ActionId,
        part: u32,
        bytes: Vec<u8>,
    ) -> Result<(), StoreError>;

    /// Part `part` of an upload, or `None` past its end.
    async fn read_upload_part(
        &self,
        upload: &ActionId,
        part: u32,
    ) -> Result<Option<Vec<u8>>, StoreError>;

    /// Removes every part of an upload (an upload that failed, or a pruned action).
    async fn delete_upload(&self, upload: &ActionId) -> Result<(), StoreError>;

    /// Stores `schema` as the project's schema for its resource, replacing any earlier one
    /// (which keeps its id and created_at).
    async fn put_metadata_schema(
        &self,
        project: &ProjectId,
        schema: &MetadataSchema,
        now: Timestamp,
    ) -> Result<MetadataSchemaRecord, StoreError>;

    /// The project's schema for `resource`.
    async fn get_metadata_schema(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
    ) -> Result<Option<MetadataSchemaRecord>, StoreError>;

    /// Every schema of the project, by resource name.
    async fn list_metadata_schemas(
        &self,
        project: &ProjectId,
    ) -> Result<Vec<MetadataSchemaRecord>, StoreError>;

    /// Deletes the project's schema for `resource`; whether there was one.
    async fn delete_metadata_schema(
        &self,
        project: &ProjectId,
        resource: MetadataResource,
    ) -> Result<bool, StoreError>;

    /// Creates or updates (by `source_id`) customers in one transaction, as a chunk would.
    async fn upsert_customers(
        &self,
        project: &ProjectId,
        patches: Vec<CustomerPatch>,
        now: Timestamp,
    ) -> Result<Vec<Customer>, StoreError>;

    /// A customer by id, or else by source_id.
    async fn get_customer(
        &self,
        project: &ProjectId,
        id_or_source_id: &str,
    ) -> Result<Option<Customer>, StoreError>;

    /// Applies `patch` to the customer with this id; `None` if there is none.
    async fn update_customer(
        &self,
        project: &ProjectId,
        id: &CustomerId,
        patch: CustomerPatch,
        now: Timestamp,
    ) -> Result<Option<Customer>, StoreError>;

    /// Deletes the customer with this id; whether it existed.
    async fn delete_customer(
        &self,
        project: &ProjectId,
        id: &CustomerId,
    ) -> Result<bool, StoreError>;

    /// A page (1-based) of customers, newest first, and the project's total.
    async fn list_customers(
        &self,
        project: &ProjectId,
        limit: u32,
        page: u32,
    ) -> Result<CustomerPage, StoreError>;
}

/// The engine's role: claim, lease, commit chunks, finish, give back, and keep the queue
/// small. Every write after a claim is fenced on `(id, attempt)`.
#[async_trait]
pub trait Queue: ActionReads {
    /// The notifier that fires when an action is enqueued (by any node, on PostgreSQL).
    fn wakeups(&self) -> Wakeups;

    /// Claims up to `limit` runnable actions (ENQUEUED, or IN_PROGRESS with an expired lease)
    /// in one transaction, with their payloads: each is set IN_PROGRESS, its `attempt`
    /// incremented, and leased until `now + lease_ms`; each tells whether the lease it took
    /// over had run out ([`ClaimedAction::lease_expired`]). Concurrent claimers never get the
    /// same action.
    ///
    /// Which ones: the first runnable actions in queue order (smallest `queued_at`), taken
    /// in turns across projects — among the first [`claim_window`]`(limit)` of the queue, a
    /// project's second action is taken only once every other project there has its first
    /// taken, so one batch never takes a busy project's next action while another project's
    /// waits. Actions of a serial group (`ActionKind::serial_group`) run one at a time per
    /// project, oldest first: one is not runnable while another of its project and group is
    /// IN_PROGRESS or, older, ENQUEUED — even when several nodes claim at once.
    async fn claim_batch(
        &self,
        worker: &str,
        now: Timestamp,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<ClaimedAction>, StoreError>;

    /// Claims the first runnable action: [`Queue::claim_batch`] with a limit of one.
    async fn claim_next(
        &self,
        worker: &str,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<Option<ClaimedAction>, StoreError> {
        Ok(self.claim_batch(worker, now, lease_ms, 1).await?.pop())
    }

    /// Extends the leases of `fences` to `now + lease_ms`, in one transaction; answers the
    /// fences that no longer hold their action (another attempt has it, or it ended).
    async fn extend_leases(
        &self,
        fences: &[Fence],
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<Vec<Fence>, StoreError>;

    /// Extends one lease; [`StoreError::LeaseLost`] when the fence is stale.
    async fn extend_lease(
        &self,
        fence: &Fence,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<(), StoreError> {
        let lost = self.extend_leases(std::slice::from_ref(fence), now, lease_ms).await?;
        if lost.is_empty() { Ok(()) } else { Err(StoreError::LeaseLost(fence.action_id.clone())) }
    }

    /// Gives the lease up at once (graceful shutdown), so any node may re-claim the action.
    async fn release_lease(&self, fence: &Fence, now: Timestamp) -> Result<(), StoreError>;

    /// The stored payload of an action.
    async fn load_payload(&self, id: &ActionId) -> Result<Vec<u8>, StoreError>;

    /// Applies one chunk in one transaction: the item writes, their report lines, the new
    /// cursor, counters and progress; returns what it added to the done and failed counters.
    /// Fenced: a stale attempt, or a cursor that moved, writes nothing and answers
    /// [`StoreError::LeaseLost`].
    async fn commit_chunk(
        &self,
        fence: &Fence,
        now: Timestamp,
        chunk: ChunkCommit,
    ) -> Result<ChunkCounts, StoreError>;

    /// Commits an action's last chunk as [`Queue::commit_chunk`] does and, in the same
    /// transaction, ends the action with `finish` — when the store added exactly the counts
    /// the chunk planned ([`ChunkCommit::outcome_counts`]: no item refused while writing, so
    /// a result built from them is the result). Answers the counts and whether it ended the
    /// action; when it did not, the chunk is committed and the caller finishes as usual.
    async fn commit_last_chunk(
        &self,
        fence: &Fence,
        now: Timestamp,
        chunk: ChunkCommit,
        finish: &Finishing,
    ) -> Result<(ChunkCounts, bool), StoreError>;

    /// Sets the action's total to its stored cursor plus `remaining`, for an action that
    /// learns its size only when it runs (a purge or a campaign delete counts what is left on every claim). Progress is not lowered. Fenced: [`StoreError::LeaseLost`] when stale.
    async fn set_remaining_items(&self, fence: &Fence, remaining: u64) -> Result<(), StoreError>;

    /// Ends several actions in one transaction, each as [`Queue::finish_action`] would and
    /// fenced on its own: one answer per action, in order — a stale fence is that action's
    /// [`StoreError::LeaseLost`] and does not keep the others from ending. The outer error is
    /// for a transaction that could not commit at all (then none ended).
    async fn finish_actions(
        &self,
        now: Timestamp,
        finishes: &[Finishing],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError>;

    /// Ends the action with `result` (DONE, or FAILED for a failure) and writes `effect`, in
    /// one fenced transaction. In the same transaction, queues the action's webhook deliveries
    /// ([`crate::plan_deliveries`]).
    async fn finish_action(
        &self,
        fence: &Fence,
        now: Timestamp,
        result: &ActionResult,
        effect: Option<&FinishEffect>,
    ) -> Result<(), StoreError> {
        let finishing =
            Finishing { fence: fence.clone(), result: result.clone(), effect: effect.cloned() };
        let mut answers = self.finish_actions(now, std::slice::from_ref(&finishing)).await?;
        answers.pop().unwrap_or_else(|| Err(StoreError::LeaseLost(fence.action_id.clone())))
    }

    /// Gives a held action back after a slice, so other actions get a turn: the lease ends
    /// at `now` (any worker may claim it again, the attempt counter moves on then), and the
    /// action goes behind its project's queue. [`StoreError::LeaseLost`] when the fence is
    /// stale.
    async fn requeue(&self, fence: &Fence, now: Timestamp) -> Result<(), StoreError>;

    /// Whether an action is waiting to be claimed at `now` (ENQUEUED, or held by an expired
    /// lease, and not held back by its serial group).
    async fn any_runnable(&self, now: Timestamp) -> Result<bool, StoreError>;

    /// Whether a cancel was asked for the action this fence holds; [`StoreError::LeaseLost`]
    /// when the fence is stale.
    async fn cancel_requested(&self, fence: &Fence) -> Result<bool, StoreError>;

    /// Takes (or, for its holder, renews) the lease called `name` until `now + ttl_ms`, if
    /// nobody else holds it. Whether `holder` holds it now.
    async fn take_maintenance_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        ttl_ms: i64,
    ) -> Result<bool, StoreError>;

    /// Deletes up to `limit` actions finished before `before`, with their
    /// payloads, uploads and report lines. How many actions it deleted.
    async fn prune_finished(&self, before: Timestamp, limit: u32) -> Result<u64, StoreError>;

    /// Deletes the payloads, and the uploaded files, of up to `limit` finished actions each
    /// (their results and reports stay). How many rows it deleted; 0 when none is left.
    async fn drop_finished_payloads(&self, limit: u32) -> Result<u64, StoreError>;
}
