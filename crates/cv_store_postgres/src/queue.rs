//! The engine's role on PostgreSQL: `impl Queue for PostgresStore`.

use anyhow::anyhow;
use async_trait::async_trait;
use cv_domain::{ActionId, ActionResult, Timestamp};
use cv_store::{
    ChunkCommit, ChunkCounts, ClaimedAction, Fence, FinishEffect, Queue, StoreError, Wakeups,
    sql as q, sql::control as qx,
};

use crate::{
    PostgresStore, campaigns, chunk,
    convert::{self, error},
    db::{Params, execute, lease_lost, notify_change, query_opt},
    webhooks,
};

/// Takes the runnable action first in the queue (smallest `queued_at`) (see `cv_store::serial_group_runnable!` for serial
/// groups), skipping rows other claimers hold. Returns the action, its serial group, and
/// whether its lease ran out (`cv_store::lease_ran_out!`, read before the update).
const CLAIM: &str = concat!(
    "UPDATE async_actions t SET status = 'IN_PROGRESS', attempt = t.attempt + 1, \
       lease_owner = $1, lease_expires_at = $3, updated_at = $2 \
     FROM (SELECT a.id, ",
    cv_store::lease_ran_out!(),
    " AS lease_expired FROM async_actions a \
         WHERE a.status IN ('ENQUEUED', 'IN_PROGRESS') \
           AND (a.status = 'ENQUEUED' OR a.lease_expires_at < $2) AND ",
    cv_store::serial_group_runnable!(),
    " ORDER BY a.queued_at, a.id LIMIT 1 FOR UPDATE OF a SKIP LOCKED) c \
     WHERE t.id = c.id \
     RETURNING t.id, t.project_id, t.kind, t.status, t.progress, t.attempt, t.cursor, \
       t.total_items, t.done_count, t.failed_count, t.request_id, t.result, t.created_at, \
       t.updated_at, t.serial_group, c.lease_expired"
);

/// Serialises the claims of one serial group of one project (`$1` project, `$2` group) for
/// the rest of the claiming transaction.
const LOCK_SERIAL_GROUP: &str =
    "SELECT pg_advisory_xact_lock(hashtextextended('serial/' || $1::TEXT || '/' || $2::TEXT, 0))";

/// How often a claim that lost a serial-group race is retried at once.
const CLAIM_TRIES: usize = 3;

#[async_trait]
impl Queue for PostgresStore {
    fn wakeups(&self) -> Wakeups {
        self.inner.wake.clone()
    }

