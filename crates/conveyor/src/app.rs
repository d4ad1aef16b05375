//! One process: the HTTP API and/or the engine, with webhook delivery, over one store.

use std::sync::Arc;

use anyhow::Context as _;
use cv_actions::Registry;
use cv_api::AppState;
use cv_engine::{Clock, Engine, SystemClock};
use cv_store::Store;
use cv_webhooks::Deliverer;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::Config;

/// The engine for `store` with the configured action types.
pub fn engine(store: Arc<dyn Store>, config: &Config) -> Engine {
    Engine::new(store, Arc::new(Registry::new(config.actions.clone())), config.engine.clone())
}

/// The webhook delivery loop for `store`, on the wall clock.
pub fn deliverer(store: Arc<dyn Store>, config: &Config) -> anyhow::Result<Deliverer> {
    Deliverer::new(store, config.webhooks.clone(), &config.public_base_url())
        .context("starting the webhook client")
}

/// The HTTP router for `store`, on the wall clock.
pub fn router(store: Arc<dyn Store>, config: &Config) -> axum::Router {
    router_on(store, config, Arc::new(SystemClock))
}

/// The HTTP router for `store`, reading the time from `clock` (tests pass the manual clock
/// their engine runs on).
pub fn router_on(store: Arc<dyn Store>, config: &Config, clock: Arc<dyn Clock>) -> axum::Router {
    cv_api::router(AppState::new(store, config.api.clone()).with_clock(clock))
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
    let engine = engine(store.clone(), config);
    let workers = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { engine.run(shutdown).await }
    });
    let deliverer = deliverer(store.clone(), config)?;
    let deliveries = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { deliverer.run(shutdown).await }
    });
    info!(message = "Listening.", address = %listener.local_addr()?);
    // Long-polls and event streams end on shutdown too; the graceful shutdown waits for
    // every open response.
    let state = AppState::new(store, config.api.clone()).with_shutdown(shutdown.clone());
    crate::http::serve(listener, cv_api::router(state), &config.api, shutdown.clone())
        .await
        .context("HTTP server failed")?;
    workers.await.context("engine task failed")?;
    deliveries.await.context("webhook delivery task failed")?;
    Ok(())
}

/// Runs workers and webhook delivery only (extra nodes on PostgreSQL) until `shutdown`.
pub async fn work(
    store: Arc<dyn Store>,
    config: &Config,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let deliverer = deliverer(store.clone(), config)?;
    let engine = engine(store, config);
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
