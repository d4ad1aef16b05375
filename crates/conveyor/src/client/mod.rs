//! `conveyor import …` and `conveyor actions …`: a command-line client of a running server,
//! speaking only its public HTTP API (so it works against any node, and against Voucherify
//! for everything but the long-poll it follows actions with).
//!
//! The server and credentials come from flags, then the environment (`CONVEYOR_URL`,
//! `CONVEYOR_APP_ID`, `CONVEYOR_APP_TOKEN`), then the config file (`[client]`, else the
//! server's own `app_id`/`app_token` and `bind`). Output is for people (tables, a progress
//! bar) unless `--json` asks for one JSON document on stdout. Exit codes: 0 for success and
//! for a watched action that ended DONE, [`EXIT_ACTION_FAILED`] for one that ended FAILED,
//! [`EXIT_ERROR`] for usage, connection and API errors (the API's message on stderr).

pub mod http;
mod render;
mod watch;

use std::{path::PathBuf, process::ExitCode};

use clap::{Args, Subcommand, ValueEnum};
use serde::Deserialize;
use serde_json::Value;

use self::{
    http::{Client, ClientError},
    watch::Display,
};
use crate::Config;

/// Exit code of a watch whose action ended FAILED.
pub const EXIT_ACTION_FAILED: u8 = 1;
/// Exit code of a usage, connection or API error.
pub const EXIT_ERROR: u8 = 2;

/// The client's settings in the config file (`[client]`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientConfig {
    /// The server's base URL, e.g. `http://conveyor.internal:8080`. Unset: the `bind`
    /// address of the same file.
    pub url: Option<String>,
    /// The app id to sign in with. Unset: the file's `app_id`.
    pub app_id: Option<String>,
    /// The app token to sign in with. Unset: the file's `app_token`.
    pub app_token: Option<String>,
}

/// Options of every client command.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// The server's base URL [default: [client] url of the config file, else http://<bind>].
    #[arg(long, global = true, env = "CONVEYOR_URL")]
    pub url: Option<String>,
    /// Print one JSON document on stdout (the API's answer) instead of tables and progress.
    #[arg(long, global = true)]
    pub json: bool,
}

/// What an import file holds, and so which endpoint takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportKind {
    /// `POST /v1/customers/importCSV`.
    Customers,
    /// `POST /v1/products/importCSV`.
    Products,
    /// `POST /v1/skus/importCSV`.
    Skus,
    /// `POST /v1/vouchers/importCSV`, or `/v1/campaigns/{id}/importCSV` with `--campaign`.
    Vouchers,
}

/// `conveyor import KIND FILE`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    pub kind: ImportKind,
    /// The CSV file (streamed, never read whole).
    pub file: PathBuf,
    /// Import the vouchers into this campaign (its id or name) instead of as standalone
    /// vouchers.
    #[arg(long, value_name = "ID_OR_NAME")]
    pub campaign: Option<String>,
    /// Print the action id and return without following the action.
    #[arg(long)]
    pub no_watch: bool,
    /// Server and output.
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `conveyor actions …`.
#[derive(Debug, Args)]
pub struct ActionsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ActionsCommand,
    /// Server and output.
    #[command(flatten)]
    pub client: ClientArgs,
}

/// The async-action commands.
#[derive(Debug, Subcommand)]
pub enum ActionsCommand {
    /// List actions, newest first.
    List {
        /// How many (1–100) [default: 10].
        #[arg(long)]
        limit: Option<u32>,
        /// Only actions with this status: ENQUEUED, IN_PROGRESS, DONE or FAILED.
        #[arg(long)]
        status: Option<String>,
        /// Only actions of this type, e.g. CUSTOMERS.IMPORT_CSV.
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        /// Only actions created before this date (the previous page's last `created_at`).
        #[arg(long)]
        end_date: Option<String>,
    },
    /// Show one action, with its result once finished.
    Get {
        /// The action's id (`aa_…`).
        id: String,
    },
    /// Follow an action until it is DONE (exit 0) or FAILED (exit 1).
    Watch {
        /// The action's id (`aa_…`).
        id: String,
    },
    /// Cancel an action: a queued one ends at once, a running one at its next chunk boundary.
    Cancel {
        /// The action's id (`aa_…`).
        id: String,
    },
}

