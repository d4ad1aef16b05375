//! Webhook endpoints and the delivery outbox on SQLite: `impl WebhookStore for SqliteStore`,
//! and [`enqueue_deliveries`], which the transactions that end an action call. The single
//! writer makes the claim atomic: no two claimers can take one delivery.

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
use rusqlite::{OptionalExtension, Row, Transaction, params};

use crate::convert::Cached as _;
use crate::{
    SqliteStore,
    convert::{error, sql},
};

/// Takes the due deliveries (`cv_store::due_deliveries!`) for `?1` until `?3`; `?2` now,
/// `?4` limit. Returns their ids.
const CLAIM: &str = concat!(
    "UPDATE webhook_deliveries SET attempts = attempts + 1, lease_owner = $1, \
       lease_expires_at = $3, updated_at = $2 \
     WHERE id IN (",
    cv_store::due_deliveries!(),
    ") RETURNING id"
);

fn parse<T: std::str::FromStr>(text: String) -> rusqlite::Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>().map_err(|e| {
        rusqlite::Error::ToSqlConversionFailure(anyhow!("bad stored value: {e}").into())
    })
}

fn endpoint(row: &Row<'_>) -> rusqlite::Result<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        id: WebhookId::from_string(row.get::<_, String>(0)?),
        project_id: ProjectId::from_string(row.get::<_, String>(1)?),
        target_url: row.get(2)?,
        events: WebhookEvents::parse(&row.get::<_, String>(3)?).map_err(|e| {
            rusqlite::Error::ToSqlConversionFailure(anyhow!("bad stored events: {e}").into())
        })?,
        secret: row.get(4)?,
        created_at: Timestamp::from_millis(row.get(5)?),
    })
}

/// Decodes `cv_store::sql::webhooks::DELIVERY_COLUMNS` from column 0.
fn delivery(row: &Row<'_>) -> rusqlite::Result<DeliveryRecord> {
    Ok(DeliveryRecord {
        id: DeliveryId::from_string(row.get::<_, String>(0)?),
        endpoint_id: WebhookId::from_string(row.get::<_, String>(1)?),
        project_id: ProjectId::from_string(row.get::<_, String>(2)?),
        action_id: ActionId::from_string(row.get::<_, String>(3)?),
        event: parse(row.get(4)?)?,
        status: parse(row.get(5)?)?,
        attempts: row.get::<_, i64>(6)? as u32,
        next_attempt_at: row.get::<_, Option<i64>>(7)?.map(Timestamp::from_millis),
        created_at: Timestamp::from_millis(row.get(8)?),
    })
}

/// Decodes the attempt columns of `SELECT_DELIVERY_PAGE` (from column 9); `None` for the
/// NULL row of a delivery without attempts.
fn attempt(row: &Row<'_>) -> rusqlite::Result<Option<DeliveryAttempt>> {
    let Some(number) = row.get::<_, Option<i64>>(9)? else {
        return Ok(None);
    };
    Ok(Some(DeliveryAttempt {
        attempt: number as u32,
        attempted_at: Timestamp::from_millis(row.get(10)?),
        duration_ms: row.get::<_, i64>(11)? as u64,
        status_code: row.get::<_, Option<i64>>(12)?.map(|c| c as u16),
        error: row.get(13)?,
    }))
}

/// Queues the deliveries an action of `project` ending with `status` owes, inside the
/// transaction that ends it.
pub(crate) fn enqueue_deliveries(
    tx: &Transaction<'_>,
    project: &str,
    action: &str,
    status: ActionStatus,
    now: Timestamp,
) -> Result<(), StoreError> {
    let endpoints = {
        let mut stmt = tx.prepare_cached(&sql(qw::SELECT_PROJECT_ENDPOINTS)).map_err(error)?;
        let rows = stmt
            .query_map([project], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(error)?;
        let mut endpoints = Vec::new();
        for row in rows {
            let (id, events) = row.map_err(error)?;
            let events =
                WebhookEvents::parse(&events).map_err(|e| StoreError::Other(anyhow!(e)))?;
            endpoints.push((WebhookId::from_string(id), events));
        }
        endpoints
    };
    for new in plan_deliveries(status, &endpoints) {
        tx.exec(
            &sql(qw::INSERT_DELIVERY),
            params![
                new.id.as_str(),
                new.endpoint_id.as_str(),
                project,
                action,
                new.event.as_str(),
                now.as_millis()
            ],
        )
        .map_err(error)?;
    }
    Ok(())
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn create_webhook(&self, endpoint: &WebhookEndpoint) -> Result<(), StoreError> {
        let e = endpoint.clone();
        self.write(move |tx| {
            tx.exec(
                &sql(qw::INSERT_WEBHOOK),
                params![
                    e.id.as_str(),
                    e.project_id.as_str(),
                    e.target_url,
                    e.events.to_string(),
                    e.secret,
                    e.created_at.as_millis()
                ],
            )
            .map_err(error)?;
            Ok(())
        })
        .await
    }

    async fn list_webhooks(&self, project: &ProjectId) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let project = project.clone();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&sql(qw::SELECT_WEBHOOKS))?;
            stmt.query_map([project.as_str()], endpoint)?.collect()
        })
        .await
    }

    async fn get_webhook(
        &self,
        project: &ProjectId,
        id: &WebhookId,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        let (project, id) = (project.clone(), id.clone());
        self.read(move |c| {
            c.row(&sql(qw::SELECT_WEBHOOK), params![project.as_str(), id.as_str()], endpoint)
                .optional()
        })
        .await
    }

    async fn delete_webhook(
        &self,
        project: &ProjectId,
        id: &WebhookId,
    ) -> Result<bool, StoreError> {
        let (project, id) = (project.clone(), id.clone());
        self.write(move |tx| {
            let n = tx
                .exec(&sql(qw::DELETE_WEBHOOK), params![project.as_str(), id.as_str()])
                .map_err(error)?;
            Ok(n > 0)
        })
        .await
    }

    async fn list_deliveries(
        &self,
        project: &ProjectId,
        endpoint: &WebhookId,
        limit: u32,
        page: u32,
    ) -> Result<DeliveryPage, StoreError> {
        let (project, endpoint) = (project.clone(), endpoint.clone());
        self.read(move |c| {
            let offset = cv_store::sql::page_offset(limit, page);
            let mut stmt = c.prepare_cached(&sql(qw::SELECT_DELIVERY_PAGE))?;
            let args = params![endpoint.as_str(), project.as_str(), i64::from(limit), offset];
            let rows = stmt.query_map(args, |r| Ok((delivery(r)?, attempt(r)?)))?;
            let mut deliveries: Vec<(DeliveryRecord, Vec<DeliveryAttempt>)> = Vec::new();
            for row in rows {
                let (record, attempt) = row?;
                match deliveries.last_mut() {
                    Some((last, attempts)) if last.id == record.id => attempts.extend(attempt),
                    _ => deliveries.push((record, attempt.into_iter().collect())),
                }
            }
            let total: i64 = c.row(
                &sql(qw::COUNT_DELIVERIES),
                params![endpoint.as_str(), project.as_str()],
                |r| r.get(0),
            )?;
            Ok(DeliveryPage { deliveries, total: total as u64 })
        })
        .await
    }
}

