//! P7, scale-out: P3's tiny actions on 1, 2 and 3 Conveyor nodes sharing one PostgreSQL
//! database, each node reaching it through a [`DelayProxy`] of its own that delays every byte
//! by `--delay-ms` (1 ms) each way, as across a data-centre network. A round trip to the
//! database then costs at least twice the delay, so throughput is bounded by round trips,
//! which more nodes make in parallel, rather than by this machine's cores.
//!
//! Each run starts on a fresh database (durable, as `bench/run.sh` starts it) with `n` real
//! `conveyor serve` processes, every one serving HTTP and running its default workers. The
//! clients (16, keep-alive) send single-customer `POST /v1/customers/bulk/async` round robin
//! over the nodes' HTTP ports, the i-th action to node `i mod n`. The clock runs from the first
//! POST until the database holds every action DONE, counted every 10 ms on a direct connection
//! (not through a proxy); the nodes' start and migrations are not timed. Each run is reported
//! in actions/s and as a ratio to the one-node run, with the one-way delay the proxies
//! measured; the target is 2 nodes ≥ 1.6× one node.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use cv_bench::{
    Backend,
    api::Api,
    database::{Durability, FinishedCounter, drop_database, fresh_database},
    delay_proxy::{DelayProxy, Delays},
    server::Server,
    stats::verdict,
};

use crate::tiny::{ensure_all_done, submit_and_count};

/// Two nodes must reach this multiple of one node's actions/s.
const TARGET_TWO_TO_ONE: f64 = 1.6;

/// What to run.
pub struct Options {
    /// Actions per run.
    pub actions: u64,
    /// Concurrent submitting clients, spread over the nodes.
    pub clients: usize,
    /// Node counts, one run each, in order.
    pub nodes: Vec<usize>,
    /// Added to every byte between a node and PostgreSQL, each way.
    pub delay: Duration,
    /// The PostgreSQL server (fresh databases are created on it).
    pub url: String,
    /// The `conveyor` binary.
    pub binary: PathBuf,
}

/// One node count's run.
pub struct Run {
    /// Conveyor nodes.
    nodes: usize,
    /// Actions.
    actions: u64,
    /// From the first POST to the last 202.
    submitted: Duration,
    /// From the first POST until every action was DONE.
    total: Duration,
    /// What the proxies delayed, across nodes.
    delays: Delays,
}

impl Run {
    fn rate(&self) -> f64 {
        self.actions as f64 / self.total.as_secs_f64()
    }
}

/// The figures of one invocation.
pub struct Report {
    clients: usize,
    delay: Duration,
    durability: Durability,
    runs: Vec<Run>,
}

impl Report {
    /// `run`'s actions/s over the one-node run's, when there was one.
    fn ratio(&self, run: &Run) -> Option<f64> {
        let one = self.runs.iter().find(|r| r.nodes == 1)?;
        Some(run.rate() / one.rate())
    }

    /// Two nodes over one, when both ran.
    fn two_to_one(&self) -> Option<f64> {
        self.runs.iter().find(|r| r.nodes == 2).and_then(|r| self.ratio(r))
    }