/// Where and as whom the client connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The server's base URL.
    pub url: String,
    /// `X-App-Id`.
    pub app_id: String,
    /// `X-App-Token`.
    pub app_token: String,
}

impl Target {
    /// Flags and environment (`url`, `app_id`, `app_token`, already merged by clap) first,
    /// then the config file's `[client]`, then its server settings.
    pub fn resolve(
        url: Option<&str>,
        app_id: Option<&str>,
        app_token: Option<&str>,
        config: &Config,
    ) -> Result<Self, String> {
        let pick = |flag: Option<&str>, client: &Option<String>, server: &Option<String>| {
            flag.map(str::to_owned).or_else(|| client.clone()).or_else(|| server.clone())
        };
        let app_id = pick(app_id, &config.client.app_id, &config.app_id);
        let app_token = pick(app_token, &config.client.app_token, &config.app_token);
        let (Some(app_id), Some(app_token)) = (app_id, app_token) else {
            return Err("no credentials: give --app-id and --app-token, set CONVEYOR_APP_ID and \
                        CONVEYOR_APP_TOKEN, or set them in the config file's [client] section"
                .to_owned());
        };
        let url = url
            .map(str::to_owned)
            .or_else(|| config.client.url.clone())
            .unwrap_or_else(|| url_of_bind(&config.bind));
        Ok(Self { url, app_id, app_token })
    }

    fn client(&self) -> Result<Client, ClientError> {
        Client::new(&self.url, &self.app_id, &self.app_token)
    }
}

/// `http://<bind>`, reaching a wildcard address through loopback.
fn url_of_bind(bind: &str) -> String {
    let local = match bind.rsplit_once(':') {
        Some(("0.0.0.0", port)) => format!("127.0.0.1:{port}"),
        Some(("[::]", port)) => format!("[::1]:{port}"),
        _ => bind.to_owned(),
    };
    format!("http://{local}")
}

/// A usage error: the message on stderr, exit 2.
pub fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_ERROR)
}

fn failed(err: &ClientError) -> ExitCode {
    eprintln!("error: {err}");
    ExitCode::from(EXIT_ERROR)
}

fn print_json(value: &Value) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

/// The exit code for a watched action's end, after printing it.
fn finished(action: &Value, json: bool) -> ExitCode {
    if json {
        print_json(action);
    } else {
        print!("{}", render::action(action));
    }
    match action["status"].as_str() {
        Some("DONE") => ExitCode::SUCCESS,
        _ => ExitCode::from(EXIT_ACTION_FAILED),
    }
}

/// `conveyor import KIND FILE [--campaign …] [--no-watch]`.
pub async fn import(args: ImportArgs, target: &Target) -> ExitCode {
    let segments: Vec<&str> = match (args.kind, args.campaign.as_deref()) {
        (ImportKind::Customers, None) => vec!["v1", "customers", "importCSV"],
        (ImportKind::Products, None) => vec!["v1", "products", "importCSV"],
        (ImportKind::Skus, None) => vec!["v1", "skus", "importCSV"],
        (ImportKind::Vouchers, None) => vec!["v1", "vouchers", "importCSV"],
        (ImportKind::Vouchers, Some(campaign)) => vec!["v1", "campaigns", campaign, "importCSV"],
        (_, Some(_)) => return usage_error("--campaign applies to `import vouchers` only"),
    };
    let json = args.client.json;
    let client = match target.client() {
        Ok(client) => client,
        Err(err) => return failed(&err),
    };
    let body = match client.upload_csv(&segments, &args.file).await {
        Ok(answer) => answer.body,
        Err(err) => return failed(&err),
    };
    let Some(id) = body["async_action_id"].as_str() else {
        let err = format!("the server answered without an async_action_id: {body}");
        return failed(&ClientError::Local(err));
    };
    match (args.no_watch, json) {
        (true, true) => print_json(&body),
        (_, false) => println!("{id}"),
        (false, true) => {}
    }
    if args.no_watch {
        return ExitCode::SUCCESS;
    }
    match watch::watch(&client, id, Display::choose(json)).await {
        Ok(action) => finished(&action, json),
        Err(err) => failed(&err),
    }
}