    async fn claim_next(
        &self,
        worker: &str,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<Option<ClaimedAction>, StoreError> {
        let mut client = self.client().await?;
        let expires = now.plus_millis(lease_ms).as_millis();
        for _ in 0..CLAIM_TRIES {
            let tx = client.transaction().await.map_err(error)?;
            let row = query_opt(&tx, CLAIM, &[&worker, &now.as_millis(), &expires]).await?;
            let Some(row) = row else {
                tx.commit().await.map_err(error)?;
                return Ok(None);
            };
            let record = convert::action(&row)?;
            let group: Option<String> = row.try_get(14).map_err(error)?;
            let lease_expired: bool = row.try_get(15).map_err(error)?;
            if let Some(group) = group {
                // The claim's snapshot may have missed another node's claim of the same
                // group committed meanwhile; under the group's lock, look again.
                execute(&tx, LOCK_SERIAL_GROUP, &[&record.project_id.as_str(), &group]).await?;
                let params: Params<'_> = &[&record.id.as_str()];
                if query_opt(&tx, q::OTHER_IN_PROGRESS_OF_GROUP, params).await?.is_some() {
                    tx.rollback().await.map_err(error)?;
                    continue;
                }
            }
            let (project, id) = (record.project_id.as_str(), record.id.as_str());
            notify_change(&tx, self.changes_channel(), project, id).await?;
            tx.commit().await.map_err(error)?;
            return Ok(Some(ClaimedAction {
                fence: Fence { action_id: record.id.clone(), attempt: record.attempt },
                record,
                lease_expired,
            }));
        }
        Ok(None)
    }

    async fn extend_lease(
        &self,
        fence: &Fence,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<(), StoreError> {
        let client = self.client().await?;
        let expires = now.plus_millis(lease_ms).as_millis();
        let params: Params<'_> = &[&fence.action_id.as_str(), &i64::from(fence.attempt), &expires];
        let n = execute(&client, q::EXTEND_LEASE, params).await?;
        if n == 0 { Err(lease_lost(fence)) } else { Ok(()) }
    }

    async fn release_lease(&self, fence: &Fence, now: Timestamp) -> Result<(), StoreError> {
        let client = self.client().await?;
        let params: Params<'_> =
            &[&fence.action_id.as_str(), &i64::from(fence.attempt), &now.as_millis()];
        execute(&client, q::RELEASE_LEASE, params).await?;
        Ok(())
    }

    async fn load_payload(&self, id: &ActionId) -> Result<Vec<u8>, StoreError> {
        let client = self.client().await?;
        let row = query_opt(&client, q::SELECT_PAYLOAD, &[&id.as_str()])
            .await?
            .ok_or_else(|| anyhow!("no payload for action {id}"))?;
        row.try_get(0).map_err(error)
    }

    async fn commit_chunk(
        &self,
        fence: &Fence,
        now: Timestamp,
        chunk: ChunkCommit,
    ) -> Result<ChunkCounts, StoreError> {
        let mut client = self.client().await?;
        chunk::commit(&mut client, self.changes_channel(), fence, now, chunk).await
    }

    async fn set_remaining_items(&self, fence: &Fence, remaining: u64) -> Result<(), StoreError> {
        let client = self.client().await?;
        let params: Params<'_> =
            &[&fence.action_id.as_str(), &i64::from(fence.attempt), &(remaining as i64)];
        let n = execute(&client, q::SET_REMAINING_ITEMS, params).await?;
        if n == 0 { Err(lease_lost(fence)) } else { Ok(()) }
    }

    async fn finish_action(
        &self,
        fence: &Fence,
        now: Timestamp,
        result: &ActionResult,
        effect: Option<&FinishEffect>,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(error)?;
        let status = result.status();
        let params: Params<'_> = &[
            &fence.action_id.as_str(),
            &i64::from(fence.attempt),
            &status.as_str(),
            &convert::to_json(result),
            &now.as_millis(),
        ];
        let row =
            query_opt(&tx, q::FINISH_ACTION, params).await?.ok_or_else(|| lease_lost(fence))?;
        let project: String = row.try_get(0).map_err(error)?;
        if let Some(effect) = effect {
            campaigns::apply_effect(&tx, &project, effect, status, now).await?;
        }
        webhooks::enqueue_deliveries(&tx, &project, fence.action_id.as_str(), status, now).await?;
        notify_change(&tx, self.changes_channel(), &project, fence.action_id.as_str()).await?;
        tx.commit().await.map_err(error)
    }

    async fn requeue(&self, fence: &Fence, now: Timestamp) -> Result<(), StoreError> {
        let client = self.client().await?;
        let params: Params<'_> =
            &[&fence.action_id.as_str(), &i64::from(fence.attempt), &now.as_millis()];
        let n = execute(&client, q::REQUEUE, params).await?;
        if n == 0 { Err(lease_lost(fence)) } else { Ok(()) }
    }

    async fn any_runnable(&self, now: Timestamp) -> Result<bool, StoreError> {
        let client = self.client().await?;
        Ok(query_opt(&client, q::ANY_RUNNABLE, &[&now.as_millis()]).await?.is_some())
    }

    async fn cancel_requested(&self, fence: &Fence) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let params: Params<'_> = &[&fence.action_id.as_str(), &i64::from(fence.attempt)];
        match query_opt(&client, qx::SELECT_CANCEL_REQUESTED, params).await? {
            Some(row) => Ok(row.try_get::<_, Option<i64>>(0).map_err(error)?.is_some()),
            None => Err(lease_lost(fence)),
        }
    }

    async fn take_maintenance_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        ttl_ms: i64,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let expires = now.plus_millis(ttl_ms).as_millis();
        let params: Params<'_> = &[&name, &holder, &now.as_millis(), &expires];
        Ok(execute(&client, qx::TAKE_MAINTENANCE_LEASE, params).await? > 0)
    }

    async fn prune_finished(&self, before: Timestamp, limit: u32) -> Result<u64, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(error)?;
        let params: Params<'_> = &[&before.as_millis(), &i64::from(limit)];
        execute(&tx, qx::PRUNE_UPLOADS, params).await?;
        let n = execute(&tx, qx::PRUNE_ACTIONS, params).await?;
        tx.commit().await.map_err(error)?;
        Ok(n)
    }

    async fn drop_finished_payloads(&self, limit: u32) -> Result<u64, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(error)?;
        let params: Params<'_> = &[&i64::from(limit)];
        let parts = execute(&tx, qx::DROP_FINISHED_UPLOADS, params).await?;
        let payloads = execute(&tx, qx::DROP_FINISHED_PAYLOADS, params).await?;
        tx.commit().await.map_err(error)?;
        Ok(parts + payloads)
    }
}
