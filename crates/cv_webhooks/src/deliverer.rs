use std::{sync::Arc, time::Instant};

use cv_domain::{Clock, SystemClock, Timestamp, ids::random_secret};
use cv_store::{
    ActionRecord, ClaimedDelivery, DeliveryAttempt, DeliveryOutcome, DeliveryRecord, Outbox,
    StoreError,
};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::{DeliveryMetrics, WebhookConfig, signature};

/// What one [`Deliverer::deliver_due`] pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Deliveries the endpoint accepted.
    pub delivered: usize,
    /// Failed attempts that will be retried.
    pub retrying: usize,
    /// Failed attempts after which the retry period was over: the delivery ended FAILED.
    pub failed: usize,
    /// Claims that could not be recorded: the delivery was claimed again after the lease
    /// ran out, its endpoint or action was deleted meanwhile, or the database failed (the
    /// delivery is then sent again once its lease is over).
    pub lost: usize,
}

impl DeliveryReport {
    /// How many claimed deliveries the pass handled.
    pub fn claimed(&self) -> usize {
        self.delivered + self.retrying + self.failed + self.lost
    }

    fn add(&mut self, batch: &DeliveryReport) {
        self.delivered += batch.delivered;
        self.retrying += batch.retrying;
        self.failed += batch.failed;
        self.lost += batch.lost;
    }
}

/// Writes the JSON body of `delivery`'s event about `action`, report links made absolute
/// under the base URL given. The wire layer owns the shape (`cv_api::wire::webhook::event_body`);
/// wiring passes it in, so delivery needs no HTTP server.
pub type RenderEvent = fn(
    delivery: &DeliveryRecord,
    action: &ActionRecord,
    base_url: &str,
) -> serde_json::Result<Vec<u8>>;

/// The delivery loop of one process. Cheap to clone.
#[derive(Clone)]
pub struct Deliverer {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Outbox>,
    /// Writes each event's body.
    render: RenderEvent,
    config: WebhookConfig,
    clock: Arc<dyn Clock>,
    client: reqwest::Client,
    /// Where report links in the events point (the API's public URL).
    base_url: String,
    /// The lease owner written by this deliverer's claims.
    owner: String,
    /// What the passes count, for `/metrics`.
    metrics: DeliveryMetrics,
}

impl Deliverer {
    /// A deliverer on the wall clock, counting into `metrics`; report links in events are
    /// made absolute under `base_url`.
    pub fn new(
        store: Arc<dyn Outbox>,
        render: RenderEvent,
        config: WebhookConfig,
        base_url: &str,
        metrics: DeliveryMetrics,
    ) -> anyhow::Result<Self> {
        Self::with_clock(store, render, config, base_url, Arc::new(SystemClock), metrics)
    }

    /// A deliverer reading the time from `clock` (tests pass their manual clock).
    pub fn with_clock(
        store: Arc<dyn Outbox>,
        render: RenderEvent,
        config: WebhookConfig,
        base_url: &str,
        clock: Arc<dyn Clock>,
        metrics: DeliveryMetrics,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout())
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Conveyor-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let owner = format!("webhooks-{}-{}", std::process::id(), random_secret(8));
        let base_url = base_url.trim_end_matches('/').to_owned();
        let inner = Inner { store, render, config, clock, client, base_url, owner, metrics };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Sends every delivery due now, up to `concurrency` at once, and records each attempt:
    /// one pass, for tests to drive delivery step by step on their clock. Reads (never
    /// writes) when nothing is due.
    pub async fn deliver_due(&self) -> Result<DeliveryReport, StoreError> {
        self.pass().await.map(|(report, _)| report)
    }

    /// [`Deliverer::deliver_due`], and when the next delivery falls due after it.
    async fn pass(&self) -> Result<(DeliveryReport, Option<Timestamp>), StoreError> {
        let inner = &self.inner;
        let mut report = DeliveryReport::default();
        loop {
            let now = inner.clock.now();
            let next = inner.store.next_delivery_at().await?;
            if next.is_none_or(|at| at > now) {
                return Ok((report, next));
            }
            let limit = inner.config.concurrency.max(1);
            let claimed = inner
                .store
                .claim_deliveries(&inner.owner, now, inner.config.lease_ms(), limit)
                .await?;
            let full = claimed.len() as u32 == limit;
            let sent = futures_util::future::join_all(claimed.into_iter().map(|c| self.deliver(c)));
            let mut batch = DeliveryReport::default();
            for outcome in sent.await {
                match outcome {
                    Sent::Recorded(DeliveryOutcome::Delivered) => batch.delivered += 1,
                    Sent::Recorded(DeliveryOutcome::RetryAt(_)) => batch.retrying += 1,
                    Sent::Recorded(DeliveryOutcome::GiveUp) => batch.failed += 1,
                    Sent::Lost => batch.lost += 1,
                }
            }
            inner.metrics.record(&batch);
            report.add(&batch);
            // A full batch may have left more due behind: go on. Otherwise what is due now is
            // the next pass's (a delivery whose retry falls due at once must not be sent twice
            // in one pass).
            if !full {
                return Ok((report, inner.store.next_delivery_at().await?));
            }
        }
    }