#[async_trait]
impl Outbox for SqliteStore {
    async fn claim_deliveries(
        &self,
        owner: &str,
        now: Timestamp,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let owner = owner.to_owned();
        self.write(move |tx| {
            let lease = now.plus_millis(lease_ms).as_millis();
            let ids = {
                let mut stmt = tx.prepare_cached(&sql(CLAIM)).map_err(error)?;
                let rows = stmt
                    .query_map(params![owner, now.as_millis(), lease, i64::from(limit)], |r| {
                        r.get::<_, String>(0)
                    })
                    .map_err(error)?;
                rows.collect::<rusqlite::Result<Vec<_>>>().map_err(error)?
            };
            let mut claimed = Vec::with_capacity(ids.len());
            for id in ids {
                let item = tx
                    .row(&sql(qw::SELECT_CLAIMED_DELIVERY), [&id], |r| {
                        let delivery = delivery(r)?;
                        Ok(ClaimedDelivery {
                            fence: DeliveryFence {
                                delivery_id: delivery.id.clone(),
                                attempt: delivery.attempts,
                            },
                            delivery,
                            target_url: r.get(9)?,
                            secret: r.get(10)?,
                        })
                    })
                    .map_err(error)?;
                claimed.push(item);
            }
            claimed.sort_by_key(|c| (c.delivery.next_attempt_at, c.delivery.id.clone()));
            Ok(claimed)
        })
        .await
    }

    async fn record_delivery_attempt(
        &self,
        fence: &DeliveryFence,
        attempt: &DeliveryAttempt,
        outcome: DeliveryOutcome,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (fence, attempt) = (fence.clone(), attempt.clone());
        let (status, next) = outcome_columns(outcome);
        self.write(move |tx| {
            let n = tx
                .exec(
                    &sql(qw::RECORD_DELIVERY),
                    params![
                        fence.delivery_id.as_str(),
                        i64::from(fence.attempt),
                        status,
                        next,
                        now.as_millis()
                    ],
                )
                .map_err(error)?;
            if n == 0 {
                return Err(StoreError::DeliveryClaimLost(fence.delivery_id.clone()));
            }
            tx.exec(
                &sql(qw::INSERT_ATTEMPT),
                params![
                    fence.delivery_id.as_str(),
                    i64::from(attempt.attempt),
                    attempt.attempted_at.as_millis(),
                    attempt.duration_ms as i64,
                    attempt.status_code.map(i64::from),
                    attempt.error
                ],
            )
            .map_err(error)?;
            Ok(())
        })
        .await
    }

    async fn next_delivery_at(&self) -> Result<Option<Timestamp>, StoreError> {
        self.read(|c| {
            c.row(&sql(qw::NEXT_DELIVERY_AT), [], |r| r.get::<_, Option<i64>>(0))
                .map(|at| at.map(Timestamp::from_millis))
        })
        .await
    }
}

/// The status and next attempt an outcome stores.
fn outcome_columns(outcome: DeliveryOutcome) -> (&'static str, Option<i64>) {
    match outcome {
        DeliveryOutcome::Delivered => ("DELIVERED", None),
        DeliveryOutcome::RetryAt(at) => ("PENDING", Some(at.as_millis())),
        DeliveryOutcome::GiveUp => ("FAILED", None),
    }
}
