//! The OAuth token SQL both backends run as written (`$N` placeholders, rewritten to `?N` on
//! SQLite). `scope` is the space-separated scope string; times are milliseconds. A token is
//! live while `expires_at > now`; revoked tokens are deleted.

/// `$1` project, `$2` now: deletes the project's expired tokens.
pub const PRUNE_PROJECT_TOKENS: &str =
    "DELETE FROM oauth_tokens WHERE project_id = $1 AND expires_at <= $2";

/// `$1` project, `$2` now: the number of live tokens and the earliest expiry among them.
pub const COUNT_LIVE_TOKENS: &str = "SELECT COUNT(*), MIN(expires_at) FROM oauth_tokens \
     WHERE project_id = $1 AND expires_at > $2";

/// `$1` hash, `$2` project, `$3` client id, `$4` scope, `$5` created_at, `$6` expires_at.
pub const INSERT_TOKEN: &str = "INSERT INTO oauth_tokens \
     (token_hash, project_id, client_id, scope, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";

/// `$1` hash, `$2` now: a live token whose app key still belongs to the token's project.
/// Columns: hash, project, client id, scope, created_at, expires_at.
pub const SELECT_LIVE_TOKEN: &str = "SELECT t.token_hash, t.project_id, t.client_id, t.scope, \
       t.created_at, t.expires_at \
     FROM oauth_tokens t JOIN credentials c \
       ON c.app_id = t.client_id AND c.project_id = t.project_id \
     WHERE t.token_hash = $1 AND t.expires_at > $2";

/// `$1` project, `$2` hash, `$3` now: revokes a live token of the project.
pub const REVOKE_TOKEN: &str = "DELETE FROM oauth_tokens \
     WHERE project_id = $1 AND token_hash = $2 AND expires_at > $3";
