//! Conveyor's embedded SQLite backend: the default, single-node store.
//!
//! One writer connection (SQLite has a single writer anyway), guarded by a mutex and used from
//! `spawn_blocking`; every write is a `BEGIN IMMEDIATE` transaction, so even a second process
//! on the same file cannot interleave. A few read connections serve queries concurrently under
//! WAL. Workers are woken in-process when an action is enqueued, and followers of an action
//! (long-polls, event streams) are told in-process when a write to it commits.

mod campaigns;
mod chunk;
mod control;
mod convert;
mod db;
mod metadata_purge;
mod migrate;
mod oauth;
mod orders;
mod products;
mod queue;
mod store;
mod vouchers;
mod webhooks;

pub use db::{SqliteStore, Synchronous};