/// `conveyor actions list|get|watch|cancel`.
pub async fn actions(args: ActionsArgs, target: &Target) -> ExitCode {
    let json = args.client.json;
    let client = match target.client() {
        Ok(client) => client,
        Err(err) => return failed(&err),
    };
    let outcome = match args.command {
        ActionsCommand::List { limit, status, kind, end_date } => {
            let mut query = Vec::new();
            query.extend(limit.map(|n| ("limit", n.to_string())));
            // Statuses and types are upper case on the wire; accept them in any case here.
            query.extend(status.map(|s| ("status", s.to_uppercase())));
            query.extend(kind.map(|k| ("type", k.to_uppercase())));
            query.extend(end_date.map(|d| ("end_date", d)));
            client.list_actions(&query).await.map(|a| {
                if json { print_json(&a.body) } else { print!("{}", render::action_list(&a.body)) }
            })
        }
        ActionsCommand::Get { id } => client.get_action(&id).await.map(|a| {
            if json { print_json(&a.body) } else { print!("{}", render::action(&a.body)) }
        }),
        ActionsCommand::Watch { id } => {
            return match watch::watch(&client, &id, Display::choose(json)).await {
                Ok(action) => finished(&action, json),
                Err(err) => failed(&err),
            };
        }
        ActionsCommand::Cancel { id } => client.cancel_action(&id).await.map(|a| {
            if json {
                print_json(&a.body);
            } else if a.status == 202 {
                println!(
                    "{id} will stop at its next chunk boundary (it is {}).",
                    a.body["status"].as_str().unwrap_or("?")
                );
            } else {
                println!("{id} cancelled (it is {}).", a.body["status"].as_str().unwrap_or("?"));
            }
        }),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => failed(&err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_client_section_which_wins_over_the_server_settings() {
        let mut config = Config {
            app_id: Some("srv-id".into()),
            app_token: Some("srv-token".into()),
            ..Config::default()
        };
        let target = Target::resolve(None, None, None, &config).expect("target");
        assert_eq!(
            target,
            Target {
                url: "http://127.0.0.1:8080".into(),
                app_id: "srv-id".into(),
                app_token: "srv-token".into()
            }
        );
        config.client = ClientConfig {
            url: Some("http://c:1".into()),
            app_id: Some("cli-id".into()),
            app_token: None,
        };
        let target = Target::resolve(None, None, None, &config).expect("target");
        assert_eq!(
            (target.url.as_str(), target.app_id.as_str(), target.app_token.as_str()),
            ("http://c:1", "cli-id", "srv-token")
        );
        let target = Target::resolve(Some("http://f:2"), Some("f-id"), Some("f-token"), &config)
            .expect("target");
        assert_eq!(
            (target.url.as_str(), target.app_id.as_str(), target.app_token.as_str()),
            ("http://f:2", "f-id", "f-token")
        );
        assert!(Target::resolve(None, None, None, &Config::default()).is_err());
    }

    #[test]
    fn a_wildcard_bind_is_reached_through_loopback() {
        assert_eq!(url_of_bind("0.0.0.0:9000"), "http://127.0.0.1:9000");
        assert_eq!(url_of_bind("[::]:9000"), "http://[::1]:9000");
        assert_eq!(url_of_bind("10.1.2.3:80"), "http://10.1.2.3:80");
    }
}
