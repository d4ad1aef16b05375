//! Change notification: who hears that an action row changed.
//!
//! Every store write that changes what a client sees of an action — its creation, a claim, a
//! chunk commit, its end, a cancel — publishes an [`ActionChange`] once it has committed.
//! Anything that follows actions live (the long-poll and the event stream of
//! `GET /v1/async-actions/{id}`, and whatever else wants "tell me when it moved") subscribes
//! to the store's [`ActionChanges`] and re-reads the action when told; the message says which
//! action moved, never what it looks like now, so a reader always sees committed state.
//!
//! Delivery is best-effort by design, and a subscriber is told when it may have missed
//! something: a receiver that falls behind, and every receiver after the PostgreSQL listener
//! reconnects, gets [`ActionChange::Resync`] ("re-read everything you follow"). On SQLite the
//! writer publishes in-process after the commit; on PostgreSQL the writing transaction sends a
//! `NOTIFY` and every node's listener (the writer's own included) publishes what it hears, so
//! a chunk committed by a worker on another node wakes the waiters on this one.

use cv_domain::{ActionId, ProjectId};
use tokio::sync::broadcast;

/// How many changes a slow subscriber may fall behind before it is told to resync.
const CAPACITY: usize = 1024;

/// One committed change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionChange {
    /// This action of this project changed.
    Changed {
        /// The owning project.
        project: ProjectId,
        /// The action.
        action: ActionId,
    },
    /// Changes may have been missed: re-read whatever you follow.
    Resync,
}

impl ActionChange {
    /// A change to `action` of `project`.
    pub fn changed(project: &ProjectId, action: &ActionId) -> Self {
        Self::Changed { project: project.clone(), action: action.clone() }
    }

    /// Whether a follower of `action` must re-read it: the action itself changed, or anything
    /// may have.
    pub fn concerns(&self, action: &ActionId) -> bool {
        match self {
            Self::Changed { action: changed, .. } => changed == action,
            Self::Resync => true,
        }
    }

    /// The `NOTIFY` payload carrying this change between nodes (`<project> <action>`).
    /// [`ActionChange::Resync`] is never sent.
    pub fn to_payload(&self) -> Option<String> {
        match self {
            Self::Changed { project, action } => Some(format!("{project} {action}")),
            Self::Resync => None,
        }
    }

    /// Reads a `NOTIFY` payload back; a payload it cannot read is a [`ActionChange::Resync`]
    /// (something changed, we cannot tell what).
    pub fn from_payload(payload: &str) -> Self {
        match payload.split_once(' ') {
            Some((project, action)) if !project.is_empty() && !action.is_empty() => Self::Changed {
                project: ProjectId::from_string(project),
                action: ActionId::from_string(action),
            },
            _ => Self::Resync,
        }
    }
}

/// The publishing side, one per store; cheap to clone (all clones share subscribers).
#[derive(Debug, Clone)]
pub struct ActionChanges {
    sender: broadcast::Sender<ActionChange>,
}

impl Default for ActionChanges {
    fn default() -> Self {
        Self { sender: broadcast::channel(CAPACITY).0 }
    }
}

impl ActionChanges {
    /// Tells every current subscriber (nobody listening is fine).
    pub fn publish(&self, change: ActionChange) {
        let _ = self.sender.send(change);
    }

    /// How many subscribers follow changes now (requests waiting on an action, streams, and
    /// a running webhook delivery loop).
    pub fn subscriber_count(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Follows changes published from now on.
    pub fn subscribe(&self) -> ActionChangeReceiver {
        ActionChangeReceiver { receiver: self.sender.subscribe() }
    }
}

/// One subscriber's stream of changes.
#[derive(Debug)]
pub struct ActionChangeReceiver {
    receiver: broadcast::Receiver<ActionChange>,
}

impl ActionChangeReceiver {
    /// The next change; [`ActionChange::Resync`] when this receiver fell behind. `None` once
    /// the store is gone.
    pub async fn recv(&mut self) -> Option<ActionChange> {
        match self.receiver.recv().await {
            Ok(change) => Some(change),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(ActionChange::Resync),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }

    /// Drops the changes already waiting, without waiting for more; how many there were. For a
    /// subscriber that only needs "something changed": one look covers them all.
    pub fn skip_waiting(&mut self) -> usize {
        let mut skipped = 0;
        loop {
            match self.receiver.try_recv() {
                Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) => skipped += 1,
                Err(_) => return skipped,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_unreadable_ones_resync() {
        let change = ActionChange::changed(
            &ProjectId::from_string("proj_1"),
            &ActionId::from_string("aa_0123456789abcdef01"),
        );
        let payload = change.to_payload().expect("payload");
        assert_eq!(payload, "proj_1 aa_0123456789abcdef01");
        assert_eq!(ActionChange::from_payload(&payload), change);
        for bad in ["", "aa_1", " aa_1", "proj_1 "] {
            assert_eq!(ActionChange::from_payload(bad), ActionChange::Resync, "{bad:?}");
        }
        assert_eq!(ActionChange::Resync.to_payload(), None);
    }

    #[tokio::test]
    async fn a_receiver_that_falls_behind_is_told_to_resync() {
        let changes = ActionChanges::default();
        let mut rx = changes.subscribe();
        let (p, a) = (ProjectId::from_string("proj_1"), ActionId::from_string("aa_1"));
        for _ in 0..CAPACITY + 1 {
            changes.publish(ActionChange::changed(&p, &a));
        }
        assert_eq!(rx.recv().await, Some(ActionChange::Resync));
        assert_eq!(rx.recv().await, Some(ActionChange::changed(&p, &a)));
        assert!(ActionChange::Resync.concerns(&a));
        assert!(!ActionChange::changed(&p, &ActionId::from_string("aa_2")).concerns(&a));
    }

    #[tokio::test]
    async fn skipping_drops_only_what_is_already_waiting() {
        let changes = ActionChanges::default();
        let mut rx = changes.subscribe();
        let p = ProjectId::from_string("proj_1");
        assert_eq!(rx.skip_waiting(), 0);
        for id in ["aa_1", "aa_2", "aa_3"] {
            changes.publish(ActionChange::changed(&p, &ActionId::from_string(id)));
        }
        assert_eq!(rx.skip_waiting(), 3);
        changes.publish(ActionChange::changed(&p, &ActionId::from_string("aa_4")));
        let next = ActionChange::changed(&p, &ActionId::from_string("aa_4"));
        assert_eq!(rx.recv().await, Some(next));
    }
}
