//! SQL both backends run as written. Placeholders are PostgreSQL's `$N`; the SQLite backend
//! rewrites them to `?N`. Timestamps are BIGINT milliseconds on both engines, so ordering and
//! comparisons agree to the millisecond. Only what the dialects cannot share (DDL, claiming,
//! array parameters, JSON column types) is written per backend.

#[cfg(test)]
mod bound_parameters;
pub mod campaigns;
pub mod control;
pub mod metadata_purge;
pub mod oauth;
pub mod orders;
pub mod products;
pub mod vouchers;
pub mod webhooks;

use crate::ActionFilter;

#[macro_export]
#[doc(hidden)]
macro_rules! action_columns {
    () => {
        "id, project_id, kind, status, progress, attempt, cursor, total_items, \
         done_count, failed_count, request_id, result, created_at, updated_at"
    };
}

/// The columns of an action; both backends decode rows in this order.
pub const ACTION_COLUMNS: &str = action_columns!();

/// An action's place in the queue (`queued_at`): `$now`, or, when its project already has
/// runnable actions, 10 ms behind the last of them (the share of the queue one action of a
/// busy project takes before another project's next action; only an ordering key, an idle
/// worker still takes a busy project's actions). So a project that submits
/// thousands of actions at once queues them one behind the other, and another project's
/// action, submitted a moment later, goes ahead of most of them; projects interleave.
/// `$project` is the project's id expression, `$me` excludes the action itself.
#[macro_export]
#[doc(hidden)]
macro_rules! queue_place {
    ($project:literal, $now:literal, $me:literal) => {
        concat!(
            "(SELECT CASE WHEN MAX(q.queued_at) + 10 > ",
            $now,
            " THEN MAX(q.queued_at) + 10 \
               ELSE ",
            $now,
            " END \
             FROM async_actions q WHERE q.project_id = ",
            $project,
            " AND q.id <> ",
            $me,
            " \
               AND q.status IN ('ENQUEUED', 'IN_PROGRESS'))"
        )
    };
}

/// [`INSERT_ACTION`], for statements that embed it (PostgreSQL's one-statement create).
#[macro_export]
macro_rules! insert_action {
    () => {
        concat!(
            "INSERT INTO async_actions \
             (id, project_id, kind, status, progress, attempt, cursor, total_items, done_count, failed_count, \
              request_id, created_at, updated_at, serial_group, queued_at) \
             VALUES ($1, $2, $3, 'ENQUEUED', 0, 0, 0, $5, 0, 0, $4, $6, $6, $7, ",
            $crate::queue_place!("$2", "$6", "$1"),
            ")"
        )
    };
}

/// `$1` id, `$2` project, `$3` kind, `$4` request id, `$5` total items, `$6` created_at,
/// `$7` serial group (`ActionKind::serial_group`) or NULL. Placed in the queue by
/// `queue_place!` at `$6`.
pub const INSERT_ACTION: &str = insert_action!();

/// The claim's filter on a candidate `a`: an action without a serial group is always
/// runnable; one with a group only while no other action of its project and group is
/// IN_PROGRESS and, for an ENQUEUED candidate, none older (by `created_at`, then id) is still
/// ENQUEUED. So each project runs one action of a group at a time, oldest first, and an
/// IN_PROGRESS one whose lease expired can always be re-claimed. Both backends' claim
/// statements embed it; `async_actions_serial` serves the subquery.
#[macro_export]
macro_rules! serial_group_runnable {
    () => {
        "(a.serial_group IS NULL OR NOT EXISTS (SELECT 1 FROM async_actions o \
           WHERE o.project_id = a.project_id AND o.serial_group = a.serial_group \
             AND o.id <> a.id AND o.status IN ('ENQUEUED', 'IN_PROGRESS') \
             AND (o.status = 'IN_PROGRESS' OR (a.status = 'ENQUEUED' \
               AND (o.created_at < a.created_at OR (o.created_at = a.created_at AND o.id < a.id))))))"
    };
}

/// Another action of the same project and serial group as action `$1` that is IN_PROGRESS:
/// PostgreSQL re-checks this after a claim, under a lock on the group, so that two nodes
/// claiming at once never both start one (`$1` the claimed action).
pub const OTHER_IN_PROGRESS_OF_GROUP: &str = "SELECT o.id FROM async_actions a \
     JOIN async_actions o ON o.project_id = a.project_id AND o.serial_group = a.serial_group \
     WHERE a.id = $1 AND o.id <> a.id AND o.status = 'IN_PROGRESS' LIMIT 1";

