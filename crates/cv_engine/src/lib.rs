//! Conveyor's action engine. It knows no action type: it claims actions from its
//! [`cv_store::Queue`], asks a [`Handlers`] implementation for each action's writes chunk by
//! chunk (handing the action only its [`cv_store::Inputs`]), and commits every chunk (writes,
//! checkpoint, counters, progress) in one fenced transaction, then the action's [`Finish`].
//! It owns leases and heartbeats, wake-ups, graceful shutdown, and the named failure points
//! that crash tests stop at.
//!
//! Who touches the queue: the API only inserts actions (`Resources::create_action`) and reads
//! them; the engine is the only writer of an action after its creation, and every such write is
//! fenced on `(id, attempt)`. The two exceptions are control requests: a cancel ends an
//! action nobody holds (bumping its attempt, so a stale holder writes nothing more) or flags
//! a held one for its holder to end; and the retention pass deletes finished actions.

mod batch;
mod config;
mod engine;
mod failpoint;
mod handler;
mod metrics;
mod worker;

pub use config::{EngineConfig, RetentionConfig};
pub use cv_domain::clock::{Clock, ManualClock, SystemClock};
pub use engine::{DrainReport, Engine, MaintenanceReport};
pub use failpoint::{FailPoints, FailureLocation};
pub use handler::{ActionError, ActionRun, Finish, Handlers};
pub use metrics::EngineMetrics;
