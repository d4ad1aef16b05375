//! One process: the HTTP API and/or the engine, with webhook delivery, over one store.

use std::sync::Arc;

use anyhow::Context as _;
use cv_actions::Registry;
use cv_api::{ApiMetrics, AppState};
use cv_engine::{Clock, Engine, EngineMetrics, SystemClock};
use cv_store::Store;
use cv_webhooks::{Deliverer, DeliveryMetrics};
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::Config;

/// The Prometheus registry of one process and the series its parts record in it: one per
/// process (never the crate's global default), so that several servers in one test process
/// keep apart. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    /// The HTTP series; `GET /metrics` exposes the whole registry through it.
    pub api: ApiMetrics,
    /// The engine's series.
    pub engine: EngineMetrics,
    /// The webhook delivery loop's series.
    pub webhooks: DeliveryMetrics,
}

impl Metrics {
    /// A fresh registry with every part's series.
    pub fn new() -> anyhow::Result<Self> {
        let registry = prometheus::Registry::new();
        let context = "registering metrics";
        Ok(Self {
            api: ApiMetrics::register(&registry).context(context)?,
            engine: EngineMetrics::register(&registry).context(context)?,
            webhooks: DeliveryMetrics::register(&registry).context(context)?,
        })
    }
}

/// The engine for `store` with the configured action types, counting into `metrics`.
/// The engine holds the store's queue role and hands the actions their inputs role.
pub fn engine(store: Arc<dyn Store>, config: &Config, metrics: &Metrics) -> Engine {
    let handlers = Arc::new(Registry::new(config.actions.clone()));
    let (config, metrics) = (config.engine.clone(), metrics.engine.clone());
    Engine::new(store.clone(), store, handlers, config, metrics)
}

/// The webhook delivery loop for `store`, on the wall clock, counting into `metrics`.
pub fn deliverer(
    store: Arc<dyn Store>,
    config: &Config,
    metrics: &Metrics,
) -> anyhow::Result<Deliverer> {
    let (webhooks, render) = (metrics.webhooks.clone(), cv_api::wire::webhook::event_body);
    Deliverer::new(store, render, config.webhooks.clone(), &config.public_base_url(), webhooks)
        .context("starting the webhook client")
}

/// The HTTP router for `store`, on the wall clock, exposing `metrics`.
pub fn router(store: Arc<dyn Store>, config: &Config, metrics: &Metrics) -> axum::Router {
    router_on(store, config, Arc::new(SystemClock), metrics)
}

/// The HTTP router for `store`, reading the time from `clock` (tests pass the manual clock
/// their engine runs on), exposing `metrics`.
pub fn router_on(
    store: Arc<dyn Store>,
    config: &Config,
    clock: Arc<dyn Clock>,
    metrics: &Metrics,
) -> axum::Router {
    let state = AppState::new(store, config.api.clone(), metrics.api.clone());
    cv_api::router(state.with_clock(clock))
}

/// Serves the API on `listener` and runs workers and webhook delivery until `shutdown`; then
/// stops accepting requests, lets workers finish or abandon their current chunk and sends in
/// flight finish, and returns.
pub async fn serve(
    store: Arc<dyn Store>,
    config: &Config,
    listener: tokio::net::TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let metrics = Metrics::new()?;
    let engine = engine(store.clone(), config, &metrics);
    let workers = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { engine.run(shutdown).await }
    });
    let deliverer = deliverer(store.clone(), config, &metrics)?;
    let deliveries = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { deliverer.run(shutdown).await }
    });
    info!(message = "Listening.", address = %listener.local_addr()?);
    // Long-polls and event streams end on shutdown too; the graceful shutdown waits for
    // every open response.
    let state =
        AppState::new(store, config.api.clone(), metrics.api).with_shutdown(shutdown.clone());
    crate::http::serve(listener, cv_api::router(state), &config.api, shutdown.clone())
        .await
        .context("HTTP server failed")?;
    workers.await.context("engine task failed")?;
    deliveries.await.context("webhook delivery task failed")?;
    Ok(())
}

/// Runs workers and webhook delivery only (extra nodes on PostgreSQL) until `shutdown`. It
/// serves no HTTP, so its metrics are counted but not exposed.
pub async fn work(
    store: Arc<dyn Store>,
    config: &Config,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let metrics = Metrics::new()?;
    let deliverer = deliverer(store.clone(), config, &metrics)?;
    let engine = engine(store, config, &metrics);
    tokio::join!(engine.run(shutdown.clone()), deliverer.run(shutdown));
    Ok(())
}

/// A token cancelled on SIGINT or SIGTERM.
pub fn shutdown_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
                }
                Err(_) => {
                    let _ = ctrl_c.await;
                }
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        info!(message = "Shutting down: finishing current chunks.");
        cancel.cancel();
    });
    token
}
