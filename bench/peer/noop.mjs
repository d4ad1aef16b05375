// The peer's task: does nothing, so that what is measured is graphile-worker's own work per
// job (claim, run, complete), as Conveyor's single-item actions measure its own.
export default async function noop() {}
