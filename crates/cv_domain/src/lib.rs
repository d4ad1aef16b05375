//! Conveyor's domain: identifiers, timestamps and the clock, the async-action vocabulary
//! (kinds, statuses, progress), the resources actions work on, OAuth tokens and scopes, and
//! webhook endpoints with the events they receive.
//! Everything here is pure: no IO (reading the wall clock aside), no async, no SQL, no HTTP.
//! The store, engine, actions and API crates all speak these types.

pub mod action;
pub mod bom;
pub mod campaign;
pub mod clock;
pub mod code_config;
pub mod customer;
pub mod ids;
pub mod metadata_schema;
pub mod oauth;
pub mod order;
pub mod payload;
pub mod product;
pub mod result;
pub mod timestamp;
pub mod voucher;
pub mod webhook;

pub use action::{ActionKind, ActionStatus, OperationStatus, Progress, UnknownKind};
pub use campaign::Campaign;
pub use clock::{Clock, ManualClock, SystemClock};
pub use customer::{Address, Customer, CustomerPatch, CustomerRecord, Metadata};
pub use ids::{
    ActionId, CustomerId, DeliveryId, OrderId, ProductId, ProjectId, RequestId, SkuId, VoucherId,
    WebhookId,
};
pub use oauth::{OAuthToken, Scopes};
pub use order::{Order, OrderItem, OrderRecord, OrderStatus};
pub use product::{Product, ProductPatch, ProductRecord, Sku, SkuPatch, SkuRecord};
pub use result::ActionResult;
pub use timestamp::{ParseTimestampError, Timestamp};
pub use voucher::{Voucher, VoucherRecord};
pub use webhook::{DeliveryStatus, WebhookEndpoint, WebhookEvent, WebhookEvents};
