//! The engine's role on SQLite: `impl Queue for SqliteStore`.

use async_trait::async_trait;
use cv_domain::{ActionId, ActionResult, ProjectId, Timestamp};
use cv_store::{
    ActionChange, ChunkCommit, ChunkCounts, ClaimedAction, Fence, FinishEffect, Queue, StoreError,
    Wakeups, sql as q, sql::control as qx,
};
use rusqlite::{OptionalExtension, params};

use crate::convert::Cached as _;
use crate::{
    SqliteStore, campaigns,
    chunk::{self, lease_lost},
    convert::{self, error, sql},
    webhooks,
};

/// The runnable action first in the queue (smallest `queued_at`) at `?1` (see
/// `cv_store::serial_group_runnable!` for serial groups), and whether its lease ran out
/// (`cv_store::lease_ran_out!`). [`CLAIM`] takes it in the same writer transaction, so the
/// single writer makes the pair atomic.
const NEXT_RUNNABLE: &str = concat!(
    "SELECT a.id, ",
    cv_store::lease_ran_out!(),
    " FROM async_actions a \
     WHERE a.status IN ('ENQUEUED', 'IN_PROGRESS') \
       AND (a.status = 'ENQUEUED' OR a.lease_expires_at < ?1) AND ",
    cv_store::serial_group_runnable!(),
    " ORDER BY a.queued_at, a.id LIMIT 1"
);

/// Claims action `?4` (found by [`NEXT_RUNNABLE`]) for worker `?1` at `?2`, leased until `?3`.
const CLAIM: &str = "UPDATE async_actions SET status = 'IN_PROGRESS', attempt = attempt + 1, \
       lease_owner = ?1, lease_expires_at = ?3, updated_at = ?2 \
     WHERE id = ?4 \
     RETURNING id, project_id, kind, status, progress, attempt, cursor, total_items, \
       done_count, failed_count, request_id, result, created_at, updated_at";

#[async_trait]
impl Queue for SqliteStore {
    fn wakeups(&self) -> Wakeups {
        self.inner.wake.clone()
    }

