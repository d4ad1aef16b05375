//! Completion webhooks: the endpoints a project registers, the events they receive, and where
//! one delivery of an event stands.
//!
//! An action that ends DONE raises `async_action.done`, one that ends FAILED (cancellation
//! included) `async_action.failed`; each endpoint whose `events` hold that type gets one
//! delivery of it. The names follow Voucherify's lowercase, dotted webhook event names
//! (`campaign.vouchers.generation.completed`), with the action's own two final statuses.

use std::{fmt, str::FromStr};

use crate::{ActionStatus, ProjectId, Timestamp, WebhookId};

/// What a webhook endpoint can be told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WebhookEvent {
    /// `async_action.done`: an action ended DONE.
    AsyncActionDone,
    /// `async_action.failed`: an action ended FAILED (including a cancelled one).
    AsyncActionFailed,
}

impl WebhookEvent {
    /// Every event type, in the order the API lists them.
    pub const ALL: [WebhookEvent; 2] =
        [WebhookEvent::AsyncActionDone, WebhookEvent::AsyncActionFailed];

    /// The wire name, e.g. `async_action.done`.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::AsyncActionDone => "async_action.done",
            WebhookEvent::AsyncActionFailed => "async_action.failed",
        }
    }

    /// The event an action raises when it reaches `status`; none for an unfinished status.
    pub fn for_status(status: ActionStatus) -> Option<Self> {
        match status {
            ActionStatus::Done => Some(WebhookEvent::AsyncActionDone),
            ActionStatus::Failed => Some(WebhookEvent::AsyncActionFailed),
            ActionStatus::Enqueued | ActionStatus::InProgress => None,
        }
    }
}

impl fmt::Display for WebhookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for WebhookEvent {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WebhookEvent::ALL
            .into_iter()
            .find(|event| event.as_str() == s)
            .ok_or_else(|| format!("unknown webhook event {s:?}"))
    }
}

/// The event types one endpoint receives: a non-empty set, kept in [`WebhookEvent::ALL`]
/// order and stored as their names separated by spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvents(Vec<WebhookEvent>);

impl WebhookEvents {
    /// Every event type (what an endpoint created without `events` receives).
    pub fn all() -> Self {
        Self(WebhookEvent::ALL.to_vec())
    }

    /// The set of `events`, repeats dropped; `None` when it is empty.
    pub fn of(events: impl IntoIterator<Item = WebhookEvent>) -> Option<Self> {
        let mut events: Vec<_> = events.into_iter().collect();
        events.sort();
        events.dedup();
        (!events.is_empty()).then_some(Self(events))
    }

    /// Reads the stored form (names separated by spaces).
    pub fn parse(stored: &str) -> Result<Self, String> {
        let events = stored.split_whitespace().map(str::parse).collect::<Result<Vec<_>, _>>()?;
        Self::of(events).ok_or_else(|| "no webhook event".to_owned())
    }

    /// Whether `event` is in the set.
    pub fn contains(&self, event: WebhookEvent) -> bool {
        self.0.contains(&event)
    }

    /// The events, in [`WebhookEvent::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = WebhookEvent> + '_ {
        self.0.iter().copied()
    }
}

impl fmt::Display for WebhookEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.0.iter().map(|e| e.as_str()).collect();
        f.write_str(&names.join(" "))
    }
}

/// A project's webhook endpoint: where its events are POSTed, which ones, and the secret
/// their signatures are made with (`Debug` does not show it).
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    /// `wh_…`.
    pub id: WebhookId,
    /// The owning project.
    pub project_id: ProjectId,
    /// An `http` or `https` URL.
    pub target_url: String,
    /// The event types it receives.
    pub events: WebhookEvents,
    /// The HMAC-SHA256 key of the `X-Voucherify-Signature` header. Shown to the client once,
    /// when the endpoint is created.
    pub secret: String,
    /// When it was registered.
    pub created_at: Timestamp,
}

impl fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("id", &self.id)
            .field("project_id", &self.project_id)
            .field("target_url", &self.target_url)
            .field("events", &self.events)
            .field("secret", &"<redacted>")
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// Where one delivery (one event to one endpoint) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Not yet accepted: waiting for its next attempt.
    Pending,
    /// The endpoint answered an attempt with a 2xx status.
    Delivered,
    /// Every attempt within the retry period failed; no more will be made.
    Failed,
}

impl DeliveryStatus {
    /// The stored and wire name: `PENDING`, `DELIVERED`, `FAILED`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "PENDING",
            DeliveryStatus::Delivered => "DELIVERED",
            DeliveryStatus::Failed => "FAILED",
        }
    }
}

impl FromStr for DeliveryStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "PENDING" => Ok(DeliveryStatus::Pending),
            "DELIVERED" => Ok(DeliveryStatus::Delivered),
            "FAILED" => Ok(DeliveryStatus::Failed),
            other => Err(format!("unknown delivery status {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_final_statuses_raise_events() {
        assert_eq!(
            WebhookEvent::for_status(ActionStatus::Done),
            Some(WebhookEvent::AsyncActionDone)
        );
        assert_eq!(
            WebhookEvent::for_status(ActionStatus::Failed),
            Some(WebhookEvent::AsyncActionFailed)
        );
        assert_eq!(WebhookEvent::for_status(ActionStatus::Enqueued), None);
        assert_eq!(WebhookEvent::for_status(ActionStatus::InProgress), None);
    }

    #[test]
    fn event_sets_round_trip_in_a_fixed_order_without_repeats() {
        let set = WebhookEvents::of([
            WebhookEvent::AsyncActionFailed,
            WebhookEvent::AsyncActionDone,
            WebhookEvent::AsyncActionFailed,
        ])
        .expect("non-empty");
        assert_eq!(set.to_string(), "async_action.done async_action.failed");
        assert_eq!(WebhookEvents::parse(&set.to_string()), Ok(set));
        assert_eq!(WebhookEvents::all().to_string(), "async_action.done async_action.failed");
        let failed = WebhookEvents::parse("async_action.failed").expect("parse");
        assert!(failed.contains(WebhookEvent::AsyncActionFailed));
        assert!(!failed.contains(WebhookEvent::AsyncActionDone));
        assert!(WebhookEvents::of([]).is_none());
        assert!(WebhookEvents::parse("").is_err());
        assert!(WebhookEvents::parse("async_action.done voucher.created").is_err());
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let endpoint = WebhookEndpoint {
            id: WebhookId::generate(),
            project_id: ProjectId::from_string("proj_1"),
            target_url: "http://h/".to_owned(),
            events: WebhookEvents::all(),
            secret: "do-not-print".to_owned(),
            created_at: Timestamp::from_millis(0),
        };
        let shown = format!("{endpoint:?}");
        assert!(shown.contains("http://h/") && !shown.contains("do-not-print"), "{shown}");
    }

    #[test]
    fn delivery_statuses_round_trip() {
        for status in [DeliveryStatus::Pending, DeliveryStatus::Delivered, DeliveryStatus::Failed] {
            assert_eq!(status.as_str().parse(), Ok(status));
        }
        assert!("DONE".parse::<DeliveryStatus>().is_err());
    }
}
