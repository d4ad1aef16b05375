//! The OpenAPI 3.1 document of the API (`GET /openapi.json`), generated from the code:
//! `#[utoipa::path]` on every handler gives its parameters, body and answers; `ToSchema` on
//! the wire types (and `wire::schema` for the bodies parsed or built by hand) gives the
//! schemas; and the route table ([`ROUTES`]) gives each operation's security and the answers
//! of the middleware in front of it (401 and 403 of authentication, 429 of the rate limit,
//! 408 of the time limit, 413 of the body limit). A test checks that every route of the table
//! is in the document but those of [`UNDOCUMENTED`], and nothing else is.

use std::sync::LazyLock;

use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::{
        self, Content, HttpMethod, Ref, RefOr, ResponseBuilder,
        path::Operation,
        security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        },
    },
};

use crate::{
    router::{Access, ROUTES, Route, UNDOCUMENTED, Verb},
    routes,
    wire::{action::LiveAsyncAction, schema},
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Conveyor",
        description = "A self-hosted, Voucherify-compatible async actions server: Voucherify's \
            bulk, import and metadata endpoints answer at once with an async action, followed \
            with `GET /v1/async-actions/{id}`. Errors use Voucherify's body; every response \
            carries an `X-Request-Id`.",
        license(name = "MIT", identifier = "MIT"),
    ),
    paths(
        routes::health::healthz,
        routes::health::readyz,
        routes::openapi::document,
        routes::metrics::scrape,
        routes::async_actions::list,
        routes::async_actions::get,
        routes::async_action_events::events,
        routes::async_actions::report,
        routes::async_actions::cancel,
        routes::campaigns::list,
        routes::campaigns::create,
        routes::campaigns::get,
        routes::campaign_changes::update,
        routes::campaign_changes::delete,
        routes::campaigns::add_vouchers,
        routes::campaigns_async::import,
        routes::campaigns_async::import_csv,
        routes::customers::list,
        routes::customers::create,
        routes::customers::get,
        routes::customers::update,
        routes::customers::delete,
        routes::customers_async::bulk_update,
        routes::customers_async::import_csv,
        routes::customers_async::metadata_update,
        routes::products::list,
        routes::products::create,
        routes::products::get,
        routes::products::update,
        routes::products::delete,
        routes::products::list_skus,
        routes::products::create_sku,
        routes::products_async::bulk_update,
        routes::products_async::metadata_update,
        routes::products_async::import_csv,
        routes::products_async::import_skus_csv,
        routes::skus::get,
        routes::vouchers::list,
        routes::vouchers::get,
        routes::vouchers_async::import,
        routes::vouchers_async::import_csv,
        routes::vouchers_async::bulk_update,
        routes::vouchers_async::metadata_update,
        routes::orders::list,
        routes::orders::import,
        routes::orders::get,
        routes::metadata_schemas::list,
        routes::metadata_schemas::create,
        routes::metadata_schemas::get,
        routes::metadata_schemas::put,
        routes::metadata_schemas::delete,
        routes::metadata_schemas::purge,
        routes::webhooks::list,
        routes::webhooks::create,
        routes::webhooks::get,
        routes::webhooks::delete,
        routes::webhooks::deliveries,
        routes::oauth::token,
        routes::oauth::introspect,
        routes::oauth::revoke,
    ),
    components(schemas(schema::ErrorBody, schema::PayloadTooLarge)),
    modifiers(&Middleware),
    tags(
        (name = "async-actions", description = "Following, cancelling and reporting on async actions."),
        (name = "campaigns", description = "Campaigns and their vouchers."),
        (name = "customers", description = "Customers, and their bulk, metadata and CSV producers."),
        (name = "products", description = "Products and their SKUs, and their producers."),
        (name = "skus", description = "SKUs by themselves."),
        (name = "vouchers", description = "Standalone vouchers and their producers."),
        (name = "orders", description = "Orders and their import."),
        (name = "metadata-schemas", description = "Metadata schemas, and the purge of a metadata key."),
        (name = "webhooks", description = "Completion webhooks (beyond Voucherify)."),
        (name = "oauth", description = "OAuth 2.0 access tokens, issued to app keys."),
        (name = "health", description = "Liveness and readiness."),
        (name = "meta", description = "This document."),
    )
)]
struct ApiDoc;

/// The security scheme names of the document.
const APP_ID: &str = "app_id";
const APP_TOKEN: &str = "app_token";
const BEARER: &str = "bearer";

/// Adds what the route table knows: the security schemes, each operation's requirement,
/// and the answers of the middleware every route of its kind passes through.
struct Middleware;

