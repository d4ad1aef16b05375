//! The storage contract of Conveyor.
//!
//! [`Store`] is the one narrow interface between Conveyor and its database, in domain terms:
//! actions (the job rows, their payloads and reports), customers, products and SKUs (the
//! [`ProductStore`] supertrait), vouchers (the [`VoucherStore`] supertrait), campaigns
//! ([`CampaignStore`]), orders ([`OrderStore`]), metadata-key purges ([`MetadataPurgeStore`]),
//! cancellation and retention ([`ControlStore`]), projects and credentials, OAuth access
//! tokens ([`OAuthStore`]), and webhook endpoints with their delivery outbox ([`WebhookStore`]).
//! Two crates implement it, `cv_store_sqlite` and `cv_store_postgres`; the logic that must
//! behave the same on both (how a chunk of patches becomes rows, how list pages are cut) lives
//! here, above the SQL; the `cv_store_conformance` crate pins every behaviour on both backends.

mod campaign_store;
pub mod changes;
mod control_store;
mod error;
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

pub use campaign_store::{CampaignPage, CampaignStore};
pub use changes::{ActionChange, ActionChangeReceiver, ActionChanges};
pub use control_store::{CancelOutcome, ControlStore, cancel, cancelled_result};
pub use error::StoreError;
pub use model::{
    ActionCount, ActionRecord, ChunkCommit, ChunkCounts, ChunkItem, ClaimedAction, CommitMode,
    CustomerPage, Fence, ItemError, MetadataSchemaRecord, NewAction, ReportLine, ReportMode,
};
pub use oauth_store::{OAuthStore, TokenInsert};
pub use order_store::{OrderPage, OrderStore};
pub use paging::{ActionFilter, ActionPage};
pub use product_store::{ProductPage, ProductStore, SkuPage};
pub use purge_store::{MetadataHolder, MetadataPurgeStore};
pub use store::{Store, Wakeups};
pub use voucher_store::{VoucherPage, VoucherStore};
pub use webhook_store::{
    ClaimedDelivery, DeliveryAttempt, DeliveryFence, DeliveryOutcome, DeliveryPage, DeliveryRecord,
    NewDelivery, WebhookStore, plan_deliveries,
};
