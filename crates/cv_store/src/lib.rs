//! The storage contract of Conveyor, split by who uses it.
//!
//! Each component holds one role: the engine a [`Queue`] (claim, lease, commit chunks, finish),
//! actions their [`Inputs`] (read-only), webhook delivery the [`Outbox`], the API an
//! [`ApiStore`] (the resource traits: [`Resources`], [`ProductStore`], [`VoucherStore`],
//! [`CampaignStore`], [`OrderStore`], [`ControlStore`], [`OAuthStore`], [`WebhookStore`]);
//! all of them read actions through [`ActionReads`]. [`Store`] is all of it, for wiring, the
//! backends and their conformance suite. Chunk writes are typed by family ([`ChunkWrites`]);
//! an action's other effects ride on its finish ([`FinishEffect`]).
//!
//! Two crates implement it, `cv_store_sqlite` and `cv_store_postgres`; the logic that must
//! behave the same on both (how a chunk of patches becomes rows, how list pages are cut) lives
//! here, above the SQL; the `cv_store_conformance` crate pins every behaviour on both backends.

mod campaign_store;
pub mod changes;
mod control_store;
mod error;
mod inputs;
mod model;
mod oauth_store;
mod order_store;
mod paging;
pub mod plan;
mod product_store;
mod purge_store;
pub mod sql;
mod store;
mod voucher_store;
mod webhook_store;
mod writes;

pub use campaign_store::{CampaignPage, CampaignStore};
pub use changes::{ActionChange, ActionChangeReceiver, ActionChanges};
pub use control_store::{CancelOutcome, ControlStore, cancel};
pub use error::StoreError;
pub use inputs::Inputs;
pub use model::{
    ActionCount, ActionRecord, ChunkCommit, ChunkCounts, ClaimedAction, CommitMode, CustomerPage,
    Fence, Finishing, ItemError, MetadataSchemaRecord, NewAction, ReportLine, ReportMode,
};
pub use oauth_store::{OAuthStore, TokenInsert};
pub use order_store::{OrderPage, OrderStore};
pub use paging::{ActionFilter, ActionPage, ActionPages};
pub use product_store::{ProductPage, ProductStore, SkuPage};
pub use purge_store::{MetadataHolder, MetadataPurgeStore};
pub use store::{ActionReads, ApiStore, Queue, Resources, Store, Wakeups, claim_window};
pub use voucher_store::{VoucherPage, VoucherStore};
pub use webhook_store::{
    ClaimedDelivery, DeliveryAttempt, DeliveryFence, DeliveryOutcome, DeliveryPage, DeliveryRecord,
    NewDelivery, Outbox, WebhookStore, plan_deliveries,
};
pub use writes::{ChunkWrites, FinishEffect, Item, ProductWrites, VoucherWrites};
