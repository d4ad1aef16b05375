//! The one route table, and beside it the one table of which OAuth scope covers which path.

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::Uri,
    middleware,
    routing::{get, post},
};

use crate::{ApiError, AppState, auth, limits, metrics, rate_limit, request_id, routes};

/// The whole HTTP API over `state`.
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/v1/async-actions", get(routes::async_actions::list))
        .route("/v1/async-actions/{id}", get(routes::async_actions::get))
        .route("/v1/async-actions/{id}/events", get(routes::async_action_events::events))
        .route("/v1/async-actions/{id}/report", get(routes::async_actions::report))
        .route("/v1/async-actions/{id}/cancel", post(routes::async_actions::cancel))
        .route("/v1/campaigns", get(routes::campaigns::list).post(routes::campaigns::create))
        .route(
            "/v1/campaigns/{id}",
            get(routes::campaigns::get)
                .put(routes::campaign_changes::update)
                .delete(routes::campaign_changes::delete),
        )
        .route("/v1/campaigns/{id}/vouchers", post(routes::campaigns::add_vouchers))
        .route("/v1/campaigns/{id}/import", post(routes::campaigns_async::import))
        .route(
            "/v1/campaigns/{id}/importCSV",
            post(routes::campaigns_async::import_csv).layer(DefaultBodyLimit::disable()),
        )
        .route("/v1/customers", get(routes::customers::list).post(routes::customers::create))
        .route(
            "/v1/customers/{id}",
            get(routes::customers::get)
                .put(routes::customers::update)
                .delete(routes::customers::delete),
        )
        .route("/v1/customers/bulk/async", post(routes::customers_async::bulk_update))
        .route(
            "/v1/customers/importCSV",
            post(routes::customers_async::import_csv).layer(DefaultBodyLimit::disable()),
        )
        .route("/v1/customers/metadata/async", post(routes::customers_async::metadata_update))
        .route("/v1/products", get(routes::products::list).post(routes::products::create))
        .route(
            "/v1/products/{id}",
            get(routes::products::get)
                .put(routes::products::update)
                .delete(routes::products::delete),
        )
        .route(
            "/v1/products/{id}/skus",
            get(routes::products::list_skus).post(routes::products::create_sku),
        )
        .route("/v1/products/bulk/async", post(routes::products_async::bulk_update))
        .route("/v1/products/metadata/async", post(routes::products_async::metadata_update))
        .route(
            "/v1/products/importCSV",
            post(routes::products_async::import_csv).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/v1/skus/importCSV",
            post(routes::products_async::import_skus_csv).layer(DefaultBodyLimit::disable()),
        )
        .route("/v1/skus/{id}", get(routes::skus::get))
        .route("/v1/vouchers", get(routes::vouchers::list))
        .route("/v1/vouchers/{code}", get(routes::vouchers::get))
        .route("/v1/vouchers/import", post(routes::vouchers_async::import))
        .route(
            "/v1/vouchers/importCSV",
            post(routes::vouchers_async::import_csv).layer(DefaultBodyLimit::disable()),
        )
        .route("/v1/vouchers/bulk/async", post(routes::vouchers_async::bulk_update))
        .route("/v1/vouchers/metadata/async", post(routes::vouchers_async::metadata_update))
        .route("/v1/orders", get(routes::orders::list))
        .route("/v1/orders/import", post(routes::orders::import))
        .route("/v1/orders/{id}", get(routes::orders::get))
        .route(
            "/v1/metadata-schemas",
            get(routes::metadata_schemas::list).post(routes::metadata_schemas::create),
        )
        .route(
            "/v1/metadata-schemas/{resource}",
            get(routes::metadata_schemas::get)
                .put(routes::metadata_schemas::put)
                .delete(routes::metadata_schemas::delete),
        )
        .route("/v1/metadata-schemas/{resource}/purge", post(routes::metadata_schemas::purge))
        .route("/v1/webhooks", get(routes::webhooks::list).post(routes::webhooks::create))
        .route("/v1/webhooks/{id}", get(routes::webhooks::get).delete(routes::webhooks::delete))
        .route("/v1/webhooks/{id}/deliveries", get(routes::webhooks::deliveries))
        // Layers run outside in: authentication, then the rate limit of the chosen project.
        .route_layer(middleware::from_fn_with_state(state.clone(), rate_limit::enforce))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::authenticate));
    // The OAuth endpoints take app keys only: a bearer token cannot issue, inspect or revoke.
    let oauth = Router::new()
        .route("/v1/oauth/token", post(routes::oauth::token))
        .route("/v1/oauth/introspect", post(routes::oauth::introspect))
        .route("/v1/oauth/token/revoke", post(routes::oauth::revoke))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require_app_key));
    let routes = Router::new()
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        // Operators' metrics: no project credentials (an optional token of their own).
        .route("/metrics", get(routes::metrics::scrape))
        // The dashboard's page and files need no credentials: they hold no data.
        .route("/dashboard", get(routes::dashboard::index))
        .route("/dashboard/", get(routes::dashboard::index))
        .route("/dashboard/{file}", get(routes::dashboard::asset))
        .merge(v1)
        .merge(oauth)
        .route_layer(middleware::from_fn_with_state(state.clone(), limits::time_limit))
        .fallback(no_route)
        // Outside every route's own layers, so 401s, 429s and 408s are counted too.
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .with_state(state);
    // The request-id layer wraps the finished router as one service: axum adds the `Allow`
    // header of a 405 outside per-route layers, and this layer needs to read it.
    Router::new().fallback_service(routes).layer(middleware::from_fn(request_id::layer))
}

