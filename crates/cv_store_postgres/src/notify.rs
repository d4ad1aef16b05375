//! The NOTIFY side of wake-ups and change notification (see [`crate::listen`]): sent after the
//! commits they announce, in batches, from a task of its own.
//!
//! A transaction that calls `pg_notify` takes a lock shared by the whole database at commit
//! and holds it until its commit is flushed, so notifying inside each action write made every
//! such commit wait for the one before: with `fsync` on, about one per disk flush, whatever
//! the number of connections. Here the writes commit without it; their notifications queue
//! up and go out together — as many per `pg_notify` as fit in a payload, one line each — in
//! a transaction that does not wait for its own flush (`synchronous_commit = off`: a
//! notification is only a hint, so losing one in a crash costs a follower a re-read and a
//! worker a poll).

use std::collections::BTreeMap;

use deadpool_postgres::Pool;
use tokio::sync::mpsc;

use crate::listen::Channels;

/// The largest payload sent (PostgreSQL refuses more than 8,000 bytes).
const MAX_PAYLOAD: usize = 7_900;

/// At most this many notifications go out in one transaction.
const MAX_BATCH: usize = 4_096;

/// Which channel a notification goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Topic {
    /// An action was enqueued: wake the workers.
    Wake,
    /// An action row changed: `<project> <action>`.
    Change,
}

/// Queues notifications for the sending task. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Notifier {
    queue: mpsc::UnboundedSender<(Topic, String)>,
}

impl Notifier {
    /// A notifier whose task sends through `pool` on `channels`, until every clone is dropped.
    pub fn start(pool: Pool, channels: Channels) -> Self {
        let (queue, queued) = mpsc::unbounded_channel();
        tokio::spawn(send_loop(pool, channels, queued));
        Self { queue }
    }

    /// Tells every node, after the write that enqueued `action` committed, to wake its
    /// workers.
    pub fn enqueued(&self, action: &str) {
        let _ = self.queue.send((Topic::Wake, action.to_owned()));
    }

    /// Tells every node that credentials changed (they look them up again).
    pub fn credentials(&self) {
        let _ = self.queue.send((Topic::Wake, "credentials".to_owned()));
    }

    /// Tells every node's followers that `action` of `project` changed; call it after the
    /// write committed.
    pub fn changed(&self, project: &str, action: &str) {
        let _ = self.queue.send((Topic::Change, format!("{project} {action}")));
    }
}

async fn send_loop(
    pool: Pool,
    channels: Channels,
    mut queued: mpsc::UnboundedReceiver<(Topic, String)>,
) {
    let mut batch = Vec::new();
    while queued.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (names, payloads) = payloads(&channels, std::mem::take(&mut batch));
        if let Err(err) = send(&pool, &names, &payloads).await {
            tracing::warn!(message = "Could not send notifications; nodes fall back to polling.", notifications = payloads.len(), %err);
        }
    }
}

/// The notifications of `batch` as channel names and payloads: the lines of each topic joined
/// by `\n`, as many per payload as fit.
fn payloads(channels: &Channels, batch: Vec<(Topic, String)>) -> (Vec<String>, Vec<String>) {
    let mut by_topic: BTreeMap<Topic, Vec<String>> = BTreeMap::new();
    for (topic, line) in batch {
        by_topic.entry(topic).or_default().push(line);
    }
    let (mut names, mut payloads) = (Vec::new(), Vec::new());
    for (topic, lines) in by_topic {
        let name = match topic {
            Topic::Wake => &channels.wake,
            Topic::Change => &channels.changes,
        };
        let mut payload = String::new();
        for line in lines {
            if !payload.is_empty() && payload.len() + 1 + line.len() > MAX_PAYLOAD {
                names.push(name.clone());
                payloads.push(std::mem::take(&mut payload));
            }
            if !payload.is_empty() {
                payload.push('\n');
            }
            payload.push_str(&line);
        }
        if !payload.is_empty() {
            names.push(name.clone());
            payloads.push(payload);
        }
    }
    (names, payloads)
}

/// `$1` channels, `$2` payloads.
const NOTIFY_ALL: &str = "SELECT pg_notify(c, p) FROM unnest($1::TEXT[], $2::TEXT[]) AS n(c, p)";

async fn send(pool: &Pool, names: &[String], payloads: &[String]) -> anyhow::Result<()> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.batch_execute("SET LOCAL synchronous_commit = off").await?;
    let stmt = tx.prepare_cached(NOTIFY_ALL).await?;
    tx.execute(&stmt, &[&names, &payloads]).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_grouped_by_channel_and_split_to_fit() {
        let channels = Channels { wake: "w".to_owned(), changes: "c".to_owned() };
        let long = "p ".to_owned() + &"a".repeat(3_000);
        let batch = vec![
            (Topic::Change, "p1 a1".to_owned()),
            (Topic::Wake, "a1".to_owned()),
            (Topic::Change, long.clone()),
            (Topic::Change, long.clone()),
            (Topic::Change, long.clone()),
        ];
        let (names, payloads) = payloads(&channels, batch);
        assert_eq!(names, ["w", "c", "c"]);
        assert_eq!(payloads[0], "a1");
        assert_eq!(payloads[1], format!("p1 a1\n{long}\n{long}"));
        assert_eq!(payloads[2], long);
        assert!(payloads.iter().all(|p| p.len() <= MAX_PAYLOAD));
    }
}
