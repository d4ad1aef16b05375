// conveyor-bench's peer: graphile-worker, with its documented defaults (run() given only a
// connection string and the task list: concurrency 1, pollInterval 2000 ms, LISTEN/NOTIFY,
// default logging), processing N no-op jobs added in one batch (addJobs). Timed from the
// addJobs call to the N-th job:success event.
//
//   DATABASE_URL=postgres://… node run.mjs --jobs 20000 --out result.json
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { makeWorkerUtils, run } from "graphile-worker";
import noop from "./noop.mjs";

const { values } = parseArgs({
  options: { jobs: { type: "string", default: "20000" }, out: { type: "string" } },
});
const jobs = Number(values.jobs);
const connectionString = process.env.DATABASE_URL;
if (!connectionString || !(jobs > 0) || !values.out) {
  console.error("usage: DATABASE_URL=postgres://… node run.mjs --jobs N --out FILE");
  process.exit(2);
}
const version = JSON.parse(
  readFileSync(new URL("./node_modules/graphile-worker/package.json", import.meta.url)),
).version;

const runner = await run({ connectionString, taskList: { noop } });
const utils = await makeWorkerUtils({ connectionString });
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
clearTimeout(timeout);

const left = await utils.withPgClient((client) =>
  client.query("SELECT COUNT(*)::int AS n FROM graphile_worker.jobs"),
);
await runner.stop();
await utils.release();
if (failed > 0 || left.rows[0].n !== 0) {
  console.error(`${failed} job errors, ${left.rows[0].n} jobs left in the queue`);
  process.exit(1);
}
writeFileSync(
  values.out,
  JSON.stringify({
    peer: "graphile-worker",
    version,
    settings: "documented defaults (concurrency 1, pollInterval 2000 ms)",
    jobs: succeeded,
    add_seconds: (added - started) / 1000,
    total_seconds: (ended - started) / 1000,
    jobs_per_second: succeeded / ((ended - started) / 1000),
  }),
);
