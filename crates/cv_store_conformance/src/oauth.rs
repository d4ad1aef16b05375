//! OAuth tokens: the per-project live-token limit (also under concurrent inserts), expiry,
//! revocation, project isolation, and tokens stopping with the app key that issued them.

use std::sync::Arc;

use cv_domain::{OAuthToken, ProjectId, Scopes, Timestamp};

use cv_store::{Store, TokenInsert};

use super::{project, t};

/// Lifetime of the tokens these cases issue.
const TTL: i64 = 900_000;

/// A token of `project` issued by `client` at `at`, expiring [`TTL`] later.
fn token(project: &ProjectId, client: &str, hash: &str, at: Timestamp) -> OAuthToken {
    OAuthToken {
        token_hash: hash.to_owned(),
        project_id: project.clone(),
        client_id: client.to_owned(),
        scopes: Scopes::parse("customers vouchers").expect("scopes"),
        created_at: at,
        expires_at: at.plus_millis(TTL),
    }
}

/// A project called `name` with the app key `app-<name>`.
async fn project_with_key(store: &dyn Store, name: &str) -> (ProjectId, String) {
    let p = project(store, name).await;
    let app_id = format!("app-{name}");
    store.put_credential(&p, &app_id, "hash", t(0)).await.expect("credential");
    (p, app_id)
}

async fn insert(store: &dyn Store, token: &OAuthToken, now: Timestamp, limit: u32) -> TokenInsert {
    store.insert_oauth_token(token, now, limit).await.expect("insert token")
}

/// At most `limit` live tokens per project: the next insert stores nothing and names the
/// earliest expiry; a revoked or expired token frees its slot.
pub async fn oauth_tokens_respect_the_live_limit(store: Arc<dyn Store>) {
    let (p, app) = project_with_key(&*store, "default").await;
    for i in 0..3 {
        let tok = token(&p, &app, &format!("h{i}"), t(i * 1000));
        assert_eq!(insert(&*store, &tok, t(i * 1000), 3).await, TokenInsert::Inserted);
    }
    let refused = insert(&*store, &token(&p, &app, "h3", t(5000)), t(5000), 3).await;
    assert_eq!(refused, TokenInsert::LimitReached { next_expiry: t(TTL) });
    assert_eq!(store.find_oauth_token("h3", t(5000)).await.expect("find"), None);
    assert_eq!(store.count_live_oauth_tokens(&p, t(5000)).await.expect("count"), 3);

    assert!(store.revoke_oauth_token(&p, "h1", t(6000)).await.expect("revoke"));
    assert_eq!(store.count_live_oauth_tokens(&p, t(6000)).await.expect("count"), 2);
    assert_eq!(
        insert(&*store, &token(&p, &app, "h4", t(6000)), t(6000), 3).await,
        TokenInsert::Inserted
    );
    let refused = insert(&*store, &token(&p, &app, "h5", t(7000)), t(7000), 3).await;
    assert_eq!(refused, TokenInsert::LimitReached { next_expiry: t(TTL) });

    // h0 expires at TTL exactly: from then on it no longer counts.
    assert_eq!(store.count_live_oauth_tokens(&p, t(TTL)).await.expect("count"), 2);
    assert_eq!(
        insert(&*store, &token(&p, &app, "h5", t(TTL)), t(TTL), 3).await,
        TokenInsert::Inserted
    );
    let refused = insert(&*store, &token(&p, &app, "h6", t(TTL + 1)), t(TTL + 1), 3).await;
    assert_eq!(refused, TokenInsert::LimitReached { next_expiry: t(2000 + TTL) });
}

/// Concurrent inserts never take a project past its limit.
pub async fn oauth_token_limit_holds_under_concurrency(store: Arc<dyn Store>) {
    let (p, app) = project_with_key(&*store, "default").await;
    let barrier = Arc::new(tokio::sync::Barrier::new(24));
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let (store, barrier) = (store.clone(), barrier.clone());
            let tok = token(&p, &app, &format!("race{i}"), t(0));
            tokio::spawn(async move {
                barrier.wait().await;
                store.insert_oauth_token(&tok, t(0), 5).await.expect("insert")
            })
        })
        .collect();
    let mut inserted = 0;
    for task in tasks {
        if task.await.expect("task") == TokenInsert::Inserted {
            inserted += 1;
        }
    }
    assert_eq!(inserted, 5);
    assert_eq!(store.count_live_oauth_tokens(&p, t(0)).await.expect("count"), 5);
}

/// A token is found while live, with everything it was stored with; not at or after its
/// expiry, not once revoked, and a second revocation (or one after expiry) finds nothing.
pub async fn oauth_tokens_expire_and_are_revoked(store: Arc<dyn Store>) {
    let (p, app) = project_with_key(&*store, "default").await;
    let tok = token(&p, &app, "live", t(0));
    insert(&*store, &tok, t(0), 1000).await;
    assert_eq!(store.find_oauth_token("live", t(TTL - 1)).await.expect("find"), Some(tok.clone()));
    assert_eq!(store.find_oauth_token("live", t(TTL)).await.expect("find"), None);
    assert_eq!(store.find_oauth_token("other", t(0)).await.expect("find"), None);
    assert!(!store.revoke_oauth_token(&p, "live", t(TTL)).await.expect("revoke expired"));

    let second = token(&p, &app, "second", t(10));
    insert(&*store, &second, t(10), 1000).await;
    assert!(store.revoke_oauth_token(&p, "second", t(20)).await.expect("revoke"));
    assert_eq!(store.find_oauth_token("second", t(30)).await.expect("find"), None);
    assert!(!store.revoke_oauth_token(&p, "second", t(30)).await.expect("revoke again"));

    // Tokens stop when their app key leaves the project (here: is given to another one).
    let third = token(&p, &app, "third", t(40));
    insert(&*store, &third, t(40), 1000).await;
    assert!(store.find_oauth_token("third", t(50)).await.expect("find").is_some());
    let other = project(&*store, "other").await;
    store.put_credential(&other, &app, "hash", t(60)).await.expect("move key");
    assert_eq!(store.find_oauth_token("third", t(70)).await.expect("find"), None);
}

/// Limits count per project, and one project cannot revoke another's token.
pub async fn oauth_tokens_are_isolated_between_projects(store: Arc<dyn Store>) {
    let (p, app_p) = project_with_key(&*store, "default").await;
    let (q, app_q) = project_with_key(&*store, "other").await;
    assert_eq!(
        insert(&*store, &token(&p, &app_p, "p1", t(0)), t(0), 1).await,
        TokenInsert::Inserted
    );
    assert_eq!(
        insert(&*store, &token(&q, &app_q, "q1", t(0)), t(0), 1).await,
        TokenInsert::Inserted
    );
    assert!(matches!(
        insert(&*store, &token(&p, &app_p, "p2", t(1)), t(1), 1).await,
        TokenInsert::LimitReached { .. }
    ));
    assert!(!store.revoke_oauth_token(&q, "p1", t(2)).await.expect("revoke elsewhere"));
    let found = store.find_oauth_token("p1", t(3)).await.expect("find").expect("still live");
    assert_eq!((found.project_id, found.client_id), (p.clone(), app_p));
    let found = store.find_oauth_token("q1", t(3)).await.expect("find").expect("live");
    assert_eq!(found.project_id, q.clone());
    assert_eq!(store.count_live_oauth_tokens(&p, t(3)).await.expect("count"), 1);
    assert_eq!(store.count_live_oauth_tokens(&q, t(3)).await.expect("count"), 1);
}
