//! Cancellation, the maintenance lease and retention on SQLite: `impl ControlStore for SqliteStore`.

use async_trait::async_trait;
use cv_domain::{ActionId, ActionStatus, ProjectId, Timestamp};
use cv_store::{ActionChange, ControlStore, Fence, StoreError, sql as q, sql::control as qx};
use rusqlite::{OptionalExtension, params};

use crate::convert::Cached as _;
use crate::{
    SqliteStore,
    chunk::lease_lost,
    convert::{error, sql},
    webhooks,
};

#[async_trait]
impl ControlStore for SqliteStore {
    async fn cancel_idle(
        &self,
        project: &ProjectId,
        id: &ActionId,
        attempt: u32,
        cursor: u64,
        now: Timestamp,
        result: serde_json::Value,
    ) -> Result<bool, StoreError> {
        let (owned_project, owned_id) = (project.clone(), id.clone());
        let cancelled = self
            .write(move |tx| {
                let n = tx
                    .exec(
                        &sql(qx::CANCEL_IDLE),
                        params![
                            owned_project.as_str(),
                            owned_id.as_str(),
                            i64::from(attempt),
                            now.as_millis(),
                            cursor as i64,
                            result.to_string()
                        ],
                    )
                    .map_err(error)?;
                if n > 0 {
                    webhooks::enqueue_deliveries(
                        tx,
                        owned_project.as_str(),
                        owned_id.as_str(),
                        ActionStatus::Failed,
                        now,
                    )?;
                }
                Ok(n > 0)
            })
            .await?;
        if cancelled {
            self.inner.changes.publish(ActionChange::changed(project, id));
        }
        Ok(cancelled)
    }

    async fn flag_cancel(
        &self,
        project: &ProjectId,
        id: &ActionId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let (project, id) = (project.clone(), id.clone());
        self.write(move |tx| {
            let n = tx
                .exec(
                    &sql(qx::FLAG_CANCEL),
                    params![project.as_str(), id.as_str(), now.as_millis()],
                )
                .map_err(error)?;
            Ok(n > 0)
        })
        .await
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
