//! Webhook endpoints and the delivery outbox on PostgreSQL: `impl WebhookStore for
//! PostgresStore`, and [`enqueue_deliveries`], which the transactions that end an action call.
//! The claim takes due rows `FOR UPDATE SKIP LOCKED`, so senders on several nodes never take
//! one delivery at once; the lease it writes keeps them off it while it is being sent.

use std::sync::LazyLock;

use anyhow::anyhow;
use async_trait::async_trait;
use cv_domain::{
    ActionId, ActionStatus, DeliveryId, ProjectId, Timestamp, WebhookEndpoint, WebhookEvents,
    WebhookId,
};
use cv_store::{
    ClaimedDelivery, DeliveryAttempt, DeliveryFence, DeliveryOutcome, DeliveryPage, DeliveryRecord,
    Outbox, StoreError, WebhookStore, plan_deliveries, sql::webhooks as qw,
};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use crate::{
    PostgresStore,
    convert::{error, get, parse},
    db::{Params, count, execute, query, query_opt},
};

/// Takes the due deliveries (`cv_store::due_deliveries!`) for `$1` until `$3`; `$2` now,
/// `$4` limit, skipping rows another claimer is taking. Returns their ids.
const CLAIM: &str = concat!(
    "UPDATE webhook_deliveries d SET attempts = d.attempts + 1, lease_owner = $1, \
       lease_expires_at = $3, updated_at = $2 \
     FROM (",
    cv_store::due_deliveries!(),
    " FOR UPDATE OF c SKIP LOCKED) due WHERE d.id = due.id RETURNING d.id"
);

/// The project's endpoints, locked against a concurrent delete until the action's end
/// commits (a delete waits, or went first and its endpoint is not seen).
static SELECT_PROJECT_ENDPOINTS_LOCKED: LazyLock<String> =
    LazyLock::new(|| format!("{} FOR KEY SHARE", qw::SELECT_PROJECT_ENDPOINTS));

fn events(text: &str) -> Result<WebhookEvents, StoreError> {
    WebhookEvents::parse(text).map_err(|e| StoreError::Other(anyhow!("bad stored events: {e}")))
}

fn endpoint(row: &Row) -> Result<WebhookEndpoint, StoreError> {
    Ok(WebhookEndpoint {
        id: WebhookId::from_string(get::<String>(row, 0)?),
        project_id: ProjectId::from_string(get::<String>(row, 1)?),
        target_url: get(row, 2)?,
        events: events(get(row, 3)?)?,
        secret: get(row, 4)?,
        created_at: Timestamp::from_millis(get(row, 5)?),
    })
}

/// Decodes `cv_store::sql::webhooks::DELIVERY_COLUMNS` from column 0.
fn delivery(row: &Row) -> Result<DeliveryRecord, StoreError> {
    Ok(DeliveryRecord {
        id: DeliveryId::from_string(get::<String>(row, 0)?),
        endpoint_id: WebhookId::from_string(get::<String>(row, 1)?),
        project_id: ProjectId::from_string(get::<String>(row, 2)?),
        action_id: ActionId::from_string(get::<String>(row, 3)?),
        event: parse(get(row, 4)?)?,
        status: parse(get(row, 5)?)?,
        attempts: get::<i64>(row, 6)? as u32,
        next_attempt_at: get::<Option<i64>>(row, 7)?.map(Timestamp::from_millis),
        created_at: Timestamp::from_millis(get(row, 8)?),
    })
}

/// Decodes the attempt columns of `SELECT_DELIVERY_PAGE` (from column 9); `None` for the
/// NULL row of a delivery without attempts.
fn attempt(row: &Row) -> Result<Option<DeliveryAttempt>, StoreError> {
    let Some(number) = get::<Option<i64>>(row, 9)? else {
        return Ok(None);
    };
    Ok(Some(DeliveryAttempt {
        attempt: number as u32,
        attempted_at: Timestamp::from_millis(get(row, 10)?),
        duration_ms: get::<i64>(row, 11)? as u64,
        status_code: get::<Option<i64>>(row, 12)?.map(|c| c as u16),
        error: get(row, 13)?,
    }))
}

