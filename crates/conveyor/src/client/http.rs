//! The HTTP side of the client: one call per endpoint the CLI uses, with the app key on every
//! request, and Voucherify's error bodies turned into [`ClientError::Api`].

use std::{path::Path, time::Duration};

use reqwest::{Method, RequestBuilder, StatusCode, Url, multipart};
use serde_json::Value;

/// What a call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached, or the connection broke.
    #[error("cannot reach {url}: {reason}")]
    Connection {
        /// The URL called.
        url: String,
        /// What went wrong, as reqwest tells it.
        reason: String,
    },
    /// The API answered with an error; `message` and `details` come from its body.
    #[error("{}", api_message(message, details.as_deref()))]
    Api {
        /// The HTTP status.
        status: u16,
        /// The error body's `message`.
        message: String,
        /// The error body's `details`, when it has them.
        details: Option<String>,
    },
    /// Anything on this side: a file that cannot be read, an answer that is not JSON.
    #[error("{0}")]
    Local(String),
}

fn api_message(message: &str, details: Option<&str>) -> String {
    match details {
        Some(details) if !details.is_empty() && details != message => {
            format!("{message}: {details}")
        }
        _ => message.to_owned(),
    }
}

/// An answer: its status and JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status (a success).
    pub status: u16,
    /// The body.
    pub body: Value,
}

/// What a client last saw of an action, for a long-poll's `since_*` parameters.
#[derive(Debug, Clone, Default)]
pub struct Since {
    /// `status`.
    pub status: Option<String>,
    /// `progress`.
    pub progress: Option<u64>,
    /// `updated_at`.
    pub updated_at: Option<String>,
}

impl Since {
    /// Everything `action` (an action's JSON) shows.
    pub fn of(action: &Value) -> Self {
        Self {
            status: action["status"].as_str().map(str::to_owned),
            progress: action["progress"].as_u64(),
            updated_at: action["updated_at"].as_str().map(str::to_owned),
        }
    }
}

/// A Conveyor (or Voucherify) API at one base URL, with one app key.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    app_id: String,
    app_token: String,
}

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an answer may take beyond the time the server was asked to wait.
const ANSWER_MARGIN: Duration = Duration::from_secs(60);

