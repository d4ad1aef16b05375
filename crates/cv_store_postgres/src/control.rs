//! Cancellation on PostgreSQL: `impl ControlStore for PostgresStore`.

use async_trait::async_trait;
use cv_domain::{ActionId, ActionResult, ActionStatus, ProjectId, Timestamp};
use cv_store::{ControlStore, StoreError, sql::control as qx};

use crate::{
    PostgresStore,
    convert::{self, error},
    db::{Params, execute},
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
        result: &ActionResult,
    ) -> Result<bool, StoreError> {
        let _writing = self.inner.generation.writing();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(error)?;
        let params: Params<'_> = &[
            &project.as_str(),
            &id.as_str(),
            &i64::from(attempt),
            &now.as_millis(),
            &(cursor as i64),
            &convert::to_json(result),
        ];
        let cancelled = execute(&tx, qx::CANCEL_IDLE, params).await? > 0;
        if cancelled {
            let (project, id) = (project.as_str(), id.as_str());
            webhooks::enqueue_deliveries(&tx, project, id, ActionStatus::Failed, now).await?;
        }
        tx.commit().await.map_err(error)?;
        if cancelled {
            self.inner.notifier.changed(project.as_str(), id.as_str());
        }
        Ok(cancelled)
    }

    async fn flag_cancel(
        &self,
        project: &ProjectId,
        id: &ActionId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let _writing = self.inner.generation.writing();
        let client = self.client().await?;
        let params: Params<'_> = &[&project.as_str(), &id.as_str(), &now.as_millis()];
        Ok(execute(&client, qx::FLAG_CANCEL, params).await? > 0)
    }
}