    /// The figures as JSON.
    pub fn to_json(&self) -> Value {
        let runs: Vec<Value> = self
            .runs
            .iter()
            .map(|r| {
                json!({
                    "nodes": r.nodes,
                    "actions": r.actions,
                    "submit_seconds": r.submitted.as_secs_f64(),
                    "total_seconds": r.total.as_secs_f64(),
                    "per_second": r.rate(),
                    "ratio_to_one_node": self.ratio(r),
                    "proxy_chunks": r.delays.chunks,
                    "proxy_mean_delay_ms": r.delays.mean().map(|d| d.as_secs_f64() * 1000.0),
                })
            })
            .collect();
        let target = self.two_to_one().map(|ratio| {
            json!({"target": TARGET_TWO_TO_ONE, "value": ratio, "met": ratio >= TARGET_TWO_TO_ONE})
        });
        json!({
            "scenario": "scale-out",
            "clients": self.clients,
            "delay_ms": self.delay.as_secs_f64() * 1000.0,
            "postgres": self.durability.to_json(),
            "runs": runs,
            "targets": {"ratio_two_nodes_to_one": target},
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let delay_ms = self.delay.as_secs_f64() * 1000.0;
        writeln!(
            f,
            "scale-out: single-item actions from {} concurrent clients, round robin over every \
             node's HTTP port;\n  each node reaches PostgreSQL through a proxy of its own adding \
             {delay_ms} ms each way",
            self.clients
        )?;
        writeln!(f, "  PostgreSQL: {}", self.durability)?;
        writeln!(
            f,
            "  {:>5} {:>8} {:>9} {:>9} {:>10} {:>9} {:>17}",
            "nodes", "actions", "submit s", "total s", "actions/s", "÷ 1 node", "one-way delay ms"
        )?;
        for run in &self.runs {
            let ratio = self.ratio(run).map_or_else(|| "-".to_owned(), |r| format!("{r:.2}"));
            let delay = run
                .delays
                .mean()
                .map_or_else(|| "-".to_owned(), |d| format!("{:.2}", d.as_secs_f64() * 1000.0));
            let (nodes, actions, rate) = (run.nodes, run.actions, run.rate());
            let (submitted, total) = (run.submitted.as_secs_f64(), run.total.as_secs_f64());
            writeln!(
                f,
                "  {nodes:>5} {actions:>8} {submitted:>9.2} {total:>9.2} {rate:>10.0} {ratio:>9} {delay:>17}"
            )?;
        }
        let line = format!("2 nodes ≥ {TARGET_TWO_TO_ONE:.1}× one node");
        match self.two_to_one() {
            Some(ratio) => {
                write!(f, "  target: {line}: {} ({ratio:.2})", verdict(ratio >= TARGET_TWO_TO_ONE))
            }
            None => write!(f, "  target: {line}: needs a 1-node and a 2-node run"),
        }
    }
}

/// Runs each node count in turn, each on a fresh database.
pub async fn run(options: &Options) -> anyhow::Result<Report> {
    if options.nodes.contains(&0) {
        bail!("--nodes: every run needs at least one node");
    }
    let durability = Durability::of(&options.url).await?;
    if !durability.is_durable() {
        eprintln!(
            "scale-out: warning: PostgreSQL runs with {durability}; P7 is for a durable server"
        );
    }
    let mut runs = Vec::new();
    for &nodes in &options.nodes {
        let run = nodes_run(options, nodes).await?;
        eprintln!("scale-out: {nodes} node(s) → {:.0} actions/s", run.rate());
        runs.push(run);
    }
    Ok(Report { clients: options.clients, delay: options.delay, durability, runs })
}

/// One run: `nodes` servers, each behind its own proxy, on a fresh database dropped afterwards.
async fn nodes_run(options: &Options, nodes: usize) -> anyhow::Result<Run> {
    let name = format!("scale{nodes}");
    let database_url =
        fresh_database(Backend::Postgres, Some(&options.url), &std::env::temp_dir(), &name).await?;
    let upstream = upstream(&database_url).await?;
    let (mut proxies, mut servers) = (Vec::new(), Vec::new());
    for _ in 0..nodes {
        let proxy = DelayProxy::start(upstream, options.delay).await?;
        let url = through(&database_url, proxy.addr())?;
        servers.push(Server::start(&options.binary, &url, 1024 * 1024).await?);
        proxies.push(proxy);
    }
    let apis: Vec<Api> = servers.iter().map(|s| Api::new(&s.base)).collect();
    let counter = FinishedCounter::connect(&database_url).await?;
    eprintln!("scale-out: {} actions on {nodes} node(s)…", options.actions);
    let (submitted, total) =
        submit_and_count(&apis, options.clients, options.actions, &counter).await?;
    let delays = proxies.iter().map(DelayProxy::delays).sum();
    drop(counter);
    for server in servers {
        server.stop().await;
    }
    drop(proxies);
    ensure_all_done(&database_url, options.actions).await?;
    drop_database(Some(&options.url), &database_url).await?;
    Ok(Run { nodes, actions: options.actions, submitted, total, delays })
}

/// The address of the PostgreSQL server `database_url` names (by TCP).
async fn upstream(database_url: &str) -> anyhow::Result<SocketAddr> {
    let config: tokio_postgres::Config = database_url.parse()?;
    let (Some(tokio_postgres::config::Host::Tcp(host)), port) =
        (config.get_hosts().first(), config.get_ports().first().copied().unwrap_or(5432))
    else {
        bail!("{database_url} names no TCP host: the proxy relays TCP");
    };
    tokio::net::lookup_host((host.as_str(), port))
        .await?
        .next()
        .with_context(|| format!("{host} resolves to no address"))
}

/// `url` with its host and port replaced by `addr`, its user, database and parameters kept.
fn through(url: &str, addr: SocketAddr) -> anyhow::Result<String> {
    let (scheme, rest) = url.split_once("://").context("not a postgres:// URL")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let user = authority.rsplit_once('@').map(|(user, _)| format!("{user}@")).unwrap_or_default();
    Ok(format!("{scheme}://{user}{addr}{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn through_replaces_only_the_host_and_port() -> anyhow::Result<()> {
        let addr: SocketAddr = "127.0.0.1:40001".parse()?;
        assert_eq!(
            through("postgres://postgres@127.0.0.1:55440/conveyor_bench_scale1_7", addr)?,
            "postgres://postgres@127.0.0.1:40001/conveyor_bench_scale1_7"
        );
        assert_eq!(
            through("postgresql://u:p@db.example:5432/x?sslmode=disable", addr)?,
            "postgresql://u:p@127.0.0.1:40001/x?sslmode=disable"
        );
        assert_eq!(through("postgres://localhost/x", addr)?, "postgres://127.0.0.1:40001/x");
        Ok(())
    }
}