impl Modify for Middleware {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            APP_ID,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-App-Id",
                "The app id of an app key (sent with its X-App-Token).",
            ))),
        );
        components.add_security_scheme(
            APP_TOKEN,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-App-Token",
                "The secret token of an app key (sent with its X-App-Id).",
            ))),
        );
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An OAuth access token from `POST /v1/oauth/token`, whose scopes cover \
                         the path (`api` covers every path).",
                    ))
                    .build(),
            ),
        );
        for (path, item) in doc.paths.paths.iter_mut() {
            for (method, operation) in operations(item) {
                let Some(route) = route(method, path) else { continue };
                annotate(route, operation);
            }
        }
    }
}

/// The operations of a path item, with their methods.
fn operations(item: &mut openapi::PathItem) -> Vec<(HttpMethod, &mut Operation)> {
    [
        (HttpMethod::Get, item.get.as_mut()),
        (HttpMethod::Post, item.post.as_mut()),
        (HttpMethod::Put, item.put.as_mut()),
        (HttpMethod::Delete, item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|operation| (method, operation)))
    .collect()
}

fn route(method: HttpMethod, path: &str) -> Option<&'static Route> {
    ROUTES.iter().find(|route| route.path == path && method_of(route.verb) == method)
}

fn method_of(verb: Verb) -> HttpMethod {
    match verb {
        Verb::Get => HttpMethod::Get,
        Verb::Post => HttpMethod::Post,
        Verb::Put => HttpMethod::Put,
        Verb::Delete => HttpMethod::Delete,
    }
}

fn annotate(route: &Route, operation: &mut Operation) {
    let app_key =
        SecurityRequirement::new::<_, _, &str>(APP_ID, []).add::<_, _, &str>(APP_TOKEN, []);
    match route.access {
        Access::Public => {}
        Access::Api => {
            let bearer = SecurityRequirement::new::<_, _, &str>(BEARER, []);
            operation.security = Some(vec![app_key, bearer]);
            answer(
                operation,
                401,
                "Missing or wrong credentials, or an unknown, expired or revoked access token (`unauthorized`).",
            );
            answer(
                operation,
                403,
                "The access token's scopes do not cover the path (`missing_required_permission`).",
            );
            answer(
                operation,
                429,
                "Over the project's rate limit (`Retry-After` says when to retry).",
            );
        }
        Access::AppKey => {
            operation.security = Some(vec![app_key]);
            answer(
                operation,
                401,
                "Missing or wrong app key (`unauthorized`); access tokens are not accepted here.",
            );
        }
    }
    answer(operation, 408, "The request took longer than its time limit (`request_timeout`).");
    if operation.request_body.is_some() {
        let body =
            Content::new(Some(RefOr::Ref(Ref::from_schema_name(schema::PayloadTooLarge::name()))));
        let response = ResponseBuilder::new()
            .description("The body is over the size limit.")
            .content("application/json", body);
        operation.responses.responses.entry("413".to_owned()).or_insert(response.build().into());
    }
}

/// Adds a Voucherify error answer with `status` unless the operation documents one.
fn answer(operation: &mut Operation, status: u16, description: &str) {
    let body = Content::new(Some(RefOr::Ref(Ref::from_schema_name(schema::ErrorBody::name()))));
    let response =
        ResponseBuilder::new().description(description).content("application/json", body);
    operation.responses.responses.entry(status.to_string()).or_insert(response.build().into());
}

static DOCUMENT: LazyLock<openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);

static JSON: LazyLock<String> = LazyLock::new(|| {
    let mut doc = serde_json::to_value(&*DOCUMENT).unwrap_or_default();
    // JSON Schema's `contentSchema` (the schema of an event's JSON data), which utoipa's model
    // has no field for.
    let event_data = format!("/components/schemas/{}/properties/data", schema::ActionEvent::name());
    if let Some(serde_json::Value::Object(data)) = doc.pointer_mut(&event_data) {
        let live = format!("#/components/schemas/{}", LiveAsyncAction::name());
        data.insert("contentSchema".to_owned(), serde_json::json!({ "$ref": live }));
    }
    doc.to_string()
});

/// The document.
pub fn document() -> &'static openapi::OpenApi {
    &DOCUMENT
}

/// The document as JSON, as `GET /openapi.json` serves it.
pub fn json() -> &'static str {
    &JSON
}

/// The `(method, path)` of every route that the document must describe: [`ROUTES`] but
/// [`UNDOCUMENTED`].
pub fn documented_routes() -> Vec<(&'static str, &'static str)> {
    ROUTES
        .iter()
        .filter(|route| !UNDOCUMENTED.iter().any(|(path, _)| *path == route.path))
        .map(|route| (route.verb.as_str(), route.path))
        .collect()
}

#[cfg(test)]
mod tests;
