//! Conveyor's action engine. It knows no action type: it claims actions from the
//! [`cv_store::Store`], asks a [`Handlers`] implementation for each action's items chunk by
//! chunk, and commits every chunk (writes, checkpoint, counters, progress) in one fenced
//! transaction. It owns leases and heartbeats, wake-ups, graceful shutdown, and the named
//! failure points that crash tests stop at.
//!
//! Who touches the queue: the API only inserts actions (`Store::create_action`) and reads them;
//! the engine is the only writer of an action after its creation, and every such write is
//! fenced on `(id, attempt)`. The two exceptions are control requests: a cancel ends an
//! action nobody holds (bumping its attempt, so a stale holder writes nothing more) or flags
//! a held one for its holder to end; and the retention pass deletes finished actions.

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
pub use handler::{ActionError, ActionRun, Handlers};
pub use metrics::EngineMetrics;
