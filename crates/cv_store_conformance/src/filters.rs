//! The action list's extra filters (`status`, `type`).

use std::sync::Arc;

use cv_domain::{ActionId, ActionKind, ActionStatus, ProjectId, Timestamp};

use cv_store::{ActionFilter, ActionPages, ActionRecord, Store};

use super::{LEASE, done, failure, new_action_of, project, t};

async fn create(
    store: &dyn Store,
    project: &ProjectId,
    at: Timestamp,
    kind: ActionKind,
) -> ActionId {
    let id = ActionId::generate();
    store.create_action(new_action_of(kind, &id, project, at, 0)).await.expect("create action");
    id
}

/// Pages of `filter` through `end_date`, `limit` at a time, until `has_more` is false.
async fn walk(
    store: &dyn Store,
    p: &ProjectId,
    filter: &ActionFilter,
    limit: u32,
) -> Vec<ActionId> {
    let (mut seen, mut end_date) = (Vec::new(), None);
    for _ in 0..50 {
        let page = store.list_actions_filtered(p, filter, end_date, limit).await.expect("page");
        seen.extend(page.actions.iter().map(|a| a.id.clone()));
        if !page.has_more {
            return seen;
        }
        end_date = page.actions.last().map(|a| a.created_at);
    }
    panic!("{filter:?} limit {limit}: paging never ended");
}

/// Filtering by status and type returns exactly the matching actions of the project, newest
/// first, and `end_date` paging of a filtered list, at any limit, returns each of them once,
/// even across groups sharing one `created_at`.
pub async fn list_filters_page_by_end_date(store: Arc<dyn Store>) {
    let p = project(&*store, "default").await;
    let other = project(&*store, "other").await;
    let kinds = [ActionKind::CustomersBulkUpdate, ActionKind::ProductsImportCsv];
    // created_at offsets with tie groups (3 at 5, 3 at 9, 2 at 3); kinds alternate.
    let times = [1, 3, 3, 5, 5, 5, 7, 9, 9, 9, 11, 13];
    let mut ids = Vec::new();
    for (i, at) in times.into_iter().enumerate() {
        ids.push(create(&*store, &p, t(at), kinds[i % 2]).await);
        // The other project has actions of the same types at the same instants; all FAILED,
        // so that the claims below take only this project's.
        let theirs = create(&*store, &other, t(at), kinds[i % 2]).await;
        assert!(store.cancel_idle(&other, &theirs, 0, 0, t(20), &failure()).await.expect("cancel"));
    }
    // Statuses: three FAILED (cancelled while queued), the four oldest runnable DONE and the
    // next IN_PROGRESS (claims take the oldest first), the rest ENQUEUED.
    for i in [2, 5, 9] {
        assert!(store.cancel_idle(&p, &ids[i], 0, 0, t(20), &failure()).await.expect("cancel"));
    }
    for n in 0..5 {
        let claimed = store.claim_next("w", t(30), LEASE).await.expect("claim").expect("claimed");
        if n < 4 {
            store.finish_action(&claimed.fence, t(31), &done(), None).await.expect("finish");
        }
    }
    let all: Vec<ActionRecord> = store.list_actions(&p, None, 100).await.expect("all").actions;
    assert_eq!(all.len(), times.len());
    let statuses = [
        ActionStatus::Enqueued,
        ActionStatus::InProgress,
        ActionStatus::Done,
        ActionStatus::Failed,
    ];
    for status in statuses {
        assert!(all.iter().any(|a| a.status == status), "the fixture has a {status:?} action");
    }
    let filters: Vec<ActionFilter> = statuses
        .into_iter()
        .map(Some)
        .chain([None])
        .flat_map(|status| {
            kinds.into_iter().map(Some).chain([None]).map(move |kind| ActionFilter { status, kind })
        })
        .collect();
    for filter in filters.iter().copied() {
        let expected: Vec<ActionId> = all
            .iter()
            .filter(|a| filter.status.is_none_or(|s| a.status == s))
            .filter(|a| filter.kind.is_none_or(|k| a.kind == k))
            .map(|a| a.id.clone())
            .collect();
        for limit in 1..=4 {
            assert_eq!(
                walk(&*store, &p, &filter, limit).await,
                expected,
                "{filter:?} limit {limit}"
            );
        }
        let before =
            store.list_actions_filtered(&p, &filter, Some(t(9)), 100).await.expect("before");
        assert!(before.actions.iter().all(|a| a.created_at < t(9)), "end_date is strictly before");
        let expected_before =
            all.iter().filter(|a| a.created_at < t(9) && expected.contains(&a.id)).count();
        assert_eq!(before.actions.len(), expected_before, "{filter:?} before t(9)");
    }
    let (mut empty, mut nonempty) = (0, 0);
    for filter in filters {
        let matching = all.iter().filter(|a| filter.status.is_none_or(|s| a.status == s));
        match matching.filter(|a| filter.kind.is_none_or(|k| a.kind == k)).count() {
            0 => empty += 1,
            _ => nonempty += 1,
        }
    }
    assert!(empty > 0 && nonempty > 0, "some filters match nothing, others something");
}
