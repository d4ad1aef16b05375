// conveyor-bench's peer: graphile-worker processing N no-op jobs added in one batch (addJobs),
// with 16 concurrent jobs, in one of two modes:
//
//   default  its documented defaults otherwise: no local queue, each job's completion its own
//            statement, pollInterval 2000 ms, LISTEN/NOTIFY, default logging;
//   batched  the batching its performance guide describes: a local queue of 500 jobs fetched
//            (and locked) at once, completions batched (completeJobBatchDelay 0).
//
// Both modes size the connection pool as graphile-worker's docs recommend (concurrency + 2; its
// default of 10 is below the concurrency, which it warns about). Timed from the addJobs call
// to the N-th job:success event; the time until the jobs table is seen empty (polled every
// 10 ms once the last job has run) is recorded as drained_seconds.
//
//   DATABASE_URL=postgres://… node run.mjs --jobs 20000 --mode default|batched --out result.json
import { readFileSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { makeWorkerUtils, run } from "graphile-worker";
import noop from "./noop.mjs";

const CONCURRENCY = 16;
const MAX_POOL_SIZE = CONCURRENCY + 2;
const LOCAL_QUEUE_SIZE = 500;
const COMPLETE_JOB_BATCH_DELAY = 0;

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "20000" },
    mode: { type: "string", default: "default" },
    out: { type: "string" },
  },
});
const jobs = Number(values.jobs);
const mode = values.mode;
const connectionString = process.env.DATABASE_URL;
if (!connectionString || !(jobs > 0) || !["default", "batched"].includes(mode) || !values.out) {
  console.error(
    "usage: DATABASE_URL=postgres://… node run.mjs --jobs N [--mode default|batched] --out FILE",
  );
  process.exit(2);
}
const version = JSON.parse(
  readFileSync(new URL("./node_modules/graphile-worker/package.json", import.meta.url)),
).version;

const options = {
  connectionString,
  taskList: { noop },
  concurrency: CONCURRENCY,
  maxPoolSize: MAX_POOL_SIZE,
};
let settings = `concurrency ${CONCURRENCY}, maxPoolSize ${MAX_POOL_SIZE}, `;
if (mode === "batched") {
  options.preset = {
    worker: {
      localQueue: { size: LOCAL_QUEUE_SIZE },
      completeJobBatchDelay: COMPLETE_JOB_BATCH_DELAY,
    },
  };
  settings +=
    `localQueue.size ${LOCAL_QUEUE_SIZE}, completeJobBatchDelay ${COMPLETE_JOB_BATCH_DELAY} ms, ` +
    "pollInterval 2000 ms";
} else {
  settings +=
    "no local queue (localQueue.size -1), completeJobBatchDelay -1 (off), pollInterval 2000 ms";
}

const runner = await run(options);
const utils = await makeWorkerUtils({ connectionString });
const queued = () =>
  utils
    .withPgClient((client) => client.query("SELECT COUNT(*)::int AS n FROM graphile_worker.jobs"))
    .then((result) => result.rows[0].n);
let succeeded = 0;
let failed = 0;
let finish;
const allDone = new Promise((resolve) => (finish = resolve));
runner.events.on("job:success", () => {
  succeeded += 1;
  if (succeeded === jobs) finish();
});
runner.events.on("job:error", () => {
  failed += 1;
});
const timeout = setTimeout(() => {
  console.error(`timed out: ${succeeded} of ${jobs} jobs done, ${failed} errors`);
  process.exit(1);
}, 600_000);

const specs = Array.from({ length: jobs }, (_, i) => ({ identifier: "noop", payload: { i } }));
const started = performance.now();
await utils.addJobs(specs);
const added = performance.now();
await allDone;
const ended = performance.now();
while ((await queued()) !== 0) {
  await sleep(10);
}
const drained = performance.now();
clearTimeout(timeout);

await runner.stop();
const left = await queued();
await utils.release();
if (failed > 0 || left !== 0) {
  console.error(`${failed} job errors, ${left} jobs left in the queue`);
  process.exit(1);
}
writeFileSync(
  values.out,
  JSON.stringify({
    peer: "graphile-worker",
    version,
    mode,
    settings,
    concurrency: CONCURRENCY,
    max_pool_size: MAX_POOL_SIZE,
    local_queue_size: mode === "batched" ? LOCAL_QUEUE_SIZE : -1,
    complete_job_batch_delay_ms: mode === "batched" ? COMPLETE_JOB_BATCH_DELAY : -1,
    jobs: succeeded,
    add_seconds: (added - started) / 1000,
    total_seconds: (ended - started) / 1000,
    drained_seconds: (drained - started) / 1000,
    jobs_per_second: succeeded / ((ended - started) / 1000),
  }),
);
