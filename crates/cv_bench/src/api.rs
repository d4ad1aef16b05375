//! The HTTP calls the benchmarks and the harness make, with the server's credentials.

use std::{path::Path, time::Duration};

use crate::server::APP;
use anyhow::{Context as _, bail};
use serde_json::{Value, json};

/// A client for one server base URL.
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    /// A client for the server at `base` (`http://127.0.0.1:PORT`), 30 s per request.
    pub fn new(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        Self { client, base: base.to_owned() }
    }

    fn auth(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        req.header("X-App-Id", APP.0).header("X-App-Token", APP.1)
    }

    /// `GET path`; the JSON body of a 2xx answer, else an error with the status and body.
    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let res = self.auth(self.client.get(format!("{}{path}", self.base))).send().await?;
        let status = res.status();
        let body: Value = res.json().await?;
        if !status.is_success() {
            bail!("GET {path}: {status} {body}");
        }
        Ok(body)
    }

    /// `POST path` with a JSON body; the JSON body of a 2xx answer, else an error.
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        let req = self.client.post(format!("{}{path}", self.base)).json(body);
        let res = self.auth(req).send().await?;
        let status = res.status();
        let body: Value = res.json().await?;
        if !status.is_success() {
            bail!("POST {path}: {status} {body}");
        }
        Ok(body)
    }

    /// Uploads a customers CSV (streamed); the action id.
    pub async fn import_customers(&self, csv: &Path) -> anyhow::Result<String> {
        let bytes = tokio::fs::metadata(csv).await?.len();
        let file = tokio::fs::File::open(csv).await?;
        let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file));
        let part = reqwest::multipart::Part::stream_with_length(body, bytes).file_name("c.csv");
        let req = self
            .client
            .post(format!("{}/v1/customers/importCSV", self.base))
            .timeout(Duration::from_secs(600))
            .multipart(reqwest::multipart::Form::new().part("file", part));
        let res = self.auth(req).send().await?;
        let status = res.status();
        let body: Value = res.json().await?;
        if !status.is_success() {
            bail!("upload refused: {status} {body}");
        }
        Ok(body["async_action_id"].as_str().context("no async_action_id")?.to_owned())
    }

    /// Creates a campaign of `codes` generated vouchers; the campaign id and the id of its
    /// CAMPAIGN.VOUCHERS_GENERATE action.
    pub async fn generate_codes(&self, name: &str, codes: u64) -> anyhow::Result<(String, String)> {
        let body = json!({
            "name": name,
            "campaign_type": "DISCOUNT_COUPONS",
            "type": "STATIC",
            "vouchers_count": codes,
            "voucher": {
                "type": "DISCOUNT_VOUCHER",
                "discount": {"type": "PERCENT", "percent_off": 10},
                "code_config": {"length": 12, "prefix": format!("{name}-")}
            }
        });
        let campaign = self.post("/v1/campaigns", &body).await?;
        let id = campaign["id"].as_str().context("no campaign id")?.to_owned();
        let list = self.get("/v1/async-actions?limit=100").await?;
        let action = list["async_actions"]
            .as_array()
            .context("no list")?
            .iter()
            .find(|a| a["type"] == "CAMPAIGN.VOUCHERS_GENERATE")
            .and_then(|a| a["id"].as_str())
            .context("no generation action")?
            .to_owned();
        Ok((id, action))
    }

    /// One action.
    pub async fn action(&self, id: &str) -> anyhow::Result<Value> {
        self.get(&format!("/v1/async-actions/{id}")).await
    }

    /// Returns once a worker runs action `id` (polling every `every`); an error if it ended
    /// first, `before` saying what it had to run before (`"the loads"`).
    pub async fn until_running(
        &self,
        id: &str,
        every: Duration,
        before: &str,
    ) -> anyhow::Result<()> {
        loop {
            let action = self.action(id).await?;
            match action["status"].as_str() {
                Some("IN_PROGRESS") => return Ok(()),
                Some("ENQUEUED") => tokio::time::sleep(every).await,
                _ => bail!("the action ended before {before}: {action}"),
            }
        }
    }
}