    async fn claim_next(
        &self,
        worker: &str,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<Option<ClaimedAction>, StoreError> {
        let worker = worker.to_owned();
        let claimed = self
            .write(move |tx| {
                let next: Option<(String, bool)> = tx
                    .prepare_cached(NEXT_RUNNABLE)
                    .and_then(|mut s| {
                        s.query_row(params![now.as_millis()], |r| Ok((r.get(0)?, r.get(1)?)))
                            .optional()
                    })
                    .map_err(error)?;
                let Some((id, lease_expired)) = next else {
                    return Ok(None);
                };
                let expires = now.plus_millis(lease_ms).as_millis();
                let record = tx
                    .prepare_cached(CLAIM)
                    .and_then(|mut s| {
                        s.query_row(params![worker, now.as_millis(), expires, id], convert::action)
                    })
                    .map_err(error)?;
                Ok(Some((record, lease_expired)))
            })
            .await?;
        Ok(claimed.map(|(record, lease_expired)| {
            self.inner.changes.publish(ActionChange::changed(&record.project_id, &record.id));
            ClaimedAction {
                fence: Fence { action_id: record.id.clone(), attempt: record.attempt },
                record,
                lease_expired,
            }
        }))
    }

    async fn extend_lease(
        &self,
        fence: &Fence,
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<(), StoreError> {
        let fence = fence.clone();
        self.write(move |tx| {
            let n = tx
                .exec(
                    &sql(q::EXTEND_LEASE),
                    params![
                        fence.action_id.as_str(),
                        i64::from(fence.attempt),
                        now.plus_millis(lease_ms).as_millis()
                    ],
                )
                .map_err(error)?;
            if n == 0 { Err(lease_lost(&fence)) } else { Ok(()) }
        })
        .await
    }

    async fn release_lease(&self, fence: &Fence, now: Timestamp) -> Result<(), StoreError> {
        let fence = fence.clone();
        self.write(move |tx| {
            tx.exec(
                &sql(q::RELEASE_LEASE),
                params![fence.action_id.as_str(), i64::from(fence.attempt), now.as_millis()],
            )
            .map_err(error)?;
            Ok(())
        })
        .await
    }

    async fn load_payload(&self, id: &ActionId) -> Result<Vec<u8>, StoreError> {
        let id = id.clone();
        self.read(move |c| c.row(&sql(q::SELECT_PAYLOAD), [id.as_str()], |r| r.get(0))).await
    }

    async fn commit_chunk(
        &self,
        fence: &Fence,
        now: Timestamp,
        chunk: ChunkCommit,
    ) -> Result<ChunkCounts, StoreError> {
        let owned = fence.clone();
        let (project, counts) = self.write(move |tx| chunk::commit(tx, &owned, now, chunk)).await?;
        let project = ProjectId::from_string(project);
        self.inner.changes.publish(ActionChange::changed(&project, &fence.action_id));
        Ok(counts)
    }

    async fn set_remaining_items(&self, fence: &Fence, remaining: u64) -> Result<(), StoreError> {
        let fence = fence.clone();
        self.write(move |tx| {
            let n = tx
                .exec(
                    &sql(q::SET_REMAINING_ITEMS),
                    params![fence.action_id.as_str(), i64::from(fence.attempt), remaining as i64],
                )
                .map_err(error)?;
            if n == 0 { Err(lease_lost(&fence)) } else { Ok(()) }
        })
        .await
    }

    async fn finish_action(
        &self,
        fence: &Fence,
        now: Timestamp,
        result: &ActionResult,
        effect: Option<&FinishEffect>,
    ) -> Result<(), StoreError> {
        let owned = fence.clone();
        let status = result.status();
        let result = convert::to_json(result);
        let effect = effect.cloned();
        let project = self
            .write(move |tx| {
                let project = tx
                    .row(
                        &sql(q::FINISH_ACTION),
                        params![
                            owned.action_id.as_str(),
                            i64::from(owned.attempt),
                            status.as_str(),
                            result,
                            now.as_millis()
                        ],
                        |r| r.get::<_, String>(0),
                    )
                    .optional()
                    .map_err(error)?
                    .ok_or_else(|| lease_lost(&owned))?;
                if let Some(effect) = &effect {
                    campaigns::apply_effect(tx, &project, effect, status, now)?;
                }
                webhooks::enqueue_deliveries(tx, &project, owned.action_id.as_str(), status, now)?;
                Ok(project)
            })
            .await?;
        let project = ProjectId::from_string(project);
        self.inner.changes.publish(ActionChange::changed(&project, &fence.action_id));
        Ok(())
    }

    async fn requeue(&self, fence: &Fence, now: Timestamp) -> Result<(), StoreError> {
        let owned = fence.clone();
        let n = self
            .write(move |tx| {
                tx.exec(
                    &sql(q::REQUEUE),
                    params![owned.action_id.as_str(), i64::from(owned.attempt), now.as_millis()],
                )
                .map_err(error)
            })
            .await?;
        if n == 0 { Err(lease_lost(fence)) } else { Ok(()) }
    }

    async fn any_runnable(&self, now: Timestamp) -> Result<bool, StoreError> {
        self.read(move |conn| {
            conn.row(&sql(q::ANY_RUNNABLE), params![now.as_millis()], |_| Ok(()))
                .optional()
                .map(|row| row.is_some())
        })
        .await
    }

    async fn cancel_requested(&self, fence: &Fence) -> Result<bool, StoreError> {
        let owned = fence.clone();
        let row = self
            .read(move |conn| {
                conn.row(
                    &sql(qx::SELECT_CANCEL_REQUESTED),
                    params![owned.action_id.as_str(), i64::from(owned.attempt)],
                    |r| r.get::<_, Option<i64>>(0),
                )
                .optional()
            })
            .await?;
        match row {
            Some(at) => Ok(at.is_some()),
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
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |tx| {
            let n = tx
                .exec(
                    &sql(qx::TAKE_MAINTENANCE_LEASE),
                    params![name, holder, now.as_millis(), now.plus_millis(ttl_ms).as_millis()],
                )
                .map_err(error)?;
            Ok(n > 0)
        })
        .await
    }

    async fn prune_finished(&self, before: Timestamp, limit: u32) -> Result<u64, StoreError> {
        self.write(move |tx| {
            let args = params![before.as_millis(), i64::from(limit)];
            tx.exec(&sql(qx::PRUNE_UPLOADS), args).map_err(error)?;
            let n = tx.exec(&sql(qx::PRUNE_ACTIONS), args).map_err(error)?;
            Ok(n as u64)
        })
        .await
    }

    async fn drop_finished_payloads(&self, limit: u32) -> Result<u64, StoreError> {
        self.write(move |tx| {
            let parts = tx
                .exec(&sql(qx::DROP_FINISHED_UPLOADS), params![i64::from(limit)])
                .map_err(error)?;
            let payloads = tx
                .exec(&sql(qx::DROP_FINISHED_PAYLOADS), params![i64::from(limit)])
                .map_err(error)?;
            Ok((parts + payloads) as u64)
        })
        .await
    }
}
