//! Several nodes on one PostgreSQL database: one `serve` and two `worker` processes, one
//! worker each, share two imports, a code generation and small actions; one worker is killed
//! with SIGKILL while it holds an action. Every action must finish, every item applied
//! exactly once, and the killed node's action re-claimed (its attempt recorded).

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use anyhow::{bail, ensure};
use cv_bench::{
    Backend, data,
    database::{self, fresh_database},
    server::{Options, Server},
};
use serde_json::json;

use cv_bench::api::Api;

use crate::observe::Observer;

/// What one multi-node run is asked to do.
pub struct Plan {
    pub database_url: String,
    pub binary: PathBuf,
    pub rows: usize,
    pub codes: u64,
    pub small: usize,
    pub lease_ms: u64,
}

/// Runs the plan; fails on the first broken promise.
pub async fn run(plan: Plan) -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("conveyor-nodes-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let rows = data::generate(2 * plan.rows);
    let (csv_a, csv_b) = (dir.join("a.csv"), dir.join("b.csv"));
    let bytes = data::write_csv(&rows[..plan.rows], &csv_a)?;
    data::write_csv(&rows[plan.rows..], &csv_b)?;
    let db =
        fresh_database(Backend::Postgres, Some(plan.database_url.as_str()), &dir, "nodes").await?;
    let serve = Options::serve(&db, bytes * 2)
        .with("CONVEYOR_LEASE_MS", plan.lease_ms)
        .with("CONVEYOR_CHUNK_SIZE", 5_000)
        .with("CONVEYOR_WORKERS", 1);
    let worker = Options { command: "worker", ..serve.clone() };
    let api_node = Server::launch(&plan.binary, &serve).await?;
    let api = Api::new(&api_node.base);
    let mut workers = vec![
        Server::launch(&plan.binary, &worker).await?,
        Server::launch(&plan.binary, &worker).await?,
    ];

    let mut long = vec![api.import_customers(&csv_a).await?, api.import_customers(&csv_b).await?];
    let (campaign, generation) = api.generate_codes("NODES", plan.codes).await?;
    long.push(generation);
    let mut all = long.clone();
    for i in 0..plan.small {
        let body = json!([{"source_id": format!("p-{i}"), "name": format!("Product {i}")}]);
        let res = api.post("/v1/products/bulk/async", &body).await?;
        all.push(res["async_action_id"].as_str().unwrap_or_default().to_owned());
    }

    // Wait until the three long actions run at once: one on each node.
    let mut observer = Observer::default();
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        let mut running = 0;
        for id in &long {
            let a = observer.read(&api, id).await?;
            running += usize::from(a["status"] == "IN_PROGRESS" && a["progress"] != 0);
        }
        if running == long.len() {
            break;
        }
        if observer.all_finished(&api, &long).await? {
            bail!("the long actions finished before a node was killed: use more rows");
        }
        ensure!(Instant::now() < until, "the three nodes never ran the three actions at once");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let victim = workers.pop().expect("two workers");
    eprintln!("nodes: killing worker pid {:?} mid-run", victim.pid());
    victim.kill().await;

    let stuck_after = Duration::from_millis(3 * plan.lease_ms) + Duration::from_secs(120);
    observer.wait_all_finished(&api, &all, stuck_after).await?;
    for id in &all {
        let a = observer.read(&api, id).await?;
        ensure!(a["status"] == "DONE", "{id} ended {a}");
        ensure!(a["result"]["failed_count"].as_u64().unwrap_or(0) == 0, "{id} has failures: {a}");
    }
    for w in workers {
        w.stop().await;
    }
    api_node.stop().await;

    let mismatches = database::customer_mismatches(&db, &rows).await?;
    ensure!(mismatches.is_empty(), "customers differ from the files:\n{}", mismatches.join("\n"));
    let (total, distinct) = database::count_codes(&db, &campaign).await?;
    ensure!((total, distinct) == (plan.codes, plan.codes), "{total} vouchers, {distinct} distinct");
    let products = database::count_rows(&db, "products").await?;
    ensure!(products == plan.small as u64, "{products} products, expected {}", plan.small);
    let actions = database::actions(&db).await?;
    let reclaimed: Vec<_> = actions.iter().filter(|a| a.attempt > 1).collect();
    for a in &actions {
        if a.kind != "PRODUCTS.BULK_UPDATE" || a.attempt > 1 {
            eprintln!(
                "nodes: {} {} {} attempts {} done {}",
                a.id, a.kind, a.status, a.attempt, a.done_count
            );
        }
    }
    ensure!(!reclaimed.is_empty(), "no action was re-claimed: the killed node held nothing");
    std::fs::remove_dir_all(&dir).ok();
    println!(
        "multi-node harness: 3 nodes, 1 killed; {} actions DONE ({} re-claimed), {} customers, {} codes, {} products, each exactly once; {:.1} s",
        actions.len(),
        reclaimed.len(),
        rows.len(),
        plan.codes,
        plan.small,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