/// Which OAuth scope lets a bearer token call a path: the entry whose prefix is the path or
/// one of its parent paths (`/v1/skus` covers `/v1/skus` and `/v1/skus/…`, not `/v1/skusx`).
/// The `api` scope covers every path, and a path no entry covers needs `api`. Prefixes, not
/// routes, so that routes added under a prefix are covered as they come. Voucherify has no
/// scope for webhooks, so `/v1/webhooks` needs `api`.
pub const SCOPE_BY_PATH: &[(&str, &str)] = &[
    ("/v1/async-actions", "async-actions"),
    ("/v1/campaigns", "campaigns"),
    ("/v1/customers", "customers"),
    ("/v1/metadata-schemas", "metadata-schemas"),
    ("/v1/orders", "orders"),
    ("/v1/products", "products"),
    ("/v1/skus", "skus"),
    ("/v1/vouchers", "vouchers"),
];

/// The scope (besides `api`) that covers `path`, from [`SCOPE_BY_PATH`].
pub fn scope_for(path: &str) -> Option<&'static str> {
    SCOPE_BY_PATH.iter().find_map(|(prefix, scope)| {
        let rest = path.strip_prefix(prefix)?;
        (rest.is_empty() || rest.starts_with('/')).then_some(*scope)
    })
}

async fn no_route(uri: Uri) -> ApiError {
    ApiError::NoRoute(format!("Cannot find route {}", uri.path()))
}

#[cfg(test)]
mod tests {
    use cv_domain::oauth::SCOPE_NAMES;

    use super::*;

    #[test]
    fn every_scope_in_the_path_table_is_a_voucherify_scope() {
        for (prefix, scope) in SCOPE_BY_PATH {
            assert!(SCOPE_NAMES.contains(scope), "{prefix} → {scope}");
        }
    }

    #[test]
    fn paths_map_to_the_scope_of_their_prefix_segment() {
        let cases = [
            ("/v1/async-actions", Some("async-actions")),
            ("/v1/async-actions/aa_1/report", Some("async-actions")),
            ("/v1/customers/bulk/async", Some("customers")),
            ("/v1/products/prod_1/skus", Some("products")),
            ("/v1/skus/importCSV", Some("skus")),
            ("/v1/skus", Some("skus")),
            ("/v1/vouchers/importCSV", Some("vouchers")),
            ("/v1/campaigns/camp_1/vouchers", Some("campaigns")),
            ("/v1/orders/import", Some("orders")),
            ("/v1/metadata-schemas/customer/purge", Some("metadata-schemas")),
            ("/v1/skusx", None),
            ("/v1/customer", None),
            ("/v1/oauth/token", None),
            ("/v1/webhooks/wh_1/deliveries", None),
            ("/v2/customers", None),
        ];
        for (path, scope) in cases {
            assert_eq!(scope_for(path), scope, "{path}");
        }
    }
}
