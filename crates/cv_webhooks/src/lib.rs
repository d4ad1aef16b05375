//! Conveyor's completion webhooks: the sending half.
//!
//! The end of every action queues its deliveries in the store, in the transaction that ends
//! it (the outbox; see `cv_store::Outbox`). A [`Deliverer`], started by the `conveyor`
//! binary beside the engine on every node, claims due deliveries with a lease, POSTs each
//! event signed with its endpoint's secret ([`signature`]), records the attempt, and schedules
//! the next one with exponential backoff until [`WebhookConfig::retry_for_secs`] has passed.
//! It runs apart from the engine's workers, so a slow or dead receiver never holds up an
//! action; and since everything it knows is in the database, a restart (or another node)
//! picks up where it stopped. Delivery is at least once: the event's `id` lets receivers drop
//! a repeat. It holds only the store's [`cv_store::Outbox`] role, and the wire layer's event
//! rendering is handed to it ([`RenderEvent`]).

mod config;
mod deliverer;
mod metrics;
pub mod signature;

pub use config::WebhookConfig;
pub use deliverer::{Deliverer, DeliveryReport, RenderEvent};
pub use metrics::DeliveryMetrics;
