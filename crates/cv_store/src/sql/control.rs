//! SQL of [`crate::ControlStore`]: cancellation, the maintenance lease and retention.

/// Ends an action nobody holds as cancelled. `$1` project, `$2` id, `$3` attempt read,
/// `$4` now, `$5` cursor read, `$6` result JSON text. The attempt and cursor guards make sure
/// the counters in the result are the ones stored; the attempt is bumped so a stale holder
/// can write nothing more.
pub const CANCEL_IDLE: &str = "UPDATE async_actions SET status = 'FAILED', \
       attempt = attempt + 1, result = $6, lease_owner = NULL, lease_expires_at = NULL, \
       cancel_requested_at = $4, updated_at = $4, finished_at = $4 \
     WHERE project_id = $1 AND id = $2 AND attempt = $3 AND cursor = $5 \
       AND (status = 'ENQUEUED' OR (status = 'IN_PROGRESS' \
            AND (lease_expires_at IS NULL OR lease_expires_at <= $4)))";

/// Asks the holder of a running action to stop at its next chunk boundary. `$1` project,
/// `$2` id, `$3` now.
pub const FLAG_CANCEL: &str = "UPDATE async_actions \
     SET cancel_requested_at = COALESCE(cancel_requested_at, $3) \
     WHERE project_id = $1 AND id = $2 AND status = 'IN_PROGRESS'";

/// Whether a cancel was asked for; no row when the fence is stale. `$1` id, `$2` attempt.
pub const SELECT_CANCEL_REQUESTED: &str = "SELECT cancel_requested_at FROM async_actions \
     WHERE id = $1 AND attempt = $2 AND status = 'IN_PROGRESS'";

/// Takes or renews a maintenance lease; one row changed means the caller holds it. `$1`
/// name, `$2` holder, `$3` now, `$4` new expiry.
pub const TAKE_MAINTENANCE_LEASE: &str = "INSERT INTO maintenance_leases (name, holder, expires_at) \
     VALUES ($1, $2, $4) \
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
     WHERE maintenance_leases.expires_at <= $3 OR maintenance_leases.holder = $2";

macro_rules! finished_before {
    () => {
        "SELECT id FROM async_actions WHERE finished_at < $1 ORDER BY finished_at, id LIMIT $2"
    };
}

/// The uploads of the finished actions a prune removes. `$1` cutoff, `$2` batch size.
pub const PRUNE_UPLOADS: &str =
    concat!("DELETE FROM action_uploads WHERE action_id IN (", finished_before!(), ")");

/// Actions finished before `$1`, at most `$2`; their payloads and report lines
/// go with them (`ON DELETE CASCADE`).
pub const PRUNE_ACTIONS: &str =
    concat!("DELETE FROM async_actions WHERE id IN (", finished_before!(), ")");

/// Payloads of finished actions, at most `$1` of them.
pub const DROP_FINISHED_PAYLOADS: &str = "DELETE FROM action_payloads WHERE action_id IN ( \
       SELECT p.action_id FROM action_payloads p JOIN async_actions a ON a.id = p.action_id \
       WHERE a.status IN ('DONE', 'FAILED') LIMIT $1)";

/// Uploaded files of finished actions, at most `$1` actions' worth.
pub const DROP_FINISHED_UPLOADS: &str = "DELETE FROM action_uploads WHERE action_id IN ( \
       SELECT DISTINCT u.action_id FROM action_uploads u JOIN async_actions a ON a.id = u.action_id \
       WHERE a.status IN ('DONE', 'FAILED') LIMIT $1)";
