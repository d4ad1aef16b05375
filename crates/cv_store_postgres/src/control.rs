//! Cancellation, the maintenance lease and retention on PostgreSQL:
//! `impl ControlStore for PostgresStore`.

use async_trait::async_trait;
use cv_domain::{ActionId, ActionStatus, ProjectId, Timestamp};
use cv_store::{ControlStore, Fence, StoreError, sql as q, sql::control as qx};

use crate::{
    PostgresStore,
    convert::error,
    db::{Params, execute, lease_lost, notify_change, query_opt},
    webhooks,
};

#[async_trait]
impl ControlStore for PostgresStore {
    async fn cancel_idle(
        &self,
        project: &ProjectId,
        id: &ActionId,
        attempt: u32,
        cursor: u64,
        now: Timestamp,
        result: serde_json::Value,
    ) -> Result<bool, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(error)?;
        let params: Params<'_> = &[
            &project.as_str(),
            &id.as_str(),
            &i64::from(attempt),
            &now.as_millis(),
            &(cursor as i64),
            &result.to_string(),
        ];
        let cancelled = execute(&tx, qx::CANCEL_IDLE, params).await? > 0;
        if cancelled {
            let (project, id) = (project.as_str(), id.as_str());
            webhooks::enqueue_deliveries(&tx, project, id, ActionStatus::Failed, now).await?;
            notify_change(&tx, self.changes_channel(), project, id).await?;
        }
        tx.commit().await.map_err(error)?;
        Ok(cancelled)
    }

    async fn flag_cancel(
        &self,
        project: &ProjectId,
        id: &ActionId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        let params: Params<'_> = &[&project.as_str(), &id.as_str(), &now.as_millis()];
        Ok(execute(&client, qx::FLAG_CANCEL, params).await? > 0)
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
