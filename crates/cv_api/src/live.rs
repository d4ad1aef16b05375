//! Following one action live: the long-poll of `GET /v1/async-actions/{id}?wait=…` and the
//! event stream of `GET /v1/async-actions/{id}/events` share a [`Follower`].
//!
//! A follower subscribes to the store's change notifications (`cv_store::changes`) *before*
//! it reads the action, so no change committed after that read can slip by unnoticed. It then
//! re-reads the action only when a notification concerns it (or says to resync) and, as a
//! safety net, every `live_recheck_ms`; a waiting request costs no database work in between.
//! On PostgreSQL the notifications come from every node, so a chunk committed by a worker
//! elsewhere wakes a waiter here.

use std::time::Duration;

use cv_domain::{ActionId, ActionStatus, ProjectId, Timestamp};
use cv_store::{ActionChangeReceiver, ActionRecord, StoreError};
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::{ApiError, AppState, extract::QueryMap};

/// The longest `wait` a long-poll may ask for, in seconds.
pub const MAX_WAIT_SECS: u32 = 30;

/// The status names, as the `since_status` and list `status` parameters take them.
pub const STATUS_NAMES: [&str; 4] = ["ENQUEUED", "IN_PROGRESS", "DONE", "FAILED"];

/// What a client last saw of an action. A long-poll answers once the action no longer
/// matches it in any field given (or has finished).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Seen {
    /// `since_status`.
    pub status: Option<ActionStatus>,
    /// `since_progress`.
    pub progress: Option<u8>,
    /// `since_updated_at`.
    pub updated_at: Option<Timestamp>,
    /// Items processed (not a parameter: the baseline of a stream or of a long-poll without
    /// `since_*` compares it too).
    pub processed_items: Option<u64>,
}

impl Seen {
    /// Everything a client sees change of `action`.
    pub fn all_of(action: &ActionRecord) -> Self {
        Self {
            status: Some(action.status),
            progress: Some(action.progress.get()),
            updated_at: Some(action.updated_at),
            processed_items: Some(action.cursor),
        }
    }

    /// Whether `action` differs from this in a field given.
    pub fn differs(&self, action: &ActionRecord) -> bool {
        self.status.is_some_and(|s| s != action.status)
            || self.progress.is_some_and(|p| p != action.progress.get())
            || self.updated_at.is_some_and(|t| t != action.updated_at)
            || self.processed_items.is_some_and(|n| n != action.cursor)
    }

    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A long-poll: wait up to `wait` for the action to differ from `seen` or finish.
#[derive(Debug, Clone, PartialEq)]
pub struct LongPoll {
    /// How long at most.
    pub wait: Duration,
    /// The baseline; empty means "the action as it is when the request arrives".
    pub seen: Seen,
}

impl LongPoll {
    /// The long-poll `query` asks for: `None` without `wait` (a plain GET, whose `since_*`
    /// parameters are ignored like any unknown one). `wait` is whole seconds 0..=30;
    /// `since_status` a status, `since_progress` 0..=100, `since_updated_at` a date; anything
    /// else is 400 `invalid_query_params`.
    pub fn from_query(query: &QueryMap) -> Result<Option<Self>, ApiError> {
        if !query.0.contains_key("wait") {
            return Ok(None);
        }
        let wait = query.int("wait", 0, MAX_WAIT_SECS, 0)?;
        let progress = match query.0.contains_key("since_progress") {
            true => Some(query.int("since_progress", 0, 100, 0)? as u8),
            false => None,
        };
        let seen = Seen {
            status: query.one_of("since_status", &STATUS_NAMES)?,
            progress,
            updated_at: query.date("since_updated_at")?,
            processed_items: None,
        };
        Ok(Some(Self { wait: Duration::from_secs(u64::from(wait)), seen }))
    }

    /// The baseline against `current`, the action as the request found it.
    pub fn baseline(&self, current: &ActionRecord) -> Seen {
        if self.seen.is_empty() { Seen::all_of(current) } else { self.seen }
    }
}

/// How a [`Follower::wait`] ended.
#[derive(Debug)]
pub enum Waited {
    /// The action finished, or differs from what was seen.
    Changed(ActionRecord),
    /// The deadline passed, or the server is shutting down; the action as last read.
    TimedOut(ActionRecord),
    /// The action no longer exists (retention deleted it).
    Gone,
}

/// Follows one action of one project.
pub struct Follower {
    state: AppState,
    project: ProjectId,
    id: ActionId,
    changes: ActionChangeReceiver,
    changes_closed: bool,
    recheck: Interval,
}

impl Follower {
    /// Subscribes to changes, then reads the action: `None` when the project has no such
    /// action.
    pub async fn start(
        state: &AppState,
        project: &ProjectId,
        id: &ActionId,
    ) -> Result<Option<(Self, ActionRecord)>, StoreError> {
        let changes = state.store.action_changes().subscribe();
        let Some(action) = state.store.get_action(project, id).await? else {
            return Ok(None);
        };
        let period = Duration::from_millis(state.config.live_recheck_ms.max(1));
        let mut recheck = tokio::time::interval_at(Instant::now() + period, period);
        recheck.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let follower = Self {
            state: state.clone(),
            project: project.clone(),
            id: id.clone(),
            changes,
            changes_closed: false,
            recheck,
        };
        Ok(Some((follower, action)))
    }

    /// Waits until `current` (the action as last read) has finished or differs from `seen`,
    /// re-reading it on each change notification; or until `deadline` (`None`: no deadline)
    /// or shutdown.
    pub async fn wait(
        &mut self,
        mut current: ActionRecord,
        seen: &Seen,
        deadline: Option<Instant>,
    ) -> Result<Waited, StoreError> {
        loop {
            if current.status.is_final() || seen.differs(&current) {
                return Ok(Waited::Changed(current));
            }
            if !self.next_reason_to_look(deadline).await {
                return Ok(Waited::TimedOut(current));
            }
            match self.state.store.get_action(&self.project, &self.id).await? {
                Some(action) => current = action,
                None => return Ok(Waited::Gone),
            }
        }
    }

    /// True when the action may have changed (a notification about it, a resync, the
    /// recheck); false at the deadline or on shutdown.
    async fn next_reason_to_look(&mut self, deadline: Option<Instant>) -> bool {
        let deadline = async move {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                change = self.changes.recv(), if !self.changes_closed => match change {
                    Some(change) if change.concerns(&self.id) => return true,
                    Some(_) => {}
                    None => self.changes_closed = true,
                },
                _ = self.recheck.tick() => return true,
                () = &mut deadline => return false,
                () = self.state.shutdown.cancelled() => return false,
            }
        }
    }
}
