//! The one route table.

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::Uri,
    middleware,
    routing::{get, post},
};

use crate::{ApiError, AppState, auth, request_id, routes};

/// The whole HTTP API over `state`.
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/v1/async-actions", get(routes::async_actions::list))
        .route("/v1/async-actions/{id}", get(routes::async_actions::get))
        .route("/v1/async-actions/{id}/report", get(routes::async_actions::report))
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
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require_app_key));
    let routes = Router::new()
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .merge(v1)
        .fallback(no_route)
        .with_state(state);
    // The request-id layer wraps the finished router as one service: axum adds the `Allow`
    // header of a 405 outside per-route layers, and this layer needs to read it.
    Router::new().fallback_service(routes).layer(middleware::from_fn(request_id::layer))
}

async fn no_route(uri: Uri) -> ApiError {
    ApiError::NoRoute(format!("Cannot find route {}", uri.path()))
}