/// Gives a held action back after a slice: the lease ends now (`$3`) and the action goes
/// behind its project's queue (`queue_place!`). `$1` id, `$2` attempt. Fenced.
pub const REQUEUE: &str = concat!(
    "UPDATE async_actions SET lease_owner = NULL, lease_expires_at = CAST($3 AS BIGINT) - 1, \
       queued_at = ",
    queue_place!("async_actions.project_id", "CAST($3 AS BIGINT)", "async_actions.id"),
    " WHERE id = $1 AND attempt = $2 AND status = 'IN_PROGRESS'"
);

/// Whether any action is runnable at `$1` (what a long action checks before it gives its
/// worker up after a slice).
pub const ANY_RUNNABLE: &str =
    concat!("SELECT r.id FROM (", crate::runnable_arms!("a.id", "$1", "1", ""), ") r LIMIT 1");

/// `$1` action id, `$2` body.
pub const INSERT_PAYLOAD: &str = "INSERT INTO action_payloads (action_id, body) VALUES ($1, $2)";

/// `$1` action id.
pub const SELECT_PAYLOAD: &str = "SELECT body FROM action_payloads WHERE action_id = $1";

/// `$1` project, `$2` id.
pub const SELECT_ACTION: &str =
    concat!("SELECT ", action_columns!(), " FROM async_actions WHERE project_id = $1 AND id = $2",);

/// The columns of an action in a list: [`ACTION_COLUMNS`] with `result` left out (selected as
/// NULL, so the same decoder reads both). The list never shows `result`, and decoding a
/// hundred result documents per page was a quarter of the list's CPU time.
macro_rules! action_list_columns {
    () => {
        "id, project_id, kind, status, progress, attempt, cursor, total_items, \
         done_count, failed_count, request_id, CAST(NULL AS TEXT) AS result, created_at, updated_at"
    };
}

/// The columns of a listed action.
pub const ACTION_LIST_COLUMNS: &str = action_list_columns!();

/// The list query for `filter` (without `result`, see `action_list_columns!`): `$1` project, `$2` before (exclusive), `$3` limit, then the
/// filter's [`ActionFilter::values`] from `$4`. One statement per filter combination (not
/// `$4 IS NULL OR …`), so each gets a plan that can use its index.
pub fn actions_before(filter: &ActionFilter) -> String {
    format!(
        "SELECT {ACTION_LIST_COLUMNS} FROM async_actions WHERE project_id = $1 AND created_at < $2{} \
         ORDER BY created_at DESC, id DESC LIMIT $3",
        filter_conditions(filter, 4)
    )
}

/// The actions created at one instant, for `filter`: `$1` project, `$2` created_at, then the
/// filter's [`ActionFilter::values`] from `$3`.
pub fn actions_at(filter: &ActionFilter) -> String {
    format!(
        "SELECT {ACTION_LIST_COLUMNS} FROM async_actions WHERE project_id = $1 AND created_at = $2{} \
         ORDER BY id DESC",
        filter_conditions(filter, 3)
    )
}

/// The `OFFSET` of page `page` (1-based; 0 counts as 1) of a list of `limit` rows a page.
pub fn page_offset(limit: u32, page: u32) -> i64 {
    i64::from(page.saturating_sub(1)) * i64::from(limit)
}

/// ` AND status = $n AND kind = $n+1`, for the parts of `filter` that are set.
fn filter_conditions(filter: &ActionFilter, first: usize) -> String {
    let columns = [filter.status.map(|_| "status"), filter.kind.map(|_| "kind")];
    columns
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, column)| format!(" AND {column} = ${}", first + i))
        .collect()
}

/// `$1` id, `$2` attempt, `$3` new expiry.
pub const EXTEND_LEASE: &str = "UPDATE async_actions SET lease_expires_at = $3 \
     WHERE id = $1 AND attempt = $2 AND status = 'IN_PROGRESS'";

/// `$1` id, `$2` attempt, `$3` now. The lease ends a millisecond before `now`, so a claim at
/// this very millisecond already finds it expired.
pub const RELEASE_LEASE: &str = "UPDATE async_actions \
     SET lease_owner = NULL, lease_expires_at = CAST($3 AS BIGINT) - 1 \
     WHERE id = $1 AND attempt = $2 AND status = 'IN_PROGRESS'";

