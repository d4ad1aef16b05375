//! Completion webhooks on the wire: the body of `POST /v1/webhooks`, the endpoint object (named
//! like Voucherify's webhook configurations: `wh_…` ids, `target_url`, `events`), its
//! deliveries with their attempts, and the event an endpoint receives, in Voucherify's webhook
//! envelope (`id`, `project_id`, `created_at`, `type`, `data`).

use cv_domain::{WebhookEndpoint, WebhookEvent, WebhookEvents};
use cv_store::{ActionRecord, DeliveryAttempt, DeliveryPage, DeliveryRecord};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::{
    action::AsyncAction,
    schema,
    validate::{self, JsonPath},
};
use crate::ApiError;

/// The longest `target_url` accepted.
pub const MAX_URL_LEN: usize = 2048;

/// What `POST /v1/webhooks` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// An absolute `http` or `https` URL.
    pub target_url: String,
    /// The events to send; every event when the body names none.
    pub events: WebhookEvents,
}

/// The endpoint a create body asks for, or the `invalid_payload` error that names what is
/// wrong: `target_url` is required, a string, at most [`MAX_URL_LEN`] long, and an absolute
/// `http`/`https` URL with a host; `events`, when present and not `null`, a non-empty array
/// of event names. Other properties are ignored.
pub fn create(body: &Value) -> Result<NewWebhook, ApiError> {
    let root = JsonPath::root();
    let url_at = root.key("target_url");
    if body.is_null() {
        return Err(url_at.required());
    }
    let obj = validate::object(body, &root)?;
    let target_url = validate::required_string(obj, "target_url", &root)?;
    if target_url.len() > MAX_URL_LEN {
        return Err(url_at.invalid(&format!("must be at most {MAX_URL_LEN} characters")));
    }
    if !is_http_url(&target_url) {
        return Err(url_at.should_be("an absolute http or https URL"));
    }
    let events = match obj.get("events") {
        None | Some(Value::Null) => WebhookEvents::all(),
        Some(value) => events(value, &root.key("events"))?,
    };
    Ok(NewWebhook { target_url, events })
}

fn is_http_url(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty())
    })
}

fn events(value: &Value, at: &JsonPath) -> Result<WebhookEvents, ApiError> {
    let names: Vec<&str> = WebhookEvent::ALL.iter().map(|e| e.as_str()).collect();
    let list = validate::array(value, at)?
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let at = at.index(i);
            let name = v.as_str().ok_or_else(|| at.should_be("string"))?;
            name.parse().map_err(|_| {
                at.should_be(&format!("equal to one of the allowed values: {}", names.join(", ")))
            })
        })
        .collect::<Result<Vec<WebhookEvent>, _>>()?;
    WebhookEvents::of(list).ok_or_else(|| at.invalid("must not be empty"))
}

/// A webhook endpoint. `secret` appears only in the answer to its creation.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookResponse {
    id: String,
    #[schema(schema_with = schema::webhook)]
    object: &'static str,
    target_url: String,
    #[schema(value_type = Vec<schema::WebhookEventName>)]
    events: Vec<&'static str>,
    #[schema(format = DateTime)]
    created_at: String,
    /// The signing secret: only in the answer to the creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl WebhookResponse {
    /// The endpoint as listed and read: without its secret.
    pub fn new(endpoint: &WebhookEndpoint) -> Self {
        Self {
            id: endpoint.id.to_string(),
            object: "webhook",
            target_url: endpoint.target_url.clone(),
            events: endpoint.events.iter().map(WebhookEvent::as_str).collect(),
            created_at: endpoint.created_at.to_string(),
            secret: None,
        }
    }

    /// The answer to the endpoint's creation, the one time its secret is shown.
    pub fn created(endpoint: &WebhookEndpoint) -> Self {
        Self { secret: Some(endpoint.secret.clone()), ..Self::new(endpoint) }
    }
}

/// `GET /v1/webhooks`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    #[schema(schema_with = schema::list)]
    object: &'static str,
    #[schema(schema_with = schema::webhooks)]
    data_ref: &'static str,
    webhooks: Vec<WebhookResponse>,
    total: usize,
}

impl WebhookList {
    /// The project's endpoints, oldest first.
    pub fn new(endpoints: &[WebhookEndpoint]) -> Self {
        Self {
            object: "list",
            data_ref: "webhooks",
            webhooks: endpoints.iter().map(WebhookResponse::new).collect(),
            total: endpoints.len(),
        }
    }
}

/// One attempt of a delivery.
#[derive(Debug, Serialize, ToSchema)]
struct AttemptResponse {
    attempt: u32,
    #[schema(format = DateTime)]
    attempted_at: String,
    duration_ms: u64,
    status_code: Option<u16>,
    error: Option<String>,
}

impl From<&DeliveryAttempt> for AttemptResponse {
    fn from(a: &DeliveryAttempt) -> Self {
        Self {
            attempt: a.attempt,
            attempted_at: a.attempted_at.to_string(),
            duration_ms: a.duration_ms,
            status_code: a.status_code,
            error: a.error.clone(),
        }
    }
}

/// One event's delivery to an endpoint, with its attempts in order.
#[derive(Debug, Serialize, ToSchema)]
struct DeliveryResponse {
    id: String,
    #[schema(schema_with = schema::webhook_delivery)]
    object: &'static str,
    webhook_id: String,
    #[schema(value_type = schema::WebhookEventName)]
    #[serde(rename = "type")]
    event: &'static str,
    async_action_id: String,
    #[schema(value_type = schema::DeliveryStatusName)]
    status: &'static str,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    next_attempt_at: Option<String>,
    attempts: Vec<AttemptResponse>,
}

