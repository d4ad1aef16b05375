//! The crash harness: the real server killed with SIGKILL at random moments while it imports
//! a customers CSV and generates a campaign's codes, restarted each time; then a SIGTERM
//! under load. At the end every row and code must be there exactly once with its final
//! values, and progress must never have gone down.

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
use rand::{Rng, SeedableRng, rngs::StdRng};

use cv_bench::api::Api;

use crate::observe::Observer;

/// What one crash run is asked to do.
pub struct Plan {
    pub backend: Backend,
    pub database_url: Option<String>,
    pub binary: PathBuf,
    pub rows: usize,
    pub codes: u64,
    pub kills: u32,
    pub seed: u64,
    pub lease_ms: u64,
    pub chunk_size: usize,
    pub window_ms: u64,
}

/// Runs the plan; fails on the first broken promise.
pub async fn run(plan: Plan) -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("conveyor-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    eprintln!("crash: generating {} customers…", plan.rows);
    let rows = data::generate(plan.rows);
    let csv = dir.join("customers.csv");
    let bytes = data::write_csv(&rows, &csv)?;
    let db = fresh_database(plan.backend, plan.database_url.as_deref(), &dir, "crash").await?;
    let options = Options::serve(&db, bytes * 2)
        .with("CONVEYOR_LEASE_MS", plan.lease_ms)
        .with("CONVEYOR_CHUNK_SIZE", plan.chunk_size);

    let mut server = Server::launch(&plan.binary, &options).await?;
    let mut api = Api::new(&server.base);
    let import = api.import_customers(&csv).await?;
    let (campaign, generation) = api.generate_codes("CRASH", plan.codes).await?;
    let ids = vec![import.clone(), generation.clone()];
    eprintln!("crash: import {import}, generation {generation}");

    let mut rng = StdRng::seed_from_u64(plan.seed);
    let mut observer = Observer::default();
    let mut kills = 0;
    let resume_patience = Duration::from_millis(3 * plan.lease_ms + 10_000);
    while kills < plan.kills {
        // Each kill lands mid-work: once an action has moved since the last start, at a
        // random moment within the window.
        wait_for_progress(&api, &mut observer, &ids, resume_patience)
            .await
            .map_err(|e| e.context(format!("before kill {} of {}", kills + 1, plan.kills)))?;
        let wait = Duration::from_millis(rng.random_range(0..=plan.window_ms));
        let until = Instant::now() + wait;
        while Instant::now() < until {
            if observer.all_finished(&api, &ids).await? {
                bail!(
                    "the work finished after {kills} of {} kills: use more rows or codes",
                    plan.kills
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        server.kill().await;
        kills += 1;
        eprintln!(
            "crash: kill {kills} {:>4} ms into the work: import at {:>3}%, generation at {:>3}%",
            wait.as_millis(),
            observer.progress(&import),
            observer.progress(&generation)
        );
        server = Server::launch(&plan.binary, &options).await?;
        api = Api::new(&server.base);
    }

    // Shutdown under load: SIGTERM must end the process within 10 s, and the next start
    // goes on from the checkpoint.
    wait_for_progress(&api, &mut observer, &ids, resume_patience).await?;
    let (took, clean) = server.terminate(Duration::from_secs(30)).await?;
    eprintln!("crash: SIGTERM exit after {} ms (clean: {clean})", took.as_millis());
    ensure!(clean, "the server did not exit cleanly on SIGTERM");
    ensure!(took <= Duration::from_secs(10), "SIGTERM took {} ms (limit 10 s)", took.as_millis());
    server = Server::launch(&plan.binary, &options).await?;
    api = Api::new(&server.base);

    // Everything finishes: no action stays IN_PROGRESS once its lease is over.
    let stuck_after = Duration::from_millis(3 * plan.lease_ms) + Duration::from_secs(120);
    observer.wait_all_finished(&api, &ids, stuck_after).await?;
    let imported = observer.read(&api, &import).await?;
    let generated = observer.read(&api, &generation).await?;
    server.stop().await;
    for (what, action, want) in
        [("import", &imported, plan.rows as u64), ("generation", &generated, plan.codes)]
    {
        ensure!(action["status"] == "DONE", "the {what} ended {action}");
        ensure!(action["progress"] == 100, "the {what} is DONE below 100%: {action}");
        let (done, failed) =
            (action["result"]["done_count"].as_u64(), action["result"]["failed_count"].as_u64());
        ensure!(done == Some(want), "the {what} counted {done:?} of {want}: {action}");
        ensure!(failed.unwrap_or(0) == 0, "the {what} has failures (a replayed item?): {action}");
    }
    verify(&db, &rows, &campaign, plan.codes).await?;
    let actions = database::actions(&db).await?;
    for a in &actions {
        eprintln!(
            "crash: {} {} {} attempts {} done {} failed {}",
            a.id, a.kind, a.status, a.attempt, a.done_count, a.failed_count
        );
    }
    std::fs::remove_dir_all(&dir).ok();
    println!(
        "crash harness on {:?}: {} rows and {} codes, {kills} SIGKILLs + 1 SIGTERM, {} progress reads never decreasing, every row and code exactly once; {:.1} s",
        plan.backend,
        plan.rows,
        plan.codes,
        observer.reads,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Waits until one of `ids` makes progress (so the next signal lands mid-work).
async fn wait_for_progress(
    api: &Api,
    observer: &mut Observer,
    ids: &[String],
    patience: Duration,
) -> anyhow::Result<()> {
    let before: Vec<u64> = ids.iter().map(|id| observer.progress(id)).collect();
    let until = Instant::now() + patience;
    while Instant::now() < until {
        if observer.all_finished(api, ids).await? {
            bail!("the work finished before the signal: use more rows or codes");
        }
        if ids.iter().zip(&before).any(|(id, b)| observer.progress(id) > *b) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("no progress within {patience:?} of the restart")
}

/// The database holds every generated customer once with its values, and exactly `codes`
/// distinct codes in the campaign.
async fn verify(db: &str, rows: &[data::Row], campaign: &str, codes: u64) -> anyhow::Result<()> {
    let mismatches = database::customer_mismatches(db, rows).await?;
    ensure!(mismatches.is_empty(), "customers differ from the file:\n{}", mismatches.join("\n"));
    let (total, distinct) = database::count_codes(db, campaign).await?;
    ensure!(
        (total, distinct) == (codes, codes),
        "the campaign holds {total} vouchers, {distinct} distinct codes; expected {codes}"
    );
    let stuck: Vec<_> = database::actions(db)
        .await?
        .into_iter()
        .filter(|a| a.status == "IN_PROGRESS" || a.status == "ENQUEUED")
        .map(|a| a.id)
        .collect();
    ensure!(stuck.is_empty(), "actions left unfinished: {stuck:?}");
    Ok(())
}
