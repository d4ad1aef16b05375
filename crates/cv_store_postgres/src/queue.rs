//! The engine's role on PostgreSQL: `impl Queue for PostgresStore`.

use anyhow::anyhow;
use async_trait::async_trait;
use cv_domain::{ActionId, Timestamp};
use cv_store::{
    ChunkCommit, ChunkCounts, ClaimedAction, Fence, Finishing, Queue, StoreError, Wakeups,
    sql as q, sql::control as qx,
};
use deadpool_postgres::GenericClient;

use crate::{
    PostgresStore, campaigns, chunk,
    convert::{self, error},
    db::{Params, execute, lease_lost, query, query_opt},
    webhooks,
};

/// Claims a batch: the actions `cv_store::claim_pick!` picks (`$2` now, `$4` window, `$5`
/// limit), its window locked with `SKIP LOCKED` (rows another claimer holds are passed
/// over; a row changed since the statement's snapshot is checked again once locked and
/// skipped if no longer runnable), for worker `$1`, leased until `$3`. The window's other
/// rows stay locked only until the claim commits. Returns each action, its serial group,
/// whether its lease ran out (`cv_store::lease_ran_out!`, read before the update), whether a
/// cancel was asked, its payload, and its place in the pick.
const CLAIM: &str = concat!(
    "WITH pick AS (",
    cv_store::claim_pick!("$2", "$4", "$5", " FOR UPDATE OF a SKIP LOCKED"),
    ") UPDATE async_actions t SET status = 'IN_PROGRESS', attempt = t.attempt + 1, \
       lease_owner = $1, lease_expires_at = $3, updated_at = $2 \
     FROM pick c LEFT JOIN action_payloads p ON p.action_id = c.id \
     WHERE t.id = c.id \
     RETURNING t.id, t.project_id, t.kind, t.status, t.progress, t.attempt, t.cursor, \
       t.total_items, t.done_count, t.failed_count, t.request_id, t.result, t.created_at, \
       t.updated_at, t.serial_group, c.lease_expired, t.cancel_requested_at IS NOT NULL, p.body, \
       c.turn, c.queued_at"
);

/// `$1` ids, `$2` attempts, `$3` new expiry: extends every lease still held; returns the ids
/// it extended.
const EXTEND_LEASES: &str = "UPDATE async_actions a SET lease_expires_at = $3 \
     FROM unnest($1::TEXT[], $2::BIGINT[]) AS f(id, attempt) \
     WHERE a.id = f.id AND a.attempt = f.attempt AND a.status = 'IN_PROGRESS' \
     RETURNING a.id";

/// Serialises the checks of one serial group of one project (`$1` project, `$2` group) for
/// the rest of the checking transaction.
const LOCK_SERIAL_GROUP: &str =
    "SELECT pg_advisory_xact_lock(hashtextextended('serial/' || $1::TEXT || '/' || $2::TEXT, 0))";

/// Gives back a claim that lost a serial-group race (`$1` id, `$2` the claim's attempt, `$3`
/// now): an action that had made no progress is ENQUEUED again; one that had goes back like
/// a released lease (IN_PROGRESS, nobody's, claimable from `$3`). Its place in the queue is
/// kept; the attempt stays spent.
const GIVE_BACK: &str = "UPDATE async_actions SET \
       status = CASE WHEN cursor = 0 THEN 'ENQUEUED' ELSE 'IN_PROGRESS' END, \
       lease_owner = NULL, \
       lease_expires_at = CASE WHEN cursor = 0 THEN NULL ELSE CAST($3 AS BIGINT) - 1 END \
     WHERE id = $1 AND attempt = $2 AND status = 'IN_PROGRESS'";

#[async_trait]
impl Queue for PostgresStore {
    fn wakeups(&self) -> Wakeups {
        self.inner.wake.clone()
    }