impl DeliveryResponse {
    fn new(d: &DeliveryRecord, attempts: &[DeliveryAttempt]) -> Self {
        Self {
            id: d.id.to_string(),
            object: "webhook_delivery",
            webhook_id: d.endpoint_id.to_string(),
            event: d.event.as_str(),
            async_action_id: d.action_id.to_string(),
            status: d.status.as_str(),
            created_at: d.created_at.to_string(),
            next_attempt_at: d.next_attempt_at.map(|at| at.to_string()),
            attempts: attempts.iter().map(AttemptResponse::from).collect(),
        }
    }
}

/// `GET /v1/webhooks/{id}/deliveries`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    #[schema(schema_with = schema::list)]
    object: &'static str,
    #[schema(schema_with = schema::deliveries)]
    data_ref: &'static str,
    deliveries: Vec<DeliveryResponse>,
    total: u64,
}

impl From<&DeliveryPage> for DeliveryList {
    fn from(page: &DeliveryPage) -> Self {
        Self {
            object: "list",
            data_ref: "deliveries",
            deliveries: page.deliveries.iter().map(|(d, a)| DeliveryResponse::new(d, a)).collect(),
            total: page.total,
        }
    }
}

/// The event POSTed to an endpoint: Voucherify's envelope, with the action as
/// `GET /v1/async-actions/{id}` shows it (with its `result`) under `data.async_action`. `id`
/// is the delivery's, the same on every attempt, for receivers to drop repeats.
#[derive(Debug, Serialize)]
pub struct WebhookEventBody<'a> {
    id: String,
    project_id: String,
    created_at: String,
    #[serde(rename = "type")]
    event: &'static str,
    data: EventData<'a>,
}

#[derive(Debug, Serialize)]
struct EventData<'a> {
    async_action: AsyncAction<'a>,
}

impl<'a> WebhookEventBody<'a> {
    /// The event of `delivery` about `action` (report links absolute under `base_url`).
    pub fn new(delivery: &DeliveryRecord, action: &'a ActionRecord, base_url: &str) -> Self {
        Self {
            id: delivery.id.to_string(),
            project_id: delivery.project_id.to_string(),
            created_at: delivery.created_at.to_string(),
            event: delivery.event.as_str(),
            data: EventData { async_action: AsyncAction::new(action, base_url) },
        }
    }
}

/// The body of `delivery`'s event about `action` (report links absolute under `base_url`), as
/// the webhook sender POSTs it (`cv_webhooks::RenderEvent`).
pub fn event_body(
    delivery: &DeliveryRecord,
    action: &ActionRecord,
    base_url: &str,
) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&WebhookEventBody::new(delivery, action, base_url))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn details(body: Value) -> String {
        match create(&body) {
            Err(ApiError::InvalidPayload(details)) => details,
            other => panic!("expected invalid_payload, got {other:?}"),
        }
    }

    #[test]
    fn a_url_alone_subscribes_to_every_event() {
        for url in ["http://127.0.0.1:8080/hooks", "https://hooks.example.com/v?x=1", "HTTPS://A.b"]
        {
            let new = create(&json!({"target_url": url, "other": 1})).expect("valid");
            assert_eq!(new.target_url, url);
            assert_eq!(new.events, WebhookEvents::all());
            let new = create(&json!({"target_url": url, "events": null})).expect("valid");
            assert_eq!(new.events, WebhookEvents::all());
        }
    }

    #[test]
    fn events_are_a_set_of_known_names() {
        let new = create(&json!({"target_url": "http://h/", "events": [
            "async_action.failed", "async_action.failed"
        ]}))
        .expect("valid");
        assert_eq!(new.events.to_string(), "async_action.failed");
    }

    #[test]
    fn malformed_bodies_name_the_problem() {
        let url = "Property .target_url should be an absolute http or https URL";
        let allowed = "equal to one of the allowed values: async_action.done, async_action.failed";
        let cases = [
            (Value::Null, "Property .target_url is required".to_owned()),
            (json!({}), "Property .target_url is required".to_owned()),
            (json!({"target_url": null}), "Property .target_url is required".to_owned()),
            (json!({"target_url": ""}), "Property .target_url must not be empty".to_owned()),
            (json!({"target_url": 7}), "Property .target_url should be string".to_owned()),
            (json!({"target_url": "ftp://h/x"}), url.to_owned()),
            (json!({"target_url": "/relative"}), url.to_owned()),
            (json!({"target_url": "http://"}), url.to_owned()),
            (json!({"target_url": "http://exa mple.com/"}), url.to_owned()),
            (json!({"target_url": "mailto:a@b.c"}), url.to_owned()),
            (
                json!({"target_url": format!("http://h/{}", "a".repeat(MAX_URL_LEN))}),
                "Property .target_url must be at most 2048 characters".to_owned(),
            ),
            (
                json!({"target_url": "http://h/", "events": "async_action.done"}),
                "Property .events should be array".to_owned(),
            ),
            (
                json!({"target_url": "http://h/", "events": []}),
                "Property .events must not be empty".to_owned(),
            ),
            (
                json!({"target_url": "http://h/", "events": [1]}),
                "Property .events[0] should be string".to_owned(),
            ),
            (
                json!({"target_url": "http://h/", "events": ["async_action.done", "voucher.created"]}),
                format!("Property .events[1] should be {allowed}"),
            ),
            (json!(["http://h/"]), "Payload should be object".to_owned()),
            (json!("http://h/"), "Payload should be object".to_owned()),
        ];
        for (body, expected) in cases {
            assert_eq!(details(body.clone()), expected, "{body}");
        }
    }
}
