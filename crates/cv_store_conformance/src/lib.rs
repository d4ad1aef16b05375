//! The backend conformance suite: one story per behaviour, run against SQLite and PostgreSQL
//! by each backend crate's `tests/conformance.rs` through [`crate::conformance_tests!`]. A
//! backend is correct when every function here passes on a freshly migrated, empty store.

mod batch;
mod campaigns;
mod changes;
mod control;
mod filters;
mod metadata_purge;
mod oauth;
mod orders;
mod products;
mod queue;
mod resources;
mod vouchers;
mod webhooks;

use cv_domain::{
    ActionId, ActionKind, ActionResult, CustomerPatch, ProjectId, RequestId, Timestamp,
    customer::Field,
    payload::{CustomersBulkUpdate, CustomersImportCsv, OrdersImport, ProductsImportCsv, Upload},
};

use cv_store::{Item, NewAction, Store};

pub use batch::*;
pub use campaigns::*;
pub use changes::*;
pub use control::*;
pub use filters::*;
pub use metadata_purge::*;
pub use oauth::*;
pub use orders::*;
pub use products::*;
pub use queue::*;
pub use resources::*;
pub use vouchers::*;
pub use webhooks::*;

pub(crate) const LEASE: i64 = 30_000;

pub(crate) fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(1_700_000_000_000 + ms)
}

pub(crate) async fn project(store: &dyn Store, name: &str) -> ProjectId {
    store.ensure_project(name, t(0)).await.expect("ensure project")
}

pub(crate) async fn enqueue(
    store: &dyn Store,
    project: &ProjectId,
    created_at: Timestamp,
    total: u64,
) -> ActionId {
    let id = ActionId::generate();
    store.create_action(new_action(&id, project, created_at, total)).await.expect("create action");
    id
}

/// A `CUSTOMERS.BULK_UPDATE` of `total` items (its payload lists none; stores do not read it).
pub(crate) fn new_action(
    id: &ActionId,
    project: &ProjectId,
    created_at: Timestamp,
    total: u64,
) -> NewAction {
    new_action_of(ActionKind::CustomersBulkUpdate, id, project, created_at, total)
}

/// An action of `kind` of `total` items, with an empty payload of its type (stores do not read
/// payloads). Covers the types the suite enqueues.
pub(crate) fn new_action_of(
    kind: ActionKind,
    id: &ActionId,
    project: &ProjectId,
    created_at: Timestamp,
    total: u64,
) -> NewAction {
    let (id, project, request) = (id.clone(), project.clone(), RequestId::generate());
    let upload = Upload { parts: 0, bytes: 0, rows: total };
    let new = match kind {
        ActionKind::CustomersBulkUpdate => {
            let payload = CustomersBulkUpdate { customers: Vec::new() };
            NewAction::new(id, project, request, &payload, total, created_at)
        }
        ActionKind::CustomersImportCsv => {
            let payload = CustomersImportCsv { upload };
            NewAction::new(id, project, request, &payload, total, created_at)
        }
        ActionKind::ProductsImportCsv => {
            let payload = ProductsImportCsv { upload };
            NewAction::new(id, project, request, &payload, total, created_at)
        }
        ActionKind::OrdersImport => {
            let payload = OrdersImport { orders: Vec::new() };
            NewAction::new(id, project, request, &payload, total, created_at)
        }
        other => panic!("the conformance suite enqueues no {other}"),
    };
    new.expect("a payload")
}

/// A result that ends an action DONE.
pub(crate) fn done() -> ActionResult {
    ActionResult::count("Done.".to_owned(), 0)
}

/// A result that ends an action FAILED.
pub(crate) fn failure() -> ActionResult {
    ActionResult::failure("action_failed", "Failed.".to_owned())
}

pub(crate) fn patch(source_id: &str, name: &str) -> Item<CustomerPatch> {
    Item::Write(CustomerPatch {
        source_id: Some(source_id.to_owned()),
        name: Field::Set(name.to_owned()),
        ..Default::default()
    })
}

/// Generates one `#[tokio::test]` per conformance case. `$fresh` is an async fn returning
/// `Arc<dyn Store>`, a freshly migrated, empty store. Attributes after it go on every test,
/// e.g. `#[cfg_attr(…, ignore = "…")]` for a backend that is not configured on this machine.
#[macro_export]
macro_rules! conformance_tests {
    ($fresh:path $(, #[$attr:meta])* $(,)?) => {
        $crate::conformance_tests!(@cases $fresh; [$(#[$attr])*];
            claim_race_has_exactly_one_winner,
            expired_lease_is_reclaimed_with_next_attempt,
            actions_are_counted_by_type_and_status,
            stale_attempt_commit_changes_nothing,
            chunk_commit_is_atomic,
            list_pages_never_skip_or_repeat,
            listed_actions_leave_out_the_result,
            projects_are_isolated,
            customers_round_trip,
            released_lease_is_claimable_at_once,
            claims_follow_the_queue,
            batch_claims_take_turns_across_projects,
            crash_inside_a_claimed_batch_loses_and_repeats_nothing,
            cancel_inside_a_batch_stops_at_its_chunk_boundary,
            imports_replace_profiles_and_reject_repeated_rows,
            upload_parts_round_trip,
            metadata_schemas_round_trip,
            products_and_skus_round_trip,
            product_and_sku_imports_follow_voucherify_rules,
            products_are_isolated_between_projects,
            vouchers_round_trip,
            voucher_chunks_follow_voucherify_rules,
            vouchers_are_isolated_between_projects,
            campaigns_round_trip,
            cancellation_follows_the_holder,
            maintenance_lease_has_one_holder,
            retention_deletes_only_old_finished_actions,
            oauth_tokens_respect_the_live_limit,
            oauth_token_limit_holds_under_concurrency,
            oauth_tokens_expire_and_are_revoked,
            oauth_tokens_are_isolated_between_projects,
            metadata_key_purges_remove_only_the_named_key,
            metadata_key_purge_chunks_are_fenced_and_counted,
            order_imports_upsert_references_and_replace_orders,
            serial_group_actions_run_one_at_a_time,
            serial_group_claim_race_starts_one_import,
            list_filters_page_by_end_date,
            action_changes_follow_every_committed_write,
            write_generation_moves_with_every_write,
            webhook_endpoints_round_trip_per_project,
            finishing_an_action_queues_its_deliveries_atomically,
            delivery_claims_are_exclusive_and_leased,
            delivery_attempts_schedule_retries_and_end
        );
    };
    (@cases $fresh:path; $attrs:tt; $($case:ident),* $(,)?) => {
        $(
            $crate::conformance_tests!(@case $fresh; $attrs; $case);
        )*
    };
    (@case $fresh:path; [$(#[$attr:meta])*]; $case:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        $(#[$attr])*
        async fn $case() {
            $crate::$case($fresh().await).await;
        }
    };
}
