//! The command line: `conveyor serve | worker | migrate | projects create | config default`,
//! and the client commands `conveyor import | actions` (see `client`).

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand, ValueEnum};
use cv_store_sqlite::Synchronous;
use tracing_subscriber::{filter::FilterExt as _, layer::Filter};

use crate::{
    Config, app, bootstrap,
    client::{self, ActionsArgs, ImportArgs, Target},
    store,
};

/// `--sqlite-synchronous`: when a SQLite commit reaches the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SqliteSynchronous {
    /// Before the request is answered.
    Full,
    /// At WAL checkpoints.
    Normal,
}

/// The help heading of the options only the server commands read.
const SERVER: &str = "Server options";

/// Conveyor: a self-hosted, Voucherify-compatible async actions server.
#[derive(Debug, Parser)]
#[command(name = "conveyor", version)]
pub struct Cli {
    /// TOML configuration file (see `conveyor config default`).
    #[arg(long, global = true, env = "CONVEYOR_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address the HTTP API listens on [default: 127.0.0.1:8080].
    #[arg(long, global = true, env = "CONVEYOR_BIND", help_heading = SERVER)]
    pub bind: Option<String>,
    /// Database: sqlite://PATH (embedded, the default: sqlite://./conveyor.db) or postgres://….
    #[arg(long, global = true, env = "CONVEYOR_DATABASE_URL", help_heading = SERVER)]
    pub database_url: Option<String>,
    /// On SQLite, when a commit reaches the disk: full (before it is acknowledged) or normal
    /// (at checkpoints; a power loss may take the last commits) [default: full].
    #[arg(long, global = true, env = "CONVEYOR_SQLITE_SYNCHRONOUS", value_enum, help_heading = SERVER)]
    pub sqlite_synchronous: Option<SqliteSynchronous>,
    /// App id of the default project (with --app-token); the client commands sign in with it.
    #[arg(long, global = true, env = "CONVEYOR_APP_ID")]
    pub app_id: Option<String>,
    /// App token of the default project (with --app-id; stored hashed); the client commands
    /// sign in with it.
    #[arg(long, global = true, env = "CONVEYOR_APP_TOKEN", hide_env_values = true)]
    pub app_token: Option<String>,
    /// Actions run concurrently by this process [default: 4].
    #[arg(long, global = true, env = "CONVEYOR_WORKERS", help_heading = SERVER)]
    pub workers: Option<usize>,
    /// Items per chunk (one transaction and checkpoint each) [default: 20000].
    #[arg(long, global = true, env = "CONVEYOR_CHUNK_SIZE", help_heading = SERVER)]
    pub chunk_size: Option<usize>,
    /// Lease of a claimed action, in milliseconds [default: 30000].
    #[arg(long, global = true, env = "CONVEYOR_LEASE_MS", help_heading = SERVER)]
    pub lease_ms: Option<u64>,
    /// Largest accepted request body in bytes [default: 10485760].
    #[arg(long, global = true, env = "CONVEYOR_BODY_LIMIT_BYTES", help_heading = SERVER)]
    pub body_limit_bytes: Option<usize>,
    /// Largest accepted CSV upload in bytes; uploads are streamed, not held in memory
    /// [default: 10485760].
    #[arg(long, global = true, env = "CONVEYOR_CSV_LIMIT_BYTES", help_heading = SERVER)]
    pub csv_limit_bytes: Option<u64>,
    /// Most orders one order import may carry [default: 2000].
    #[arg(long, global = true, env = "CONVEYOR_ORDERS_IMPORT_LIMIT", help_heading = SERVER)]
    pub orders_import_limit: Option<usize>,
    /// Base URL for report links [default: from the request's Host header].
    #[arg(long, global = true, env = "CONVEYOR_PUBLIC_URL", help_heading = SERVER)]
    pub public_url: Option<String>,
    /// Days a bulk report stays downloadable [default: 30].
    #[arg(long, global = true, env = "CONVEYOR_REPORT_TTL_DAYS", help_heading = SERVER)]
    pub report_ttl_days: Option<u32>,
    /// Lifetime of an OAuth access token, in seconds [default: 900].
    #[arg(long, global = true, env = "CONVEYOR_OAUTH_TOKEN_TTL_SECS", help_heading = SERVER)]
    pub oauth_token_ttl_secs: Option<u32>,
    /// Most live OAuth access tokens per project [default: 1000].
    #[arg(long, global = true, env = "CONVEYOR_OAUTH_TOKEN_LIMIT", help_heading = SERVER)]
    pub oauth_token_limit: Option<u32>,
    /// Authenticated calls per project per minute, bulk calls apart; 0: none [default: 60000].
    #[arg(long, global = true, env = "CONVEYOR_RATE_LIMIT_PER_MINUTE")]
    pub rate_limit_per_minute: Option<u32>,
    /// Calls creating async actions per project per minute; 0: none [default: 60000].
    #[arg(long, global = true, env = "CONVEYOR_BULK_RATE_LIMIT_PER_MINUTE")]
    pub bulk_rate_limit_per_minute: Option<u32>,
    /// Bearer token that `GET /metrics` requires [default: none, /metrics is open].
    #[arg(long, global = true, env = "CONVEYOR_METRICS_TOKEN", hide_env_values = true, help_heading = SERVER)]
    pub metrics_token: Option<String>,
    /// Log filter, e.g. `info` or `conveyor=debug` (RUST_LOG wins; `tokio_postgres`, whose
    /// debug lines carry statement parameters, stays at info unless named) [default: info].
    #[arg(long, global = true, env = "CONVEYOR_LOG", help_heading = SERVER)]
    pub log: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The process roles and admin commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API and workers in one process (migrates first).
    Serve,
    /// Run workers (and webhook delivery) only: extra nodes sharing a PostgreSQL database
    /// (migrates first).
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage projects.
    #[command(subcommand)]
    Projects(ProjectsCommand),
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Upload a CSV file to a running server's import endpoint and follow the action
    /// (exit 0 when it ends DONE, 1 when FAILED, 2 on errors).
    Import(ImportArgs),
    /// List, show, follow and cancel a running server's async actions.
    Actions(ActionsArgs),
}

