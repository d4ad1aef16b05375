//! The campaign SQL both backends run as written (`$N` placeholders, rewritten to `?N` on
//! SQLite). A campaign is stored whole as JSON in `body`; `name` is a column for the
//! per-project uniqueness and lookups by name.

/// `$1` id, `$2` project, `$3` name, `$4` body, `$5` created_at.
pub const INSERT_CAMPAIGN: &str = "INSERT INTO campaigns \
     (id, project_id, name, body, created_at) VALUES ($1, $2, $3, $4, $5)";

/// `$1` project, `$2` id, `$3` name, `$4` body.
pub const UPDATE_CAMPAIGN: &str = "UPDATE campaigns SET name = $3, body = $4 \
     WHERE project_id = $1 AND id = $2 AND binned = 0";

/// `$1` project, `$2` id or name; the id wins when both match.
pub const SELECT_CAMPAIGN: &str = "SELECT body FROM campaigns \
     WHERE project_id = $1 AND (id = $2 OR name = $2) AND binned = 0 \
     ORDER BY CASE WHEN id = $2 THEN 0 ELSE 1 END LIMIT 1";

/// `$1` project, `$2` limit, `$3` offset. Newest first.
pub const SELECT_CAMPAIGN_PAGE: &str = "SELECT body FROM campaigns \
     WHERE project_id = $1 AND binned = 0 \
     ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3";

/// `$1` project.
pub const COUNT_CAMPAIGNS: &str =
    "SELECT COUNT(*) FROM campaigns WHERE project_id = $1 AND binned = 0";

/// `$1` project, `$2` id: moves a campaign to the bin (hidden, name still taken).
pub const BIN_CAMPAIGN: &str =
    "UPDATE campaigns SET binned = 1 WHERE project_id = $1 AND id = $2 AND binned = 0";

/// `$1` project, `$2` campaign id, `$3` limit: the vouchers a forced delete still has to
/// remove, newest first.
pub const SELECT_VOUCHERS_TO_DELETE: &str = "SELECT id FROM vouchers \
     WHERE project_id = $1 AND campaign_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3";

/// `$1` project, `$2` campaign id, `$3` limit: the vouchers a delete into the bin still has to
/// move there, newest first.
pub const SELECT_VOUCHERS_TO_BIN: &str = "SELECT id FROM vouchers \
     WHERE project_id = $1 AND campaign_id = $2 AND binned = 0 \
     ORDER BY created_at DESC, id DESC LIMIT $3";

/// `$1` project, `$2` campaign id.
pub const COUNT_VOUCHERS_TO_DELETE: &str =
    "SELECT COUNT(*) FROM vouchers WHERE project_id = $1 AND campaign_id = $2";

/// `$1` project, `$2` campaign id.
pub const COUNT_VOUCHERS_TO_BIN: &str =
    "SELECT COUNT(*) FROM vouchers WHERE project_id = $1 AND campaign_id = $2 AND binned = 0";

/// `$1` project, `$2` id: deletes a campaign (binned or not) for good, freeing its name.
pub const DELETE_CAMPAIGN: &str = "DELETE FROM campaigns WHERE project_id = $1 AND id = $2";

/// `$1` project, `$2` campaign id: the vouchers a campaign holds (its `vouchers_count`).
pub const COUNT_CAMPAIGN_VOUCHERS: &str =
    "SELECT COUNT(*) FROM vouchers WHERE project_id = $1 AND campaign_id = $2 AND binned = 0";
