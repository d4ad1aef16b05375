//! Conveyor's integration tests: the real HTTP server on a real SQLite file and a real
//! PostgreSQL (when `CONVEYOR_TEST_DATABASE_URL` is set), driven by a real HTTP client.

#[macro_use]
mod support;

mod async_actions;
mod campaign_changes;
mod campaign_imports;
mod campaigns;
mod cli;
mod control;
mod crash;
mod customers;
mod customers_bulk;
mod customers_import;
mod dashboard;
mod documented_examples;
mod errors;
mod fairness;
mod isolation;
mod limits;
mod list_filters;
mod live_progress;
mod metadata_purge;
mod metadata_schemas;
mod metrics;
mod oauth;
mod openapi;
mod orders;
mod products;
mod products_bulk;
mod products_import;
mod rate_limits;
mod vouchers;
mod vouchers_import;
mod vouchers_import_csv;
mod webhooks;