/// `conveyor projects …`.
#[derive(Debug, Subcommand)]
pub enum ProjectsCommand {
    /// Create a project (or reuse one by that name) and print a new app id/token pair for it.
    Create {
        /// The project's name.
        name: String,
    },
}

/// `conveyor config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the example configuration file, with every setting and its default.
    Default,
}

impl Cli {
    /// The configuration: file, then environment and flags.
    pub fn resolve_config(&self) -> anyhow::Result<Config> {
        let mut c = Config::load(self.config.as_deref())?;
        if let Some(v) = &self.bind {
            c.bind = v.clone();
        }
        if let Some(v) = &self.database_url {
            c.database_url = v.clone();
        }
        if let Some(v) = self.sqlite_synchronous {
            c.sqlite_synchronous = match v {
                SqliteSynchronous::Full => Synchronous::Full,
                SqliteSynchronous::Normal => Synchronous::Normal,
            };
        }
        if let Some(v) = &self.app_id {
            c.app_id = Some(v.clone());
        }
        if let Some(v) = &self.app_token {
            c.app_token = Some(v.clone());
        }
        if let Some(v) = self.workers {
            c.engine.workers = v;
        }
        if let Some(v) = self.chunk_size {
            c.engine.chunk_size = v;
        }
        if let Some(v) = self.lease_ms {
            c.engine.lease_ms = v;
            c.engine.heartbeat_ms = c.engine.heartbeat_ms.min(v / 3).max(1);
        }
        if let Some(v) = self.body_limit_bytes {
            c.api.body_limit_bytes = v;
        }
        if let Some(v) = self.csv_limit_bytes {
            c.api.csv_limit_bytes = v;
        }
        if let Some(v) = self.orders_import_limit {
            c.api.orders_import_limit = v;
        }
        if let Some(v) = &self.public_url {
            c.api.public_url = Some(v.clone());
        }
        if let Some(v) = self.oauth_token_ttl_secs {
            c.api.oauth_token_ttl_secs = v;
        }
        if let Some(v) = self.oauth_token_limit {
            c.api.oauth_token_limit = v;
        }
        if let Some(v) = self.rate_limit_per_minute {
            c.api.rate_limit_per_minute = v;
        }
        if let Some(v) = self.bulk_rate_limit_per_minute {
            c.api.bulk_rate_limit_per_minute = v;
        }
        if let Some(v) = &self.metrics_token {
            c.api.metrics_token = Some(v.clone()).filter(|t| !t.is_empty());
        }
        if let Some(v) = self.report_ttl_days {
            c.actions.report_ttl_days = v;
        }
        if let Some(v) = &self.log {
            c.log = v.clone();
        }
        Ok(c)
    }
}

