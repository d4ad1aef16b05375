//! The order SQL both backends run as written (`$N` placeholders, rewritten to `?N` on
//! SQLite). An order is stored whole as JSON in `body`; `source_id` (unique per project) and
//! the timestamps are columns for lookups and ordering.

/// Insert or overwrite one fully planned order row. `$1` id, `$2` project, `$3` source_id,
/// `$4` body, `$5` created_at, `$6` updated_at.
pub const UPSERT_ORDER: &str = "INSERT INTO orders \
     (id, project_id, source_id, body, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (id) DO UPDATE SET source_id = excluded.source_id, body = excluded.body, \
       created_at = excluded.created_at, updated_at = excluded.updated_at";

/// `$1` project, `$2` id or source_id; the id wins when both match.
pub const SELECT_ORDER: &str = "SELECT body FROM orders \
     WHERE project_id = $1 AND (id = $2 OR source_id = $2) \
     ORDER BY CASE WHEN id = $2 THEN 0 ELSE 1 END LIMIT 1";

/// `$1` project, `$2` limit, `$3` offset. Newest first.
pub const SELECT_ORDER_PAGE: &str = "SELECT body FROM orders WHERE project_id = $1 \
     ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3";

/// `$1` project.
pub const COUNT_ORDERS: &str = "SELECT COUNT(*) FROM orders WHERE project_id = $1";