    /// Delivers until `shutdown`: a pass whenever an action changes (its end may have queued
    /// deliveries), when the next retry falls due, and at least every `poll_interval_ms`. The
    /// sends in flight finish (each within `timeout_ms`) before it returns.
    pub async fn run(&self, shutdown: CancellationToken) {
        let inner = &self.inner;
        info!(message = "Webhook delivery started.", owner = %inner.owner);
        let mut changes = inner.store.action_changes().subscribe();
        while !shutdown.is_cancelled() {
            let next = match self.pass().await {
                Ok((_, next)) => next,
                Err(err) => {
                    warn!(message = "Webhook delivery pass failed; trying again later.", %err);
                    None
                }
            };
            let poll = inner.config.poll_interval();
            let wait = next.map_or(poll, |at| {
                let ms = (at.as_millis() - inner.clock.now().as_millis()).max(10) as u64;
                poll.min(std::time::Duration::from_millis(ms))
            });
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                change = changes.recv() => match change {
                    // Every change is a reason to look (the end of an action queues its
                    // deliveries); those that came meanwhile are covered by the same look.
                    Some(_) => { changes.skip_waiting(); }
                    None => tokio::time::sleep(wait).await,
                },
                () = shutdown.cancelled() => {}
            }
        }
        debug!(message = "Webhook delivery stopped.", owner = %inner.owner);
    }

    /// Sends one claimed delivery and records the attempt.
    async fn deliver(&self, claimed: ClaimedDelivery) -> Sent {
        let ClaimedDelivery { delivery, fence, target_url, secret } = claimed;
        let Some(body) = self.event(&delivery).await else {
            return Sent::Lost;
        };
        let attempt = self.post(&target_url, &secret, &delivery, fence.attempt, body).await;
        let outcome = self.outcome(delivery.created_at, &attempt);
        match &attempt.error {
            None => debug!(message = "Webhook delivered.", delivery = %delivery.id,
                webhook = %delivery.endpoint_id, attempt = fence.attempt),
            Some(error) => warn!(message = "Webhook attempt failed.", delivery = %delivery.id,
                webhook = %delivery.endpoint_id, attempt = fence.attempt, %error,
                gave_up = outcome == DeliveryOutcome::GiveUp),
        }
        let now = self.inner.clock.now();
        match self.inner.store.record_delivery_attempt(&fence, &attempt, outcome, now).await {
            Ok(()) => Sent::Recorded(outcome),
            Err(StoreError::DeliveryClaimLost(_)) => Sent::Lost,
            Err(err) => {
                // The lease runs out and another pass sends it again: at least once.
                warn!(message = "Webhook attempt could not be recorded.", delivery = %delivery.id, %err);
                Sent::Lost
            }
        }
    }

    /// The event's body; `None` when the action is gone (pruned meanwhile: its deliveries
    /// went with it) or cannot be read now (the lease runs out and it is tried again).
    async fn event(&self, delivery: &DeliveryRecord) -> Option<Vec<u8>> {
        let inner = &self.inner;
        let action = match inner.store.get_action(&delivery.project_id, &delivery.action_id).await {
            Ok(action) => action?,
            Err(err) => {
                warn!(message = "Webhook event could not be read.", delivery = %delivery.id, %err);
                return None;
            }
        };
        (inner.render)(delivery, &action, &inner.base_url)
            .inspect_err(|err| warn!(message = "Webhook event could not be encoded.", %err))
            .ok()
    }

    /// POSTs `body`, signed, to `target_url`: the attempt as it went.
    async fn post(
        &self,
        target_url: &str,
        secret: &str,
        delivery: &DeliveryRecord,
        attempt: u32,
        body: Vec<u8>,
    ) -> DeliveryAttempt {
        let attempted_at = self.inner.clock.now();
        let started = Instant::now();
        let request = self
            .inner
            .client
            .post(target_url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(signature::SIGNATURE_HEADER, signature::sign(secret, &body))
            .header("X-Conveyor-Delivery", delivery.id.as_str())
            .header("X-Conveyor-Attempt", attempt.to_string())
            .body(body);
        let (status_code, error) = match request.send().await {
            Ok(response) => {
                let status = response.status();
                (Some(status.as_u16()), (!status.is_success()).then(|| format!("HTTP {status}")))
            }
            Err(err) => (None, Some(describe(&err))),
        };
        let duration_ms = started.elapsed().as_millis() as u64;
        DeliveryAttempt { attempt, attempted_at, duration_ms, status_code, error }
    }

    /// Delivered on a 2xx; else retried after the backoff delay, unless that falls past the
    /// retry period counted from the event.
    fn outcome(&self, event_at: Timestamp, attempt: &DeliveryAttempt) -> DeliveryOutcome {
        if attempt.error.is_none() {
            return DeliveryOutcome::Delivered;
        }
        let config = &self.inner.config;
        let delay = config.retry_delay(attempt.attempt, rand::random::<f64>());
        let next = self.inner.clock.now().plus_millis(delay.as_millis() as i64);
        let deadline = event_at.plus_millis((config.retry_for_secs as i64).saturating_mul(1_000));
        if next > deadline { DeliveryOutcome::GiveUp } else { DeliveryOutcome::RetryAt(next) }
    }
}

/// What became of one claimed delivery.
enum Sent {
    Recorded(DeliveryOutcome),
    Lost,
}

/// A transport error in words, with its causes (`connection refused`), never the URL (it
/// may carry credentials).
fn describe(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "timed out".to_owned();
    }
    let mut text =
        if err.is_connect() { "connection failed".to_owned() } else { "request failed".to_owned() };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !cause_text.is_empty() && !text.ends_with(&cause_text) {
            text = format!("{text}: {cause_text}");
        }
        source = cause.source();
    }
    text
}