/// Runs the parsed command; the exit code of a client command (server commands exit 0, or
/// fail with the error).
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Config(ConfigCommand::Default) = cli.command {
        print!("{}", crate::config::EXAMPLE);
        return Ok(ExitCode::SUCCESS);
    }
    if matches!(cli.command, Command::Import(_) | Command::Actions(_)) {
        return Ok(run_client(cli).await);
    }
    let config = cli.resolve_config()?;
    init_tracing(&config.log);
    let store = store::open(&config.database_url, config.sqlite_synchronous).await?;
    match cli.command {
        Command::Migrate => {
            println!("Migrations applied ({}).", store.backend());
        }
        Command::Serve => {
            let (_, generated) = bootstrap::default_project(
                &*store,
                config.app_id.as_deref(),
                config.app_token.as_deref(),
            )
            .await?;
            if let Some(creds) = generated {
                println!("Generated credentials for the default project (shown only once):");
                println!("  X-App-Id:    {}", creds.app_id);
                println!("  X-App-Token: {}", creds.app_token);
            }
            let listener = tokio::net::TcpListener::bind(&config.bind)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
            println!("Conveyor listening on http://{}", listener.local_addr()?);
            app::serve(store, &config, listener, app::shutdown_on_signals()).await?;
        }
        Command::Worker => app::work(store, &config, app::shutdown_on_signals()).await?,
        Command::Projects(ProjectsCommand::Create { name }) => {
            let project = store.ensure_project(&name, cv_domain::Timestamp::now()).await?;
            let creds = bootstrap::create_credentials(&*store, &project).await?;
            println!("Project {name} ({project}):");
            println!("  X-App-Id:    {}", creds.app_id);
            println!("  X-App-Token: {}", creds.app_token);
        }
        Command::Config(_) | Command::Import(_) | Command::Actions(_) => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// A client command: no database, only the server's HTTP API.
async fn run_client(cli: Cli) -> ExitCode {
    let config = match cli.resolve_config() {
        Ok(config) => config,
        Err(err) => return client::usage_error(&format!("{err:#}")),
    };
    let url = match &cli.command {
        Command::Import(args) => args.client.url.clone(),
        Command::Actions(args) => args.client.url.clone(),
        _ => None,
    };
    let target = match Target::resolve(
        url.as_deref(),
        cli.app_id.as_deref(),
        cli.app_token.as_deref(),
        &config,
    ) {
        Ok(target) => target,
        Err(message) => return client::usage_error(&message),
    };
    match cli.command {
        Command::Import(args) => client::import(args, &target).await,
        Command::Actions(args) => client::actions(args, &target).await,
        _ => ExitCode::SUCCESS,
    }
}

fn init_tracing(filter: &str) {
    use tracing_subscriber::{Layer as _, layer::SubscriberExt as _, util::SubscriberInitExt as _};
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let _ = tracing_subscriber::registry().with(layer.with_filter(log_filter(filter))).try_init();
}

/// Targets never logged above `info` unless the filter names them: at `debug`, tokio-postgres
/// logs every statement with its parameters, which carry webhook signing secrets and imported
/// data.
pub const QUIET_TARGETS: &[&str] = &["tokio_postgres"];

/// The server's log filter: `filter` (from `--log` or `RUST_LOG`), except that events of
/// [`QUIET_TARGETS`] more verbose than `info` are dropped unless `filter` names the target.
/// It only ever removes events: `--log warn` stays as quiet as it was.
pub fn log_filter<S>(filter: tracing_subscriber::EnvFilter) -> impl Filter<S> + Send + Sync
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    let spec = filter.to_string();
    let named: Vec<&'static str> =
        QUIET_TARGETS.iter().copied().filter(|t| spec.contains(t)).collect();
    let cap = tracing_subscriber::filter::filter_fn(move |meta| {
        *meta.level() <= tracing::Level::INFO
            || !QUIET_TARGETS.iter().any(|t| meta.target().starts_with(t) && !named.contains(t))
    });
    filter.and(cap)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn an_empty_metrics_token_leaves_the_endpoint_open() {
        let token = |args: &[&str]| {
            let cli = Cli::try_parse_from(args).expect("parses");
            cli.resolve_config().expect("config").api.metrics_token
        };
        assert_eq!(token(&["conveyor", "--metrics-token", "m1", "migrate"]), Some("m1".into()));
        assert_eq!(token(&["conveyor", "--metrics-token", "", "migrate"]), None);
    }

    #[test]
    fn statement_logs_stay_quiet_unless_asked_for() {
        use tracing_subscriber::{Layer as _, layer::SubscriberExt as _};
        let logged = |spec: &str| {
            let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let sink = out.clone();
            let writer = move || Sink(sink.clone());
            let layer = tracing_subscriber::fmt::layer().with_writer(writer).with_ansi(false);
            let filter = log_filter(tracing_subscriber::EnvFilter::new(spec));
            let subscriber = tracing_subscriber::registry().with(layer.with_filter(filter));
            tracing::subscriber::with_default(subscriber, || {
                tracing::debug!(target: "tokio_postgres::query", "statement with parameters");
                tracing::info!(target: "tokio_postgres::connection", "a notice");
                tracing::debug!(target: "conveyor::app", "our own debug line");
            });
            let text = String::from_utf8(out.lock().expect("log").clone()).expect("UTF-8");
            ["statement with parameters", "a notice", "our own debug line"]
                .map(|line| text.contains(line))
        };
        assert_eq!(logged("trace"), [false, true, true]);
        assert_eq!(logged("debug"), [false, true, true]);
        assert_eq!(logged("warn"), [false, false, false]);
        assert_eq!(logged("conveyor=debug"), [false, false, true]);
        assert_eq!(logged("debug,tokio_postgres=debug"), [true, true, true]);
    }

    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log").extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
