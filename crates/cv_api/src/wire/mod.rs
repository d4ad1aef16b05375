//! Voucherify's wire shapes: response DTOs built from domain records, and hand-written
//! request validation that produces Voucherify's `Property .<path> <problem>` details.

pub mod action;
pub mod campaign;
pub mod campaign_update;
pub mod campaign_voucher_import;
pub mod campaign_vouchers;
pub mod customer;
pub mod metadata_purge;
pub mod metadata_schema;
pub mod oauth;
pub mod order;
pub mod product;
pub mod schema;
pub mod validate;
pub mod voucher;
pub mod voucher_import;
pub mod webhook;
