//! The one configuration: defaults, then the TOML file (`--config`), then environment
//! variables and flags. Read once, in `main`.

use std::path::Path;

use anyhow::Context as _;
use cv_actions::ActionsConfig;
use cv_api::ApiConfig;
use cv_engine::EngineConfig;
use cv_store_sqlite::Synchronous;
use cv_webhooks::WebhookConfig;
use serde::Deserialize;

use crate::client::ClientConfig;

/// The example configuration, printed by `conveyor config default`.
pub const EXAMPLE: &str = include_str!("../conveyor.example.toml");

/// Everything Conveyor can be told.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP API listens on.
    pub bind: String,
    /// `sqlite://PATH` or `postgres://…`; the scheme picks the backend.
    pub database_url: String,
    /// On SQLite, when a commit reaches the disk: `full` (before it is acknowledged; an
    /// answered request survives a power loss) or `normal` (at WAL checkpoints; faster, and a
    /// power loss may take the last commits).
    pub sqlite_synchronous: Synchronous,
    /// The default project's app id.
    pub app_id: Option<String>,
    /// The default project's app token.
    pub app_token: Option<String>,
    /// Log filter (EnvFilter syntax).
    pub log: String,
    /// Engine settings.
    pub engine: EngineConfig,
    /// HTTP settings.
    pub api: ApiConfig,
    /// Action settings.
    pub actions: ActionsConfig,
    /// Completion webhook delivery.
    pub webhooks: WebhookConfig,
    /// Where `conveyor import` and `conveyor actions` connect.
    pub client: ClientConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".to_owned(),
            database_url: "sqlite://./conveyor.db".to_owned(),
            sqlite_synchronous: Synchronous::Full,
            app_id: None,
            app_token: None,
            log: "info".to_owned(),
            engine: EngineConfig::default(),
            api: ApiConfig::default(),
            actions: ActionsConfig::default(),
            webhooks: WebhookConfig::default(),
            client: ClientConfig::default(),
        }
    }
}

impl Config {
    /// Defaults overlaid with the TOML file at `path`, if given.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing config file {}", path.display()))
    }

    /// The base URL clients reach this server at, for links in webhook events: `public_url`,
    /// else `http://<bind>`.
    pub fn public_base_url(&self) -> String {
        match &self.api.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.bind),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_parses_to_the_defaults() {
        let parsed: Config = toml::from_str(EXAMPLE).expect("example parses");
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(toml::from_str::<Config>("bnd = \"x\"").is_err());
    }
}
