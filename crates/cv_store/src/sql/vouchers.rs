//! The voucher SQL both backends run as written (`$N` placeholders, rewritten to `?N` on
//! SQLite). A voucher is stored whole as JSON in `body`; `code`, `campaign_id` and the
//! timestamps are columns too, for lookups, uniqueness and ordering.

/// Insert or overwrite one fully planned voucher row. `$1` id, `$2` project, `$3` code,
/// `$4` campaign_id, `$5` body, `$6` created_at, `$7` updated_at.
pub const UPSERT_VOUCHER: &str = "INSERT INTO vouchers \
     (id, project_id, code, campaign_id, body, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (id) DO UPDATE SET code = excluded.code, campaign_id = excluded.campaign_id, \
       body = excluded.body, updated_at = excluded.updated_at";

/// `$1` project, `$2` code or id; the code wins when both match.
pub const SELECT_VOUCHER: &str = "SELECT body FROM vouchers \
     WHERE project_id = $1 AND (code = $2 OR id = $2) AND binned = 0 \
     ORDER BY CASE WHEN code = $2 THEN 0 ELSE 1 END LIMIT 1";

/// `$1` project, `$2` campaign_id or NULL for all, `$3` limit, `$4` offset. Newest first.
pub const SELECT_VOUCHER_PAGE: &str = "SELECT body FROM vouchers \
     WHERE project_id = $1 AND binned = 0 \
       AND (CAST($2 AS TEXT) IS NULL OR campaign_id = CAST($2 AS TEXT)) \
     ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4";

/// `$1` project, `$2` campaign_id or NULL for all.
pub const COUNT_VOUCHERS: &str = "SELECT COUNT(*) FROM vouchers \
     WHERE project_id = $1 AND binned = 0 \
       AND (CAST($2 AS TEXT) IS NULL OR campaign_id = CAST($2 AS TEXT))";