    /// One statement, committed on its own (one round trip), then, only if it took actions
    /// of serial groups, a check of those groups in a second transaction.
    async fn claim_batch(
        &self,
        worker: &str,
        now: Timestamp,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<ClaimedAction>, StoreError> {
        let _writing = self.inner.generation.writing();
        if limit == 0 {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let expires = now.plus_millis(lease_ms).as_millis();
        let (window, limit) = (i64::from(cv_store::claim_window(limit)), i64::from(limit));
        let params: Params<'_> = &[&worker, &now.as_millis(), &expires, &window, &limit];
        let mut rows = query(&client, CLAIM, params).await?;
        // In the pick's order (RETURNING keeps none).
        rows.sort_by_cached_key(|r| {
            let place = (r.try_get::<_, i64>(18), r.try_get::<_, i64>(19));
            (place.0.unwrap_or(0), place.1.unwrap_or(0), r.try_get::<_, String>(0).ok())
        });
        let mut claimed = Vec::with_capacity(rows.len());
        let mut groups = Vec::new();
        for row in &rows {
            let record = convert::action(row)?;
            if let Some(group) = row.try_get::<_, Option<String>>(14).map_err(error)? {
                let fence = (record.id.to_string(), i64::from(record.attempt));
                groups.push((record.project_id.to_string(), group, fence));
            }
            claimed.push(ClaimedAction {
                fence: Fence { action_id: record.id.clone(), attempt: record.attempt },
                lease_expired: row.try_get(15).map_err(error)?,
                cancel_requested: row.try_get(16).map_err(error)?,
                payload: row.try_get::<_, Option<Vec<u8>>>(17).map_err(error)?.unwrap_or_default(),
                record,
            });
        }
        for c in &claimed {
            self.inner.notifier.changed(c.record.project_id.as_str(), c.record.id.as_str());
        }
        if groups.is_empty() {
            return Ok(claimed);
        }
        let grouped: Vec<String> = groups.iter().map(|(_, _, (id, _))| id.clone()).collect();
        let dropped = match serial_groups_checked(client, groups, now).await {
            Ok(given_back) => given_back,
            Err(err) => {
                // Those actions stay claimed until their leases run out; the rest run.
                tracing::warn!(message = "Could not check the serial groups of a claim; their actions wait for their leases to run out.", %err);
                grouped
            }
        };
        let (gone, kept) = claimed
            .into_iter()
            .partition::<Vec<_>, _>(|c| dropped.iter().any(|id| id == c.fence.action_id.as_str()));
        for c in &gone {
            self.inner.notifier.changed(c.record.project_id.as_str(), c.record.id.as_str());
        }
        Ok(kept)
    }

    async fn extend_leases(
        &self,
        fences: &[Fence],
        now: Timestamp,
        lease_ms: i64,
    ) -> Result<Vec<Fence>, StoreError> {
        let client = self.client().await?;
        let expires = now.plus_millis(lease_ms).as_millis();
        let ids: Vec<&str> = fences.iter().map(|f| f.action_id.as_str()).collect();
        let attempts: Vec<i64> = fences.iter().map(|f| i64::from(f.attempt)).collect();
        let rows = query(&client, EXTEND_LEASES, &[&ids, &attempts, &expires]).await?;
        let held: std::collections::HashSet<String> =
            rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>().map_err(error)?;
        Ok(fences.iter().filter(|f| !held.contains(f.action_id.as_str())).cloned().collect())
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
        let _writing = self.inner.generation.writing();
        let mut client = self.client().await?;
        let (counts, _) =
            chunk::commit(&mut client, &self.inner.notifier, fence, now, chunk, None).await?;
        Ok(counts)
    }

    async fn commit_last_chunk(
        &self,
        fence: &Fence,
        now: Timestamp,
        chunk: ChunkCommit,
        finish: &Finishing,
    ) -> Result<(ChunkCounts, bool), StoreError> {
        let _writing = self.inner.generation.writing();
        let mut client = self.client().await?;
        chunk::commit(&mut client, &self.inner.notifier, fence, now, chunk, Some(finish)).await
    }

    async fn set_remaining_items(&self, fence: &Fence, remaining: u64) -> Result<(), StoreError> {
        let _writing = self.inner.generation.writing();
        let client = self.client().await?;
        let params: Params<'_> =
            &[&fence.action_id.as_str(), &i64::from(fence.attempt), &(remaining as i64)];
        let n = execute(&client, q::SET_REMAINING_ITEMS, params).await?;
        if n == 0 { Err(lease_lost(fence)) } else { Ok(()) }
    }

    async fn finish_actions(
        &self,
        now: Timestamp,
        finishes: &[Finishing],
    ) -> Result<Vec<Result<(), StoreError>>, StoreError> {
        let _writing = self.inner.generation.writing();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(error)?;
        // Every finish goes out at once (the server runs them in order). A stale fence
        // matches no row and writes nothing, so the transaction goes on; anything else (a
        // lost connection, a full disk) ends the whole batch.
        let ends = finishes.iter().map(|f| finish(&tx, f, now, None));
        let mut answers = Vec::with_capacity(finishes.len());
        for end in futures_util::future::join_all(ends).await {
            match end {
                Ok(project) => answers.push(Ok(project.unwrap_or_default())),
                Err(StoreError::LeaseLost(id)) => answers.push(Err(StoreError::LeaseLost(id))),
                Err(err) => return Err(err),
            }
        }
        tx.commit().await.map_err(error)?;
        Ok(finishes
            .iter()
            .zip(answers)
            .map(|(f, answer)| {
                answer.map(|project| {
                    self.inner.notifier.changed(&project, f.fence.action_id.as_str());
                })
            })
            .collect())
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
        let _writing = self.inner.generation.writing();
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

/// The claim's snapshot may have missed another node's claim of the same group committed
/// meanwhile. Under each group's lock (taken in one order, so checkers never wait on each
/// other in a cycle), after the claim's own commit, looks again: of two claims of one group
/// the later check sees the earlier claim and gives its own back (`GIVE_BACK`). Returns the
/// ids given back.
async fn serial_groups_checked(
    mut client: deadpool_postgres::Client,
    mut groups: Vec<(String, String, (String, i64))>,
    now: Timestamp,
) -> Result<Vec<String>, StoreError> {
    groups.sort();
    let tx = client.transaction().await.map_err(error)?;
    let mut given_back = Vec::new();
    for (project, group, (id, attempt)) in &groups {
        execute(&tx, LOCK_SERIAL_GROUP, &[project, group]).await?;
        if query_opt(&tx, q::OTHER_IN_PROGRESS_OF_GROUP, &[id]).await?.is_some() {
            execute(&tx, GIVE_BACK, &[id, attempt, &now.as_millis()]).await?;
            given_back.push(id.clone());
        }
    }
    tx.commit().await.map_err(error)?;
    Ok(given_back)
}

/// Ends one action inside `tx` (see `Queue::finish_actions`): the fenced update, its effect
/// and its webhook deliveries; the update and the read of the endpoints go out together. With
/// `planned` (a last chunk's done and failed counters as planned), only if the counters are
/// those (`FINISH_ACTION_AS_PLANNED`): `None` otherwise. Its project, for the change
/// notification once committed.
pub(crate) async fn finish(
    tx: &impl GenericClient,
    f: &Finishing,
    now: Timestamp,
    planned: Option<(i64, i64)>,
) -> Result<Option<String>, StoreError> {
    let status = f.result.status();
    let (id, attempt) = (f.fence.action_id.as_str(), i64::from(f.fence.attempt));
    let (result, at) = (convert::to_json(&f.result), now.as_millis());
    let end = async {
        match &planned {
            None => {
                query_opt(tx, q::FINISH_ACTION, &[&id, &attempt, &status.as_str(), &result, &at])
                    .await
            }
            Some((done, failed)) => {
                let params: Params<'_> =
                    &[&id, &attempt, &status.as_str(), &result, &at, done, failed];
                query_opt(tx, q::FINISH_ACTION_AS_PLANNED, params).await
            }
        }
    };
    let (row, endpoints) = futures_util::try_join!(end, webhooks::endpoints_of_action(tx, id))?;
    let Some(row) = row else {
        return match planned {
            Some(_) => Ok(None),
            None => Err(lease_lost(&f.fence)),
        };
    };
    let project: String = row.try_get(0).map_err(error)?;
    if let Some(effect) = &f.effect {
        campaigns::apply_effect(tx, &project, effect, status, now).await?;
    }
    webhooks::insert_deliveries(tx, &project, id, status, &endpoints, now).await?;
    Ok(Some(project))
}

#[cfg(test)]
mod tests {
    use cv_domain::{ActionKind, ActionResult, ActionStatus, RequestId, payload::OrdersImport};
    use cv_store::{ActionReads as _, NewAction, Resources as _};

    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    /// Two claims of one serial group can both commit when their snapshots race (the pick of
    /// each saw the other's action still waiting); the check after the claim gives the later
    /// one back, as it was: ENQUEUED without progress, a released lease with some.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        postgres_unconfigured,
        ignore = "PostgreSQL is not configured: set CONVEYOR_TEST_DATABASE_URL"
    )]
    async fn a_claim_that_lost_a_serial_group_race_is_given_back() {
        let url = std::env::var("CONVEYOR_TEST_DATABASE_URL").expect("CONVEYOR_TEST_DATABASE_URL");
        let schema = format!("t_{:016x}", rand::random::<u64>());
        let store = PostgresStore::connect_in_schema(&url, &schema).await.expect("connect");
        let project = store.ensure_project("default", t(0)).await.expect("project");
        let import = |at: i64| {
            let payload = OrdersImport { orders: Vec::new() };
            NewAction::new(
                ActionId::generate(),
                project.clone(),
                RequestId::generate(),
                &payload,
                1,
                t(at),
            )
            .expect("a payload")
        };
        let first = store.create_action(import(1)).await.expect("create").id;
        let second = store.create_action(import(2)).await.expect("create").id;
        let won = store.claim_batch("a", t(10), 60_000, 10).await.expect("claim");
        assert_eq!(won.len(), 1);
        assert_eq!(won[0].record.id, first);

        // The other claim, as the database holds it once both committed.
        let group = ActionKind::OrdersImport.serial_group().expect("a serial group").to_owned();
        let other = |cursor: i64| {
            let store = store.clone();
            let id = second.to_string();
            async move {
                let client = store.client().await.expect("client");
                let sql = "UPDATE async_actions SET status = 'IN_PROGRESS', attempt = attempt + 1, \
                     lease_owner = 'b', lease_expires_at = 70000, cursor = $2 WHERE id = $1 \
                     RETURNING attempt";
                let row = client.query_one(sql, &[&id, &cursor]).await.expect("race");
                row.get::<_, i64>(0)
            }
        };
        let attempt = other(0).await;
        let checked = vec![(project.to_string(), group.clone(), (second.to_string(), attempt))];
        let client = store.client().await.expect("client");
        let given_back = serial_groups_checked(client, checked, t(11)).await.expect("check");
        assert_eq!(given_back, [second.to_string()]);
        let back = store.get_action(&project, &second).await.expect("get").expect("second");
        assert_eq!(back.status, ActionStatus::Enqueued);
        let winner = store.get_action(&project, &first).await.expect("get").expect("first");
        assert_eq!(winner.status, ActionStatus::InProgress);

        // With progress made, it goes back as a released lease: IN_PROGRESS, taken up again
        // once the group is free, without counting as a lease that ran out.
        let attempt = other(3).await;
        let checked = vec![(project.to_string(), group, (second.to_string(), attempt))];
        let client = store.client().await.expect("client");
        let given_back = serial_groups_checked(client, checked, t(12)).await.expect("check");
        assert_eq!(given_back, [second.to_string()]);
        let back = store.get_action(&project, &second).await.expect("get").expect("second");
        assert_eq!(back.status, ActionStatus::InProgress);
        let done = ActionResult::count("Done.".to_owned(), 0);
        store.finish_action(&won[0].fence, t(13), &done, None).await.expect("finish");
        let next = store.claim_batch("a", t(14), 60_000, 10).await.expect("claim");
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].record.id, second);
        assert_eq!(next[0].record.cursor, 3);
        assert!(!next[0].lease_expired);
    }
}
