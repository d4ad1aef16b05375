//! SQL of [`crate::WebhookStore`] and of the delivery outbox written with an action's end.
//! `events` is the endpoint's event names separated by spaces; times are milliseconds. Only
//! the claim differs per backend; both embed [`crate::due_deliveries!`].

macro_rules! webhook_columns {
    () => {
        "id, project_id, target_url, events, secret, created_at"
    };
}

macro_rules! delivery_columns {
    () => {
        "d.id, d.endpoint_id, d.project_id, d.action_id, d.event_type, d.status, d.attempts, \
         d.next_attempt_at, d.created_at"
    };
}

/// The columns of a delivery (`d`), in decoding order.
pub const DELIVERY_COLUMNS: &str = delivery_columns!();

/// The deliveries a claim at `$2` may take, earliest due first, at most `$4`: PENDING, due,
/// and not held by a live lease. The `webhook_deliveries_due` index serves it.
#[macro_export]
macro_rules! due_deliveries {
    () => {
        "SELECT c.id FROM webhook_deliveries c WHERE c.status = 'PENDING' \
           AND c.next_attempt_at <= $2 \
           AND (c.lease_expires_at IS NULL OR c.lease_expires_at <= $2) \
         ORDER BY c.next_attempt_at, c.id LIMIT $4"
    };
}

/// `$1` id, `$2` project, `$3` target URL, `$4` events, `$5` secret, `$6` created_at.
pub const INSERT_WEBHOOK: &str = concat!(
    "INSERT INTO webhook_endpoints (",
    webhook_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6)"
);

/// `$1` project: its endpoints, oldest first.
pub const SELECT_WEBHOOKS: &str = concat!(
    "SELECT ",
    webhook_columns!(),
    " FROM webhook_endpoints WHERE project_id = $1 ORDER BY created_at, id"
);

/// `$1` project, `$2` id.
pub const SELECT_WEBHOOK: &str = concat!(
    "SELECT ",
    webhook_columns!(),
    " FROM webhook_endpoints WHERE project_id = $1 AND id = $2"
);

/// `$1` project, `$2` id. Its deliveries and their attempts go with it (`ON DELETE CASCADE`).
pub const DELETE_WEBHOOK: &str = "DELETE FROM webhook_endpoints WHERE project_id = $1 AND id = $2";

/// `$1` project: the id and event names of each endpoint, read in the transaction that ends
/// an action of the project (PostgreSQL adds `FOR KEY SHARE`, so an endpoint deleted
/// meanwhile is either seen whole or not at all).
pub const SELECT_PROJECT_ENDPOINTS: &str =
    "SELECT id, events FROM webhook_endpoints WHERE project_id = $1";

/// `$1` id, `$2` endpoint, `$3` project, `$4` action, `$5` event, `$6` now: a PENDING
/// delivery, due at once.
pub const INSERT_DELIVERY: &str = "INSERT INTO webhook_deliveries \
     (id, endpoint_id, project_id, action_id, event_type, status, attempts, next_attempt_at, \
      lease_owner, lease_expires_at, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, 'PENDING', 0, $6, NULL, NULL, $6, $6)";

/// `$1` delivery id: the delivery with its endpoint's URL and secret (after a claim).
pub const SELECT_CLAIMED_DELIVERY: &str = concat!(
    "SELECT ",
    delivery_columns!(),
    ", e.target_url, e.secret FROM webhook_deliveries d \
     JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1"
);

/// The fence of an attempt's record: `$1` id, `$2` claim number, `$3` new status, `$4` next
/// attempt (NULL once ended), `$5` now. No row changed means the claim is stale.
pub const RECORD_DELIVERY: &str = "UPDATE webhook_deliveries SET status = $3, \
       next_attempt_at = $4, lease_owner = NULL, lease_expires_at = NULL, updated_at = $5 \
     WHERE id = $1 AND attempts = $2 AND status = 'PENDING'";

/// `$1` delivery, `$2` attempt, `$3` attempted_at, `$4` duration (ms), `$5` HTTP status or
/// NULL, `$6` error or NULL.
pub const INSERT_ATTEMPT: &str = "INSERT INTO webhook_attempts \
     (delivery_id, attempt, attempted_at, duration_ms, status_code, error) \
     VALUES ($1, $2, $3, $4, $5, $6)";

/// When the next PENDING delivery becomes claimable: its next attempt, or later the end of
/// the lease that holds it.
pub const NEXT_DELIVERY_AT: &str = "SELECT MIN(CASE \
       WHEN lease_expires_at IS NOT NULL AND lease_expires_at > next_attempt_at \
       THEN lease_expires_at ELSE next_attempt_at END) \
     FROM webhook_deliveries WHERE status = 'PENDING'";

/// `$1` endpoint, `$2` project, `$3` limit, `$4` offset: a page of deliveries, newest first,
/// each joined with its attempts in order (one row per attempt; a delivery without attempts
/// gives one row of NULLs). Columns: [`DELIVERY_COLUMNS`], then attempt, attempted_at,
/// duration_ms, status_code, error.
pub const SELECT_DELIVERY_PAGE: &str = concat!(
    "SELECT ",
    delivery_columns!(),
    ", a.attempt, a.attempted_at, a.duration_ms, a.status_code, a.error \
     FROM (SELECT * FROM webhook_deliveries WHERE endpoint_id = $1 AND project_id = $2 \
           ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4) d \
     LEFT JOIN webhook_attempts a ON a.delivery_id = d.id \
     ORDER BY d.created_at DESC, d.id DESC, a.attempt"
);

/// `$1` endpoint, `$2` project.
pub const COUNT_DELIVERIES: &str =
    "SELECT COUNT(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND project_id = $2";
