//! Cancellation on SQLite: `impl ControlStore for SqliteStore`.

use async_trait::async_trait;
use cv_domain::{ActionId, ActionResult, ActionStatus, ProjectId, Timestamp};
use cv_store::{ActionChange, ControlStore, StoreError, sql::control as qx};
use rusqlite::params;

use crate::convert::Cached as _;
use crate::{
    SqliteStore,
    convert::{self, error, sql},
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
        result: &ActionResult,
    ) -> Result<bool, StoreError> {
        let (owned_project, owned_id) = (project.clone(), id.clone());
        let result = convert::to_json(result);
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
                            result
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
}
