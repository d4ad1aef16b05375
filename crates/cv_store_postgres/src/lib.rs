//! Conveyor's PostgreSQL backend: the store for multi-node deployments.
//!
//! A pool of connections serves every call; each call is one short transaction. Workers claim
//! actions with `FOR UPDATE SKIP LOCKED`, so any number of nodes can poll one database without
//! handing an action out twice, and every later write is fenced by the claim's attempt.
//! Enqueuing an action sends a `NOTIFY`; one dedicated connection per store `LISTEN`s and
//! wakes the local workers, whichever node created the action. Every committed change to an
//! action row (creation, claim, chunk, end, cancel) sends one on a second channel, which the
//! same connection hears and publishes to the store's `ActionChanges`, so followers of an
//! action on any node learn of a chunk committed on any other.

mod campaigns;
mod chunk;
mod control;
mod convert;
mod db;
mod generation;
mod listen;
mod metadata_purge;
mod migrate;
mod notify;
mod oauth;
mod orders;
mod products;
mod queue;
mod statistics;
mod store;
mod vouchers;
mod webhooks;

pub use store::PostgresStore;
