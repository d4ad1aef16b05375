//! The one route table, and beside it the one table of which OAuth scope covers which path.

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::Uri,
    middleware,
    routing::{MethodFilter, MethodRouter, on},
};

use crate::{ApiError, AppState, auth, limits, metrics, rate_limit, request_id, routes};

/// An HTTP method a route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `GET` (and so `HEAD`).
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
}

impl Verb {
    /// The method's name in upper case, as HTTP writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Delete => "DELETE",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Put => MethodFilter::PUT,
            Verb::Delete => MethodFilter::DELETE,
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health checks, the dashboard's files, the OpenAPI document.
    Public,
    /// An app key or an OAuth bearer token, within the project's rate limit.
    Api,
    /// An app key only: the OAuth endpoints (a bearer token cannot issue, inspect or revoke).
    AppKey,
}

/// One route of the API: the router is built from [`ROUTES`] alone.
#[derive(Clone, Copy)]
pub struct Route {
    /// The method.
    pub verb: Verb,
    /// The path template, in axum's (and OpenAPI's) `{param}` syntax.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// Whether its calls create async actions and so count in the project's bulk bucket
    /// (Voucherify's "bulk API calls"; see [`crate::rate_limit`]).
    pub bulk: bool,
    handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({:?})", self.verb.as_str(), self.path, self.access)
    }
}

macro_rules! route {
    ($verb:ident $path:literal, $access:ident, $handler:path) => {
        route!(@ $verb $path, $access, $handler, false)
    };
    ($verb:ident $path:literal, $access:ident, $handler:path, bulk) => {
        route!(@ $verb $path, $access, $handler, true)
    };
    (@ $verb:ident $path:literal, $access:ident, $handler:path, $bulk:expr) => {
        Route {
            verb: Verb::$verb,
            path: $path,
            access: Access::$access,
            bulk: $bulk,
            handler: |filter| on(filter, $handler),
        }
    };
}

