//! The HTTP server: hyper with the limits that belong to the connection rather than to a
//! route — how long a client may take to send a request's headers (slow clients holding
//! connections open) and how large the request head may be (431 beyond) — and a graceful
//! shutdown that stops accepting, lets open requests finish and then returns.

use std::time::Duration;

use cv_api::ApiConfig;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
    service::TowerToHyperService,
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::debug;

/// The smallest request-head buffer hyper accepts.
const MIN_HEADER_BYTES: usize = 8 * 1024;

/// Serves `router` on `listener` until `shutdown`, then waits for open connections' requests.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    config: &ApiConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    {
        let mut http1 = builder.http1();
        http1.timer(TokioTimer::new()).max_buf_size(config.max_header_bytes.max(MIN_HEADER_BYTES));
        if config.header_read_timeout_ms > 0 {
            http1.header_read_timeout(Duration::from_millis(config.header_read_timeout_ms));
        }
    }
    builder.http2().max_header_list_size(
        u32::try_from(config.max_header_bytes.max(MIN_HEADER_BYTES)).unwrap_or(u32::MAX),
    );
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait a little, keep serving.
                    debug!(message = "Accept failed.", %err);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                debug!(message = "Connection ended with an error.", %peer, err = %err);
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
