//! The LISTEN side of wake-ups and change notification: one dedicated connection per store,
//! listening on two channels. `conveyor_actions…` carries enqueues (workers wake and claim);
//! `conveyor_changes…` carries every committed change to an action row (`<project> <action>`,
//! one line each, several to a notification: see [`crate::notify`]), which followers of
//! actions hear through the store's `ActionChanges`. Two channels, so that
//! a chunk commit does not send every idle worker of every node to claim.

use std::time::Duration;

use std::sync::Arc;

use cv_store::{ActionChange, ActionChanges, Wakeups};

use crate::generation::Generation;
use futures_util::StreamExt as _;
use tokio_postgres::{AsyncMessage, NoTls};

const MIN_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The enqueue channel of the store in `schema` (`None`: the default search path):
/// `conveyor_actions`, or `conveyor_actions_<schema>`, lowercase and at most 63 bytes.
pub fn channel(schema: Option<&str>) -> String {
    named("conveyor_actions", schema)
}

/// The change channel of the store in `schema`: `conveyor_changes[_<schema>]`, like
/// [`channel`].
pub fn changes_channel(schema: Option<&str>) -> String {
    named("conveyor_changes", schema)
}

/// The two channels one store listens on.
#[derive(Debug, Clone)]
pub struct Channels {
    /// Enqueues: wake the workers.
    pub wake: String,
    /// Committed changes to action rows.
    pub changes: String,
}

/// Where notifications go on this node.
#[derive(Clone)]
pub struct Targets {
    /// Idle workers.
    pub wake: Wakeups,
    /// Followers of actions.
    pub changes: ActionChanges,
    /// The API's kept answers: every notification, and every gap, moves it on.
    pub generation: Arc<Generation>,
}

impl Targets {
    /// Something may have been missed: wake every worker, tell every follower to re-read.
    fn everyone(&self) {
        self.wake.notify_waiters();
        self.changes.publish(ActionChange::Resync);
    }
}

fn named(prefix: &str, schema: Option<&str>) -> String {
    let mut name = String::from(prefix);
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

/// Listens on both channels forever: an enqueue wakes the workers, a change is published to
/// the followers. When the connection drops it reconnects with a short backoff, and wakes
/// and resyncs everyone once it is back (a notification may have been missed meanwhile;
/// workers fall back to polling anyway, followers re-read).
pub async fn run(config: tokio_postgres::Config, channels: Channels, targets: Targets) {
    let mut backoff = MIN_BACKOFF;
    loop {
        match session(&config, &channels, &targets).await {
            Ok(()) => backoff = MIN_BACKOFF,
            Err(e) => {
                tracing::warn!(error = %e, channel = channels.wake, "LISTEN connection failed")
            }
        }
        targets.generation.set_listening(false);
        targets.everyone();
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection's life: LISTEN, then forward notifications until the connection ends.
/// `Ok` when an established session ended, `Err` when it could not be established.
async fn session(
    config: &tokio_postgres::Config,
    channels: &Channels,
    targets: &Targets,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
    let (on_message, changes_channel) = (targets.clone(), channels.changes.clone());
    // The connection must be polled for the LISTEN below to complete, so forward messages
    // from a task of its own.
    let forward = tokio::spawn(async move {
        while let Some(message) = messages.next().await {
            if let Ok(AsyncMessage::Notification(_)) = &message {
                on_message.generation.bump();
            }
            match message {
                Ok(AsyncMessage::Notification(n)) if n.channel() == changes_channel => {
                    // One line per change (see `crate::notify`).
                    for line in n.payload().lines() {
                        on_message.changes.publish(ActionChange::from_payload(line));
                    }
                }
                Ok(AsyncMessage::Notification(_)) => on_message.wake.notify_waiters(),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "LISTEN connection lost");
                    break;
                }
            }
        }
    });
    let listen = format!("LISTEN \"{}\"; LISTEN \"{}\"", channels.wake, channels.changes);
    if let Err(e) = client.batch_execute(&listen).await {
        forward.abort();
        return Err(e);
    }
    tracing::debug!(channel = channels.wake, "listening for enqueued and changed actions");
    // Wake and resync everyone: a notification may have been sent while we were not listening.
    targets.generation.set_listening(true);
    targets.everyone();
    let _ = forward.await;
    targets.generation.set_listening(false);
    drop(client);
    Ok(())
}