/// Every route the server answers. A test checks that each is in the OpenAPI document
/// (`crate::openapi`), apart from [`UNDOCUMENTED`].
pub const ROUTES: &[Route] = &[
    route!(Get "/healthz", Public, routes::health::healthz),
    route!(Get "/readyz", Public, routes::health::readyz),
    route!(Get "/openapi.json", Public, routes::openapi::document),
    // Operators' metrics: no project credentials (an optional token of their own).
    route!(Get "/metrics", Public, routes::metrics::scrape),
    // The dashboard's page and files need no credentials: they hold no data.
    route!(Get "/dashboard", Public, routes::dashboard::index),
    route!(Get "/dashboard/", Public, routes::dashboard::index),
    route!(Get "/dashboard/{file}", Public, routes::dashboard::asset),
    route!(Get "/v1/async-actions", Api, routes::async_actions::list),
    route!(Get "/v1/async-actions/{id}", Api, routes::async_actions::get),
    route!(Get "/v1/async-actions/{id}/events", Api, routes::async_action_events::events),
    route!(Get "/v1/async-actions/{id}/report", Api, routes::async_actions::report),
    route!(Post "/v1/async-actions/{id}/cancel", Api, routes::async_actions::cancel),
    route!(Get "/v1/campaigns", Api, routes::campaigns::list),
    route!(Post "/v1/campaigns", Api, routes::campaigns::create),
    route!(Get "/v1/campaigns/{id}", Api, routes::campaigns::get),
    route!(Put "/v1/campaigns/{id}", Api, routes::campaign_changes::update),
    route!(Delete "/v1/campaigns/{id}", Api, routes::campaign_changes::delete),
    route!(Post "/v1/campaigns/{id}/vouchers", Api, routes::campaigns::add_vouchers),
    route!(Post "/v1/campaigns/{id}/import", Api, routes::campaigns_async::import, bulk),
    route!(Post "/v1/campaigns/{id}/importCSV", Api, routes::campaigns_async::import_csv, bulk),
    route!(Get "/v1/customers", Api, routes::customers::list),
    route!(Post "/v1/customers", Api, routes::customers::create),
    route!(Get "/v1/customers/{id}", Api, routes::customers::get),
    route!(Put "/v1/customers/{id}", Api, routes::customers::update),
    route!(Delete "/v1/customers/{id}", Api, routes::customers::delete),
    route!(Post "/v1/customers/bulk/async", Api, routes::customers_async::bulk_update, bulk),
    route!(Post "/v1/customers/importCSV", Api, routes::customers_async::import_csv, bulk),
    route!(Post "/v1/customers/metadata/async", Api, routes::customers_async::metadata_update, bulk),
    route!(Get "/v1/products", Api, routes::products::list),
    route!(Post "/v1/products", Api, routes::products::create),
    route!(Get "/v1/products/{id}", Api, routes::products::get),
    route!(Put "/v1/products/{id}", Api, routes::products::update),
    route!(Delete "/v1/products/{id}", Api, routes::products::delete),
    route!(Get "/v1/products/{id}/skus", Api, routes::products::list_skus),
    route!(Post "/v1/products/{id}/skus", Api, routes::products::create_sku),
    route!(Post "/v1/products/bulk/async", Api, routes::products_async::bulk_update, bulk),
    route!(Post "/v1/products/metadata/async", Api, routes::products_async::metadata_update, bulk),
    route!(Post "/v1/products/importCSV", Api, routes::products_async::import_csv, bulk),
    route!(Post "/v1/skus/importCSV", Api, routes::products_async::import_skus_csv, bulk),
    route!(Get "/v1/skus/{id}", Api, routes::skus::get),
    route!(Get "/v1/vouchers", Api, routes::vouchers::list),
    route!(Get "/v1/vouchers/{code}", Api, routes::vouchers::get),
    route!(Post "/v1/vouchers/import", Api, routes::vouchers_async::import, bulk),
    route!(Post "/v1/vouchers/importCSV", Api, routes::vouchers_async::import_csv, bulk),
    route!(Post "/v1/vouchers/bulk/async", Api, routes::vouchers_async::bulk_update, bulk),
    route!(Post "/v1/vouchers/metadata/async", Api, routes::vouchers_async::metadata_update, bulk),
    route!(Get "/v1/orders", Api, routes::orders::list),
    route!(Post "/v1/orders/import", Api, routes::orders::import, bulk),
    route!(Get "/v1/orders/{id}", Api, routes::orders::get),
    route!(Get "/v1/metadata-schemas", Api, routes::metadata_schemas::list),
    route!(Post "/v1/metadata-schemas", Api, routes::metadata_schemas::create),
    route!(Get "/v1/metadata-schemas/{resource}", Api, routes::metadata_schemas::get),
    route!(Put "/v1/metadata-schemas/{resource}", Api, routes::metadata_schemas::put),
    route!(Delete "/v1/metadata-schemas/{resource}", Api, routes::metadata_schemas::delete),
    route!(Post "/v1/metadata-schemas/{resource}/purge", Api, routes::metadata_schemas::purge, bulk),
    route!(Get "/v1/webhooks", Api, routes::webhooks::list),
    route!(Post "/v1/webhooks", Api, routes::webhooks::create),
    route!(Get "/v1/webhooks/{id}", Api, routes::webhooks::get),
    route!(Delete "/v1/webhooks/{id}", Api, routes::webhooks::delete),
    route!(Get "/v1/webhooks/{id}/deliveries", Api, routes::webhooks::deliveries),
    route!(Post "/v1/oauth/token", AppKey, routes::oauth::token),
    route!(Post "/v1/oauth/introspect", AppKey, routes::oauth::introspect),
    route!(Post "/v1/oauth/token/revoke", AppKey, routes::oauth::revoke),
];

/// The routes of [`ROUTES`] left out of the OpenAPI document, each with the reason.
pub const UNDOCUMENTED: &[(&str, &str)] = &[
    ("/dashboard", "the dashboard's HTML page, for browsers, not an API"),
    ("/dashboard/", "the dashboard's HTML page, for browsers, not an API"),
    ("/dashboard/{file}", "the dashboard's static CSS and JavaScript files"),
];

/// The routes of `ROUTES` with access `access`, as one router (CSV uploads without the body
/// limit: they are streamed and limited by `csv_limit_bytes`).
fn table(access: Access) -> Router<AppState> {
    ROUTES.iter().filter(|route| route.access == access).fold(Router::new(), |router, route| {
        let mut method = (route.handler)(route.verb.filter());
        if limits::UPLOAD_ROUTES.contains(&route.path) {
            method = method.layer(DefaultBodyLimit::disable());
        }
        router.route(route.path, method)
    })
}

/// The whole HTTP API over `state`.
pub fn router(state: AppState) -> Router {
    // Layers run outside in: authentication, then the rate limit of the chosen project.
    let v1 = table(Access::Api)
        .route_layer(middleware::from_fn_with_state(state.clone(), rate_limit::enforce))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::authenticate));
    let oauth = table(Access::AppKey)
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require_app_key));
    let routes = table(Access::Public)
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