/// The fence of a chunk commit, run first in the chunk's transaction. `$1` id, `$2` attempt,
/// `$3` expected cursor, `$4` next cursor, `$5` done delta, `$6` failed delta, `$7` now.
/// Progress is recomputed from the cursor, capped at 99 and never lowered. Returns the
/// project id and the counters with the deltas added, or no row when the fence is stale.
pub const FENCE_CHUNK: &str = "UPDATE async_actions SET \
       cursor = $4, done_count = done_count + $5, failed_count = failed_count + $6, updated_at = $7, \
       progress = CASE \
         WHEN total_items <= 0 THEN progress \
         WHEN (CAST($4 AS BIGINT) * 100) / total_items >= 99 THEN 99 \
         WHEN (CAST($4 AS BIGINT) * 100) / total_items > progress THEN (CAST($4 AS BIGINT) * 100) / total_items \
         ELSE progress END \
     WHERE id = $1 AND attempt = $2 AND status = 'IN_PROGRESS' AND cursor = $3 \
     RETURNING project_id, done_count, failed_count";

/// An action's done and failed counters (`$1` id): read at the end of a chunk's transaction,
/// after the writers moved the items they refused from done to failed, to tell what the chunk
/// added (see [`chunk_counts`]).
pub const SELECT_COUNTERS: &str =
    "SELECT done_count, failed_count FROM async_actions WHERE id = $1";

/// What a chunk added to its action's counters: the counters at the end of its transaction
/// (`after`) minus those before it (what [`FENCE_CHUNK`] returned, less the deltas it added).
pub fn chunk_counts(
    fenced: (i64, i64),
    deltas: (i64, i64),
    after: (i64, i64),
) -> crate::ChunkCounts {
    let added = |after: i64, fenced: i64, delta: i64| (after - (fenced - delta)).max(0) as u64;
    crate::ChunkCounts {
        done: added(after.0, fenced.0, deltas.0),
        failed: added(after.1, fenced.1, deltas.1),
    }
}

/// How many actions of each type have each status, across all projects.
pub const COUNT_ACTIONS: &str =
    "SELECT kind, status, COUNT(*) FROM async_actions GROUP BY kind, status ORDER BY kind, status";

/// Whether the claim's candidate `a` (IN_PROGRESS with a lease in the past, or ENQUEUED) is
/// taken over from a holder whose lease ran out: giving a lease back (release, requeue)
/// clears `lease_owner`, expiring does not. Both backends' claims select it.
#[macro_export]
macro_rules! lease_ran_out {
    () => {
        "(a.status = 'IN_PROGRESS' AND a.lease_owner IS NOT NULL)"
    };
}

/// The runnable actions of a claim, as `a`: the first `$window` ENQUEUED ones in queue order
/// and the first `$window` IN_PROGRESS ones whose lease ended before `$now` (a crashed
/// holder's), each arm from its own partial index (`async_actions_queue`,
/// `async_actions_leases`), each filtered by `serial_group_runnable!` and ending with `$lock`
/// (PostgreSQL's `FOR UPDATE … SKIP LOCKED`: a claimer passes over the rows another one is
/// taking and looks further, instead of picking the same first rows and getting none of
/// them). `$columns` are the columns each arm selects from `a`.
///
/// Two indexes, not one over both statuses: a claimed action leaves the queue's index
/// instead of entering it again as IN_PROGRESS right where the next claim starts (on
/// PostgreSQL, where every claim wrote new entries at the head of one shared index, the
/// entries of finished actions piled up in front of the next claim's scan).
#[macro_export]
#[doc(hidden)]
macro_rules! runnable_arms {
    ($columns:expr, $now:literal, $window:literal, $lock:literal) => {
        concat!(
            "SELECT * FROM (SELECT ",
            $columns,
            " FROM async_actions a WHERE a.status = 'ENQUEUED' AND ",
            $crate::serial_group_runnable!(),
            " ORDER BY a.queued_at, a.id LIMIT ",
            $window,
            $lock,
            ") queued UNION ALL SELECT * FROM (SELECT ",
            $columns,
            " FROM async_actions a WHERE a.status = 'IN_PROGRESS' AND a.lease_expires_at < ",
            $now,
            " AND ",
            $crate::serial_group_runnable!(),
            " ORDER BY a.queued_at, a.id LIMIT ",
            $window,
            $lock,
            ") expired"
        )
    };
}

