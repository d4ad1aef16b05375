//! The webhook part of the storage contract: [`WebhookStore`] (endpoints, for the API),
//! [`Outbox`] (deliveries, for the sender), and their records.
//!
//! Deliveries are an outbox. `finish_action` and `cancel_idle` insert one PENDING delivery per
//! endpoint of the project that wants the action's event, in the transaction that ends the
//! action ([`plan_deliveries`] decides which), so an action never ends without its deliveries
//! and a rolled-back end leaves none. A sender claims due deliveries with a lease, POSTs them
//! outside any transaction, and records each attempt fenced on the claim, like an action's
//! chunk: a holder whose lease passed writes nothing.

use async_trait::async_trait;
use cv_domain::{
    ActionId, DeliveryId, DeliveryStatus, ProjectId, Timestamp, WebhookEndpoint, WebhookEvent,
    WebhookId,
};

use crate::StoreError;

/// One event's delivery to one endpoint, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// `whs_…`: the event's id at this endpoint, the same on every attempt.
    pub id: DeliveryId,
    /// The endpoint it goes to.
    pub endpoint_id: WebhookId,
    /// The project of the endpoint and the action.
    pub project_id: ProjectId,
    /// The action that finished.
    pub action_id: ActionId,
    /// What happened to it.
    pub event: WebhookEvent,
    /// Where the delivery stands.
    pub status: DeliveryStatus,
    /// How many times it was claimed for sending (the fence of the latest claim).
    pub attempts: u32,
    /// When it may be sent next; `None` once delivered or failed.
    pub next_attempt_at: Option<Timestamp>,
    /// When the action finished (the event's time).
    pub created_at: Timestamp,
}

/// One try at sending a delivery, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// The claim it was made under (1 for the first).
    pub attempt: u32,
    /// When the request was sent.
    pub attempted_at: Timestamp,
    /// How long the endpoint took to answer (or to fail), in milliseconds.
    pub duration_ms: u64,
    /// The HTTP status the endpoint answered, if it answered.
    pub status_code: Option<u16>,
    /// Why the attempt did not deliver (a non-2xx status, a timeout, a refused connection);
    /// `None` when it delivered.
    pub error: Option<String>,
}

/// The right to record an attempt of one delivery: its id and the claim that took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryFence {
    /// The delivery.
    pub delivery_id: DeliveryId,
    /// The claim number ([`DeliveryRecord::attempts`] after the claim).
    pub attempt: u32,
}

/// A delivery a sender has claimed, with what it needs to send it (`Debug` does not show the
/// secret).
#[derive(Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    /// The delivery after the claim.
    pub delivery: DeliveryRecord,
    /// The fence of this claim.
    pub fence: DeliveryFence,
    /// Where to POST it.
    pub target_url: String,
    /// The endpoint's signing secret.
    pub secret: String,
}

impl std::fmt::Debug for ClaimedDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimedDelivery")
            .field("delivery", &self.delivery)
            .field("fence", &self.fence)
            .field("target_url", &self.target_url)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// What an attempt leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The endpoint accepted it: DELIVERED, never sent again.
    Delivered,
    /// Try again, not before this time.
    RetryAt(Timestamp),
    /// The retry period is over: FAILED, never sent again.
    GiveUp,
}

/// A page of an endpoint's deliveries, each with its attempts in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryPage {
    /// Newest first.
    pub deliveries: Vec<(DeliveryRecord, Vec<DeliveryAttempt>)>,
    /// How many deliveries the endpoint has in all.
    pub total: u64,
}

/// A delivery to insert with the end of an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// Its new id.
    pub id: DeliveryId,
    /// The endpoint it goes to.
    pub endpoint_id: WebhookId,
    /// The event.
    pub event: WebhookEvent,
}

/// The deliveries an action ending with `status` owes: one per endpoint (given as id and its
/// stored event list) that wants the status's event, with fresh ids. Both backends call this
/// inside the transaction that ends the action.
pub fn plan_deliveries(
    status: cv_domain::ActionStatus,
    endpoints: &[(WebhookId, cv_domain::WebhookEvents)],
) -> Vec<NewDelivery> {
    let Some(event) = WebhookEvent::for_status(status) else {
        return Vec::new();
    };
    endpoints
        .iter()
        .filter(|(_, events)| events.contains(event))
        .map(|(id, _)| NewDelivery { id: DeliveryId::generate(), endpoint_id: id.clone(), event })
        .collect()
}

/// Webhook endpoints and their deliveries, as the API manages and shows them. Each call is one
/// short transaction.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Stores a new endpoint.
    async fn create_webhook(&self, endpoint: &WebhookEndpoint) -> Result<(), StoreError>;

    /// The project's endpoints, oldest first.
    async fn list_webhooks(&self, project: &ProjectId) -> Result<Vec<WebhookEndpoint>, StoreError>;

    /// One endpoint of the project.
    async fn get_webhook(
        &self,
        project: &ProjectId,
        id: &WebhookId,
    ) -> Result<Option<WebhookEndpoint>, StoreError>;

    /// Deletes an endpoint of the project with its deliveries (pending ones are not sent);
    /// whether it existed.
    async fn delete_webhook(&self, project: &ProjectId, id: &WebhookId)
    -> Result<bool, StoreError>;

    /// A page (1-based) of the deliveries of one endpoint of the project, newest first, with
    /// their attempts; an endpoint of another project has none.
    async fn list_deliveries(
        &self,
        project: &ProjectId,
        endpoint: &WebhookId,
        limit: u32,
        page: u32,
    ) -> Result<DeliveryPage, StoreError>;
}

/// Webhook delivery's role: the outbox of deliveries that finished actions queued, claimed
/// with a lease and settled one attempt at a time, and the actions they are about.
#[async_trait]
pub trait Outbox: crate::ActionReads {
    /// Claims up to `limit` deliveries due at `now` (PENDING, `next_attempt_at <= now`, not
    /// held by a live lease), earliest first: increments their `attempts` and leases them to
    /// `owner` until `now + lease_ms`. Concurrent claimers never get the same delivery.
    async fn claim_deliveries(
        &self,
        owner: &str,
        now: Timestamp,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>, StoreError>;

    /// Records an attempt and its outcome in one transaction, ending the lease. Fenced:
    /// [`StoreError::DeliveryClaimLost`] (and nothing written) when the delivery was claimed again,
    /// has ended, or is gone.
    async fn record_delivery_attempt(
        &self,
        fence: &DeliveryFence,
        attempt: &DeliveryAttempt,
        outcome: DeliveryOutcome,
        now: Timestamp,
    ) -> Result<(), StoreError>;

    /// The earliest time a PENDING delivery can be claimed (its next attempt, or the end of
    /// the lease holding it); `None` when nothing is pending.
    async fn next_delivery_at(&self) -> Result<Option<Timestamp>, StoreError>;
}
