//! The LISTEN side of wake-ups: one dedicated connection per store.

use std::time::Duration;

use cv_store::Wakeups;
use futures_util::StreamExt as _;
use tokio_postgres::{AsyncMessage, NoTls};

const MIN_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The notification channel of the store in `schema` (`None`: the default search path):
/// `conveyor_actions`, or `conveyor_actions_<schema>`, lowercase and at most 63 bytes.
pub fn channel(schema: Option<&str>) -> String {
    let mut name = String::from("conveyor_actions");
    if let Some(schema) = schema {
        name.push('_');
        name.extend(
            schema
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }),
        );
    }
    name.truncate(63);
    name
}

/// Listens on `channel` forever, waking `wake`'s waiters on every notification. When the
/// connection drops it reconnects with a short backoff, and wakes everyone once it is back
/// (a notification may have been missed meanwhile; pollers fall back to polling anyway).
pub async fn run(config: tokio_postgres::Config, channel: String, wake: Wakeups) {
    let mut backoff = MIN_BACKOFF;
    loop {
        match session(&config, &channel, &wake).await {
            Ok(()) => backoff = MIN_BACKOFF,
            Err(e) => tracing::warn!(error = %e, channel, "LISTEN connection failed"),
        }
        wake.notify_waiters();
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection's life: LISTEN, then forward notifications until the connection ends.
/// `Ok` when an established session ended, `Err` when it could not be established.
async fn session(
    config: &tokio_postgres::Config,
    channel: &str,
    wake: &Wakeups,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
    let wake_on_message = wake.clone();
    // The connection must be polled for the LISTEN below to complete, so forward messages
    // from a task of its own.
    let forward = tokio::spawn(async move {
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(_)) => wake_on_message.notify_waiters(),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "LISTEN connection lost");
                    break;
                }
            }
        }
    });
    if let Err(e) = client.batch_execute(&format!("LISTEN \"{channel}\"")).await {
        forward.abort();
        return Err(e);
    }
    tracing::debug!(channel, "listening for enqueued actions");
    // Wake everyone: a notification may have been sent while we were not listening.
    wake.notify_waiters();
    let _ = forward.await;
    drop(client);
    Ok(())
}