/// The pick of a batch claim (`Queue::claim_batch`), both backends: `id, lease_expired, turn,
/// queued_at` of up to `$limit` actions, in the order they are to be claimed, among the
/// first `$window` runnable at `$now` in queue order (`runnable_arms!`, with `$lock`), ranked
/// by their turn within their project, then by queue order — so projects take turns within
/// a batch.
#[macro_export]
macro_rules! claim_pick {
    ($now:literal, $window:literal, $limit:literal, $lock:literal) => {
        concat!(
            "SELECT r.id, r.lease_expired, r.turn, r.queued_at FROM (SELECT c.id, c.lease_expired, c.queued_at, \
               ROW_NUMBER() OVER (PARTITION BY c.project_id ORDER BY c.queued_at, c.id) AS turn \
             FROM (SELECT w.* FROM (",
            $crate::runnable_arms!(
                concat!(
                    "a.id, a.project_id, a.queued_at, ",
                    $crate::lease_ran_out!(),
                    " AS lease_expired"
                ),
                $now,
                $window,
                $lock
            ),
            ") w ORDER BY w.queued_at, w.id LIMIT ",
            $window,
            ") c) r ORDER BY r.turn, r.queued_at, r.id LIMIT ",
            $limit
        )
    };
}

/// `$1` id, `$2` attempt, `$3` items left after the stored cursor: the total becomes
/// `cursor + $3`, so progress counts what is left from where the action stands.
pub const SET_REMAINING_ITEMS: &str = "UPDATE async_actions SET total_items = cursor + $3 \
     WHERE id = $1 AND attempt = $2 AND status = 'IN_PROGRESS'";

/// [`FINISH_ACTION`] with `$condition` added to its fence.
macro_rules! finish_action {
    ($condition:literal) => {
        concat!(
            "UPDATE async_actions SET status = $3, \
               progress = CASE WHEN $3 = 'DONE' THEN 100 ELSE progress END, \
               result = $4, lease_owner = NULL, lease_expires_at = NULL, updated_at = $5, \
               finished_at = $5 \
             WHERE id = $1 AND attempt = $2 AND status = 'IN_PROGRESS'",
            $condition,
            " RETURNING project_id"
        )
    };
}

/// `$1` id, `$2` attempt, `$3` final status, `$4` result JSON text, `$5` now. Returns the
/// project id, or no row when the fence is stale.
pub const FINISH_ACTION: &str = finish_action!("");

/// [`FINISH_ACTION`] in a last chunk's transaction, only while the action's counters are `$6`
/// done and `$7` failed: what they are when the store wrote every item as the chunk planned.
/// No row when it refused one (the action then finishes on its own, after the chunk).
pub const FINISH_ACTION_AS_PLANNED: &str =
    finish_action!(" AND done_count = $6 AND failed_count = $7");

/// `$1` action, `$2` line, `$3` key, `$4` found, `$5` updated, `$6` error JSON text or NULL.
pub const INSERT_REPORT_LINE: &str = "INSERT INTO action_report_lines \
     (action_id, line, item_key, found, updated, error) VALUES ($1, $2, $3, $4, $5, $6)";

/// `$1` action, `$2` after line (exclusive), `$3` limit.
pub const SELECT_REPORT_LINES: &str = "SELECT line, item_key, found, updated, error \
     FROM action_report_lines WHERE action_id = $1 AND line > $2 ORDER BY line LIMIT $3";

/// `$1` action, `$2` limit.
pub const SELECT_FAILED_REPORT_LINES: &str = "SELECT line, item_key, found, updated, error \
     FROM action_report_lines WHERE action_id = $1 AND error IS NOT NULL ORDER BY line LIMIT $2";

/// The columns of a customer, in decoding order.
pub const CUSTOMER_COLUMNS: &str = "id, source_id, name, description, email, phone, birthdate, birthday, \
     address, metadata, created_at, updated_at";

/// Insert or overwrite one fully planned customer row. `$1` id, `$2` project, `$3` source_id,
/// `$4` name, `$5` description, `$6` email, `$7` phone, `$8` birthdate, `$9` birthday,
/// `$10` address, `$11` metadata, `$12` created_at, `$13` updated_at.
pub const UPSERT_CUSTOMER: &str = "INSERT INTO customers \
     (id, project_id, source_id, name, description, email, phone, birthdate, birthday, address, \
      metadata, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
     ON CONFLICT (id) DO UPDATE SET source_id = excluded.source_id, name = excluded.name, \
       description = excluded.description, email = excluded.email, phone = excluded.phone, \
       birthdate = excluded.birthdate, birthday = excluded.birthday, address = excluded.address, \
       metadata = excluded.metadata, updated_at = excluded.updated_at";

