//! The `conveyor` binary's library half: configuration, opening the store, first-start
//! bootstrap, wiring the API and the engine into one process, and the command-line client
//! of a running server (`client`). `main.rs` only parses the
//! command line and calls into here; the integration tests build the same app.

pub mod app;
pub mod bootstrap;
pub mod cli;
pub mod client;
pub mod config;
pub mod http;
pub mod store;

pub use config::Config;