impl Client {
    /// A client of the API at `base_url` (`http://host:port`), signing in with the app key.
    pub fn new(base_url: &str, app_id: &str, app_token: &str) -> Result<Self, ClientError> {
        let mut base = Url::parse(base_url)
            .map_err(|e| ClientError::Local(format!("invalid server URL {base_url:?}: {e}")))?;
        if base.scheme() != "http" {
            return Err(ClientError::Local(format!(
                "invalid server URL {base_url:?}: only http:// is supported (put TLS in front)"
            )));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("conveyor-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Local(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { http, base, app_id: app_id.to_owned(), app_token: app_token.to_owned() })
    }

    /// The URL of `segments` under the base URL, each segment percent-encoded.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    fn request(&self, method: Method, url: Url) -> RequestBuilder {
        self.http
            .request(method, url)
            .header("X-App-Id", &self.app_id)
            .header("X-App-Token", &self.app_token)
    }

    /// Uploads `file` as the multipart field `file` to `segments` (an importCSV endpoint),
    /// streaming it from disk.
    pub async fn upload_csv(&self, segments: &[&str], file: &Path) -> Result<Answer, ClientError> {
        let opened = tokio::fs::File::open(file)
            .await
            .map_err(|e| ClientError::Local(format!("cannot read {}: {e}", file.display())))?;
        let length = opened
            .metadata()
            .await
            .map_err(|e| ClientError::Local(format!("cannot read {}: {e}", file.display())))?
            .len();
        let name = file.file_name().map_or("import.csv".into(), |n| n.to_string_lossy());
        let part = multipart::Part::stream_with_length(reqwest::Body::from(opened), length)
            .file_name(name.into_owned())
            .mime_str("text/csv")
            .map_err(|e| ClientError::Local(e.to_string()))?;
        let form = multipart::Form::new().part("file", part);
        let url = self.url(segments);
        self.send(self.request(Method::POST, url.clone()).multipart(form), &url).await
    }

    /// `GET /v1/async-actions` with these query parameters.
    pub async fn list_actions(&self, query: &[(&str, String)]) -> Result<Answer, ClientError> {
        let url = self.url(&["v1", "async-actions"]);
        self.send(self.request(Method::GET, url.clone()).query(query), &url).await
    }

    /// `GET /v1/async-actions/{id}`.
    pub async fn get_action(&self, id: &str) -> Result<Answer, ClientError> {
        let url = self.url(&["v1", "async-actions", id]);
        self.send(self.request(Method::GET, url.clone()), &url).await
    }

    /// `GET /v1/async-actions/{id}?wait=…`: answers when the action differs from `since`,
    /// finishes, or `wait` passes; the live form, with `total_items` and `processed_items`.
    pub async fn wait_for_action(
        &self,
        id: &str,
        wait: Duration,
        since: &Since,
    ) -> Result<Answer, ClientError> {
        let url = self.url(&["v1", "async-actions", id]);
        let mut query = vec![("wait", wait.as_secs().to_string())];
        query.extend(since.status.clone().map(|s| ("since_status", s)));
        query.extend(since.progress.map(|p| ("since_progress", p.to_string())));
        query.extend(since.updated_at.clone().map(|t| ("since_updated_at", t)));
        let request =
            self.request(Method::GET, url.clone()).query(&query).timeout(wait + ANSWER_MARGIN);
        self.send(request, &url).await
    }

    /// `POST /v1/async-actions/{id}/cancel`.
    pub async fn cancel_action(&self, id: &str) -> Result<Answer, ClientError> {
        let url = self.url(&["v1", "async-actions", id, "cancel"]);
        self.send(self.request(Method::POST, url.clone()), &url).await
    }

    async fn send(&self, request: RequestBuilder, url: &Url) -> Result<Answer, ClientError> {
        let connection = |e: reqwest::Error| ClientError::Connection {
            url: url.to_string(),
            reason: e.to_string(),
        };
        let response = request.send().await.map_err(connection)?;
        let status = response.status();
        let text = response.text().await.map_err(connection)?;
        let body: Option<Value> = serde_json::from_str(&text).ok();
        if status.is_success() {
            let body = body.ok_or_else(|| {
                ClientError::Local(format!("the answer of {url} is not JSON: {}", excerpt(&text)))
            })?;
            return Ok(Answer { status: status.as_u16(), body });
        }
        Err(api_error(status, body.as_ref(), &text))
    }
}

/// Voucherify's error body (`message`, `details`), or the Boom shape of a 413 (`message`),
/// or whatever else came.
fn api_error(status: StatusCode, body: Option<&Value>, text: &str) -> ClientError {
    let field = |name: &str| body.and_then(|b| b.get(name)).and_then(Value::as_str);
    let message = field("message").map(str::to_owned).unwrap_or_else(|| match text.trim() {
        "" => format!("HTTP {status}"),
        text => format!("HTTP {status}: {}", excerpt(text)),
    });
    ClientError::Api {
        status: status.as_u16(),
        message,
        details: field("details").map(str::to_owned),
    }
}

fn excerpt(text: &str) -> String {
    let mut cut: String = text.chars().take(200).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn error_bodies_become_their_message_and_details() {
        let body = json!({"code": 404, "key": "not_found", "message": "Resource not found",
            "details": "Cannot find async_action with id aa_1"});
        let err = api_error(StatusCode::NOT_FOUND, Some(&body), "");
        assert_eq!(err.to_string(), "Resource not found: Cannot find async_action with id aa_1");
        let boom = json!({"statusCode": 413, "error": "Payload Too Large", "message": "Too big"});
        assert_eq!(
            api_error(StatusCode::PAYLOAD_TOO_LARGE, Some(&boom), "").to_string(),
            "Too big"
        );
        let plain = api_error(StatusCode::BAD_GATEWAY, None, "upstream down");
        assert_eq!(plain.to_string(), "HTTP 502 Bad Gateway: upstream down");
    }

    #[test]
    fn urls_keep_a_base_path_and_encode_segments() {
        let client = Client::new("http://h:1/base", "a", "t").expect("client");
        let url = client.url(&["v1", "campaigns", "Spring sale/2", "importCSV"]);
        assert_eq!(url.as_str(), "http://h:1/base/v1/campaigns/Spring%20sale%2F2/importCSV");
        let root = Client::new("http://h:1", "a", "t").expect("client");
        assert_eq!(root.url(&["v1", "async-actions"]).as_str(), "http://h:1/v1/async-actions");
        assert!(Client::new("https://h", "a", "t").is_err());
        assert!(Client::new("h:1", "a", "t").is_err());
    }
}