/// `$1` project, `$2` id or source_id.
pub const SELECT_CUSTOMER: &str = "SELECT id, source_id, name, description, email, phone, birthdate, \
       birthday, address, metadata, created_at, updated_at \
     FROM customers WHERE project_id = $1 AND (id = $2 OR source_id = $2) \
     ORDER BY CASE WHEN id = $2 THEN 0 ELSE 1 END LIMIT 1";

/// `$1` project, `$2` id.
pub const SELECT_CUSTOMER_BY_ID: &str = "SELECT id, source_id, name, description, email, phone, birthdate, \
       birthday, address, metadata, created_at, updated_at \
     FROM customers WHERE project_id = $1 AND id = $2";

/// `$1` project, `$2` limit, `$3` offset.
pub const SELECT_CUSTOMER_PAGE: &str = "SELECT id, source_id, name, description, email, phone, birthdate, \
       birthday, address, metadata, created_at, updated_at \
     FROM customers WHERE project_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3";

/// `$1` project.
pub const COUNT_CUSTOMERS: &str = "SELECT COUNT(*) FROM customers WHERE project_id = $1";

/// `$1` project, `$2` id.
pub const DELETE_CUSTOMER: &str = "DELETE FROM customers WHERE project_id = $1 AND id = $2";

/// `$1` name.
pub const SELECT_PROJECT: &str = "SELECT id FROM projects WHERE name = $1";

/// `$1` id, `$2` name, `$3` now. Does nothing when the name exists.
pub const INSERT_PROJECT: &str = "INSERT INTO projects (id, name, created_at) VALUES ($1, $2, $3) \
     ON CONFLICT (name) DO NOTHING";

/// `$1` app id, `$2` project, `$3` token hash, `$4` now.
pub const UPSERT_CREDENTIAL: &str = "INSERT INTO credentials (app_id, project_id, token_hash, created_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (app_id) DO UPDATE SET project_id = excluded.project_id, \
       token_hash = excluded.token_hash";

/// `$1` app id.
pub const SELECT_CREDENTIAL: &str =
    "SELECT project_id, token_hash FROM credentials WHERE app_id = $1";

/// `$1` project.
pub const COUNT_CREDENTIALS: &str = "SELECT COUNT(*) FROM credentials WHERE project_id = $1";

/// `$1` upload (action id), `$2` part number, `$3` bytes.
pub const INSERT_UPLOAD_PART: &str =
    "INSERT INTO action_uploads (action_id, part, bytes) VALUES ($1, $2, $3)";

/// `$1` upload, `$2` part number.
pub const SELECT_UPLOAD_PART: &str =
    "SELECT bytes FROM action_uploads WHERE action_id = $1 AND part = $2";

/// `$1` upload.
pub const DELETE_UPLOAD: &str = "DELETE FROM action_uploads WHERE action_id = $1";

/// Takes `$2` items of action `$1` off its done count: objects a purge or a campaign delete chunk named that no
/// longer had the key (or no longer existed) when the chunk committed.
pub const UNCOUNT_DONE: &str =
    "UPDATE async_actions SET done_count = done_count - $2 WHERE id = $1";

/// Moves `$2` items of action `$1` from done to failed (duplicates found while writing).
pub const MOVE_DONE_TO_FAILED: &str = "UPDATE async_actions \
     SET done_count = done_count - $2, failed_count = failed_count + $2 WHERE id = $1";

/// Insert or replace a project's schema for one resource. `$1` new id, `$2` project,
/// `$3` related object, `$4` definition JSON text, `$5` now. Returns the stored row.
pub const UPSERT_METADATA_SCHEMA: &str = "INSERT INTO metadata_schemas \
     (id, project_id, related_object, definition, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, NULL) \
     ON CONFLICT (project_id, related_object) DO UPDATE SET definition = excluded.definition, \
       updated_at = excluded.created_at \
     RETURNING id, definition, created_at, updated_at";

/// `$1` project, `$2` related object.
pub const SELECT_METADATA_SCHEMA: &str = "SELECT id, definition, created_at, updated_at \
     FROM metadata_schemas WHERE project_id = $1 AND related_object = $2";

/// `$1` project.
pub const SELECT_METADATA_SCHEMAS: &str = "SELECT id, definition, created_at, updated_at \
     FROM metadata_schemas WHERE project_id = $1 ORDER BY related_object";

/// `$1` project, `$2` related object.
pub const DELETE_METADATA_SCHEMA: &str =
    "DELETE FROM metadata_schemas WHERE project_id = $1 AND related_object = $2";
