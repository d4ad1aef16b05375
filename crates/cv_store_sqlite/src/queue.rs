//! The engine's role on SQLite: `impl Queue for SqliteStore`.

use async_trait::async_trait;
use cv_domain::{ActionId, ProjectId, Timestamp};
use cv_store::{
    ActionChange, ChunkCommit, ChunkCounts, ClaimedAction, Fence, Finishing, Queue, StoreError,
    Wakeups, sql as q, sql::control as qx,
};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::convert::Cached as _;
use crate::{
    SqliteStore, campaigns,
    chunk::{self, lease_lost},
    convert::{self, error, sql},
    db::{Savepoint, savepoint},
    webhooks,
};

/// The actions a batch claim takes (`cv_store::claim_pick!`): `?1` now, `?2` window, `?3`
/// limit. [`CLAIM`] takes each in the same writer transaction, so the single writer makes the
/// pick and the claims atomic.
const PICK: &str = cv_store::claim_pick!("?1", "?2", "?3", "");

/// Claims action `?4` (picked by [`PICK`]) for worker `?1` at `?2`, leased until `?3`;
/// returns it, whether a cancel was asked, and its payload.
const CLAIM: &str = "UPDATE async_actions SET status = 'IN_PROGRESS', attempt = attempt + 1, \
       lease_owner = ?1, lease_expires_at = ?3, updated_at = ?2 \
     WHERE id = ?4 \
     RETURNING id, project_id, kind, status, progress, attempt, cursor, total_items, \
       done_count, failed_count, request_id, result, created_at, updated_at, \
       cancel_requested_at IS NOT NULL, \
       (SELECT body FROM action_payloads p WHERE p.action_id = async_actions.id)";

#[async_trait]
impl Queue for SqliteStore {
    fn wakeups(&self) -> Wakeups {
        self.inner.wake.clone()
    }

    async fn claim_batch(
        &self,
        worker: &str,
        now: Timestamp,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<ClaimedAction>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let worker = worker.to_owned();
        let claimed = self
            .write(move |tx| {
                let window = i64::from(cv_store::claim_window(limit));
                let picked: Vec<(String, bool)> = tx
                    .prepare_cached(PICK)
                    .and_then(|mut s| {
                        let rows = s
                            .query_map(params![now.as_millis(), window, i64::from(limit)], |r| {
                                Ok((r.get(0)?, r.get(1)?))
                            })?;
                        rows.collect()
                    })
                    .map_err(error)?;
                let expires = now.plus_millis(lease_ms).as_millis();
                let mut stmt = tx.prepare_cached(CLAIM).map_err(error)?;
                picked
                    .into_iter()
                    .map(|(id, lease_expired)| {
                        stmt.query_row(params![worker, now.as_millis(), expires, id], |r| {
                            let record = convert::action(r)?;
                            let cancel_requested: bool = r.get(14)?;
                            let payload: Option<Vec<u8>> = r.get(15)?;
                            Ok(ClaimedAction {
                                fence: Fence {
                                    action_id: record.id.clone(),
                                    attempt: record.attempt,
                                },
                                record,
                                lease_expired,
                                payload: payload.unwrap_or_default(),
                                cancel_requested,
                            })
                        })
                        .map_err(error)
                    })
                    .collect::<Result<Vec<_>, StoreError>>()
            })
            .await?;
        for claim in &claimed {
            let record = &claim.record;
            self.inner.changes.publish(ActionChange::changed(&record.project_id, &record.id));
        }
        Ok(claimed)
    }

    async fn extend_leases(
        &self,
        fences: &[Fence],
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<Vec<Fence>, StoreError> {
        let fences = fences.to_vec();
        self.write(move |tx| {
            let expires = now.plus_millis(lease_ms).as_millis();
            let mut stmt = tx.prepare_cached(&sql(q::EXTEND_LEASE)).map_err(error)?;
            let mut lost = Vec::new();
            for fence in fences {
                let args = params![fence.action_id.as_str(), i64::from(fence.attempt), expires];
                if stmt.execute(args).map_err(error)? == 0 {
                    lost.push(fence);
                }
            }
            Ok(lost)
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

    async fn commit_last_chunk(
        &self,
        fence: &Fence,
        now: Timestamp,
        chunk: ChunkCommit,
        finish: &Finishing,
    ) -> Result<(ChunkCounts, bool), StoreError> {
        let (owned, finishing) = (fence.clone(), finish.clone());
        let planned = chunk.planned();
        let (project, counts, finished) = self
            .write(move |tx| {
                let (project, counts) = chunk::commit(tx, &owned, now, chunk)?;
                let finished = counts == planned;
                if finished {
                    self::finish(tx, &finishing, now)?;
                }
                Ok((project, counts, finished))
            })
            .await?;
        let project = ProjectId::from_string(project);
        self.inner.changes.publish(ActionChange::changed(&project, &fence.action_id));
        Ok((counts, finished))
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

    async fn finish_actions(
        &self,
        now: Timestamp,
        finishes: &[Finishing],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let finishes = finishes.to_vec();
        let answers = self
            .write(move |tx| {
                let answers = finishes
                    .iter()
                    .map(|f| {
                        savepoint(tx, "finish", Savepoint::Open).map_err(error)?;
                        let ended = finish(tx, f, now);
                        let close =
                            if ended.is_ok() { Savepoint::Release } else { Savepoint::RollBack };
                        savepoint(tx, "finish", close).map_err(error)?;
                        Ok(ended.map(|project| (project, f.fence.action_id.clone())))
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                Ok(answers)
            })
            .await?;
        Ok(answers
            .into_iter()
            .map(|answer| {
                answer.map(|(project, id)| {
                    let project = ProjectId::from_string(project);
                    self.inner.changes.publish(ActionChange::changed(&project, &id));
                })
            })
            .collect())
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

/// Ends one action in the writer's transaction (see `Queue::finish_actions`): the fenced
/// update, its effect, its webhook deliveries. Its project, or `LeaseLost`.
fn finish(tx: &Transaction<'_>, f: &Finishing, now: Timestamp) -> Result<String, StoreError> {
    let status = f.result.status();
    let project = tx
        .row(
            &sql(q::FINISH_ACTION),
            params![
                f.fence.action_id.as_str(),
                i64::from(f.fence.attempt),
                status.as_str(),
                convert::to_json(&f.result),
                now.as_millis()
            ],
            |r| r.get::<_, String>(0),
        )
        .optional()
        .map_err(error)?
        .ok_or_else(|| lease_lost(&f.fence))?;
    if let Some(effect) = &f.effect {
        campaigns::apply_effect(tx, &project, effect, status, now)?;
    }
    webhooks::enqueue_deliveries(tx, &project, f.fence.action_id.as_str(), status, now)?;
    Ok(project)
}