/// The endpoints of the project of action `$1`, locked like
/// [`SELECT_PROJECT_ENDPOINTS_LOCKED`]: an action's end reads them in the same round trip as
/// its fenced update, before that update answers with the project.
const SELECT_ACTION_ENDPOINTS_LOCKED: &str = "SELECT e.id, e.events FROM webhook_endpoints e \
     WHERE e.project_id = (SELECT a.project_id FROM async_actions a WHERE a.id = $1) \
     FOR KEY SHARE OF e";

/// An endpoint's id and the events it subscribes to.
pub(crate) type Subscription = (WebhookId, WebhookEvents);

fn subscriptions(rows: &[Row]) -> Result<Vec<Subscription>, StoreError> {
    rows.iter()
        .map(|row| Ok((WebhookId::from_string(get::<String>(row, 0)?), events(get(row, 1)?)?)))
        .collect()
}

/// The endpoints of `action`'s project, locked against a concurrent delete until the
/// transaction `c` commits.
pub(crate) async fn endpoints_of_action(
    c: &impl GenericClient,
    action: &str,
) -> Result<Vec<Subscription>, StoreError> {
    subscriptions(&query(c, SELECT_ACTION_ENDPOINTS_LOCKED, &[&action]).await?)
}

/// Queues the deliveries an action of `project` ending with `status` owes, inside the
/// transaction `c` that ends it.
pub(crate) async fn enqueue_deliveries(
    c: &impl GenericClient,
    project: &str,
    action: &str,
    status: ActionStatus,
    now: Timestamp,
) -> Result<(), StoreError> {
    let endpoints = subscriptions(&query(c, &SELECT_PROJECT_ENDPOINTS_LOCKED, &[&project]).await?)?;
    insert_deliveries(c, project, action, status, &endpoints, now).await
}

/// Queues the deliveries to `endpoints` (read in the same transaction `c`) that an action of
/// `project` ending with `status` owes.
pub(crate) async fn insert_deliveries(
    c: &impl GenericClient,
    project: &str,
    action: &str,
    status: ActionStatus,
    endpoints: &[Subscription],
    now: Timestamp,
) -> Result<(), StoreError> {
    for new in plan_deliveries(status, endpoints) {
        let params: Params<'_> = &[
            &new.id.as_str(),
            &new.endpoint_id.as_str(),
            &project,
            &action,
            &new.event.as_str(),
            &now.as_millis(),
        ];
        execute(c, qw::INSERT_DELIVERY, params).await?;
    }
    Ok(())
}

#[async_trait]
impl WebhookStore for PostgresStore {
    async fn create_webhook(&self, e: &WebhookEndpoint) -> Result<(), StoreError> {
        let client = self.client().await?;
        let events = e.events.to_string();
        let params: Params<'_> = &[
            &e.id.as_str(),
            &e.project_id.as_str(),
            &e.target_url,
            &events,
            &e.secret,
            &e.created_at.as_millis(),
        ];
        execute(&client, qw::INSERT_WEBHOOK, params).await.map(|_| ())
    }

    async fn list_webhooks(&self, project: &ProjectId) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let client = self.client().await?;
        let rows = query(&client, qw::SELECT_WEBHOOKS, &[&project.as_str()]).await?;
        rows.iter().map(endpoint).collect()
    }

    async fn get_webhook(
        &self,
        project: &ProjectId,
        id: &WebhookId,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        let client = self.client().await?;
        let row =
            query_opt(&client, qw::SELECT_WEBHOOK, &[&project.as_str(), &id.as_str()]).await?;
        row.as_ref().map(endpoint).transpose()
    }

    async fn delete_webhook(
        &self,
        project: &ProjectId,
        id: &WebhookId,
    ) -> Result<bool, StoreError> {
        let client = self.client().await?;
        Ok(execute(&client, qw::DELETE_WEBHOOK, &[&project.as_str(), &id.as_str()]).await? > 0)
    }

    async fn list_deliveries(
        &self,
        project: &ProjectId,
        endpoint: &WebhookId,
        limit: u32,
        page: u32,
    ) -> Result<DeliveryPage, StoreError> {
        let client = self.client().await?;
        let offset = cv_store::sql::page_offset(limit, page);
        let (endpoint, project) = (endpoint.as_str(), project.as_str());
        let params: Params<'_> = &[&endpoint, &project, &i64::from(limit), &offset];
        let rows = query(&client, qw::SELECT_DELIVERY_PAGE, params).await?;
        let mut deliveries: Vec<(DeliveryRecord, Vec<DeliveryAttempt>)> = Vec::new();
        for row in &rows {
            let (record, attempt) = (delivery(row)?, attempt(row)?);
            match deliveries.last_mut() {
                Some((last, attempts)) if last.id == record.id => attempts.extend(attempt),
                _ => deliveries.push((record, attempt.into_iter().collect())),
            }
        }
        let total = query_opt(&client, qw::COUNT_DELIVERIES, &[&endpoint, &project]).await?;
        Ok(DeliveryPage { deliveries, total: total.as_ref().map_or(Ok(0), count)? })
    }
}

#[async_trait]
impl Outbox for PostgresStore {
    async fn claim_deliveries(
        &self,
        owner: &str,
        now: Timestamp,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(error)?;
        let lease = now.plus_millis(lease_ms).as_millis();
        let params: Params<'_> = &[&owner, &now.as_millis(), &lease, &i64::from(limit)];
        let ids = query(&tx, CLAIM, params).await?;
        let mut claimed = Vec::with_capacity(ids.len());
        for id in &ids {
            let id: &str = get(id, 0)?;
            let row = query_opt(&tx, qw::SELECT_CLAIMED_DELIVERY, &[&id])
                .await?
                .ok_or_else(|| StoreError::Other(anyhow!("claimed delivery {id} vanished")))?;
            let delivery = delivery(&row)?;
            claimed.push(ClaimedDelivery {
                fence: DeliveryFence {
                    delivery_id: delivery.id.clone(),
                    attempt: delivery.attempts,
                },
                delivery,
                target_url: get(&row, 9)?,
                secret: get(&row, 10)?,
            });
        }
        tx.commit().await.map_err(error)?;
        claimed.sort_by_key(|c| (c.delivery.next_attempt_at, c.delivery.id.clone()));
        Ok(claimed)
    }

    async fn record_delivery_attempt(
        &self,
        fence: &DeliveryFence,
        attempt: &DeliveryAttempt,
        outcome: DeliveryOutcome,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(error)?;
        let (status, next) = match outcome {
            DeliveryOutcome::Delivered => ("DELIVERED", None),
            DeliveryOutcome::RetryAt(at) => ("PENDING", Some(at.as_millis())),
            DeliveryOutcome::GiveUp => ("FAILED", None),
        };
        let id = fence.delivery_id.as_str();
        let params: Params<'_> =
            &[&id, &i64::from(fence.attempt), &status, &next, &now.as_millis()];
        if execute(&tx, qw::RECORD_DELIVERY, params).await? == 0 {
            return Err(StoreError::DeliveryClaimLost(fence.delivery_id.clone()));
        }
        let status_code = attempt.status_code.map(i64::from);
        let params: Params<'_> = &[
            &id,
            &i64::from(attempt.attempt),
            &attempt.attempted_at.as_millis(),
            &(attempt.duration_ms as i64),
            &status_code,
            &attempt.error,
        ];
        execute(&tx, qw::INSERT_ATTEMPT, params).await?;
        tx.commit().await.map_err(error)
    }

    async fn next_delivery_at(&self) -> Result<Option<Timestamp>, StoreError> {
        let client = self.client().await?;
        let row = query_opt(&client, qw::NEXT_DELIVERY_AT, &[]).await?;
        let at = row.as_ref().map(|r| get::<Option<i64>>(r, 0)).transpose()?.flatten();
        Ok(at.map(Timestamp::from_millis))
    }
}
