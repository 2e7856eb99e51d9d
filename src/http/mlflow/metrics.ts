// Metric history as MLflow serves it: one run's series a page at a time (get-history), several
// runs' whole series (get-history-bulk), and several runs sampled at evenly spread steps
// (get-history-bulk-interval). A series longer than the history reader's limit arrives
// downsampled (its lowest and highest point per bucket), so spikes survive.
import type { Run } from '../../modules/runs/service.js';
import { mlflowRunId } from '../../modules/runs/mlflow-id.js';
import { decodeOffsetToken, encodeOffsetToken } from '../../modules/search/page-token.js';
import { type Call, runFor } from './call.js';
import { invalidParameter } from './errors.js';
import { doubleOut, millis } from './wire.js';

/** The most points one series read holds; a longer series is downsampled to this. */
const FULL_HISTORY_POINTS = 100_000;
/** MLflow's limits: runs per bulk request, points per bulk answer, sampled steps per run. */
const BULK_MAX_RUNS = 100;
const BULK_MAX_POINTS = 25_000;
const INTERVAL_MAX_RESULTS = 2500;

type Point = { step: number; timestamp: Date; value: number };

async function series(call: Call, run: Run, key: string, range: { fromStep?: number | null; toStep?: number | null } = {}): Promise<Point[]> {
  const read = await call.services.metrics.history(call.access, run, { key, maxPoints: FULL_HISTORY_POINTS, ...range });
  // MLflow's order: by step, then time, then value.
  return read.points.slice().sort((a, b) => a.step - b.step || a.timestamp.getTime() - b.timestamp.getTime() || a.value - b.value);
}

const pointJson = (key: string, pt: Point) => ({ key, value: doubleOut(pt.value), timestamp: millis(pt.timestamp), step: pt.step });

export async function getMetricHistory(call: Call) {
  const p = call.params;
  const mlflowId = p.runId();
  const key = p.string('metric_key');
  const maxResults = p.optionalInt('max_results');
  if (maxResults !== null && maxResults < 1) throw p.invalid('max_results', 'It must be a positive integer');
  const offset = decodeOffsetToken(p.optionalString('page_token'));
  const run = await runFor(call, mlflowId, 'VIEWER');
  const points = await series(call, run, key);
  const page = maxResults === null ? points.slice(offset) : points.slice(offset, offset + maxResults);
  const more = maxResults !== null && offset + maxResults < points.length;
  return { metrics: page.map((pt) => pointJson(key, pt)), ...(more ? { next_page_token: encodeOffsetToken(offset + maxResults) } : {}) };
}

/** Whole series of several runs (the MLflow UI's comparison charts), each run in the order asked. */
export async function getMetricHistoryBulk(call: Call) {
  const p = call.params;
  const ids = p.strings('run_id');
  if (ids.length === 0) throw invalidParameter('run_id', 'GetMetricHistoryBulk request must specify at least one run_id.');
  if (ids.length > BULK_MAX_RUNS) {
    throw invalidParameter('run_id', `GetMetricHistoryBulk request cannot specify more than ${BULK_MAX_RUNS} run_ids. Received ${ids.length} run_ids.`);
  }
  const key = p.optionalString('metric_key');
  if (key === null) throw invalidParameter('metric_key', 'GetMetricHistoryBulk request must specify a metric_key.');
  const maxResults = Math.min(p.optionalInt('max_results') ?? BULK_MAX_POINTS, BULK_MAX_POINTS);
  const runs = await Promise.all([...ids].sort().map((id) => runFor(call, id, 'VIEWER')));
  const metrics = [];
  for (const run of runs) {
    for (const pt of await series(call, run, key)) metrics.push({ ...pointJson(key, pt), run_id: mlflowRunId(run.id) });
  }
  return { metrics: metrics.slice(0, Math.max(maxResults, 0)) };
}

/**
 * MLflow's step sampling: up to max_results steps spread evenly over the steps the runs logged
 * (in start_step..end_step), always with each run's first and last step, then every point of
 * each run at those steps.
 */
function sampledSteps(all: readonly (readonly number[])[], maxResults: number, start: number | null, end: number | null): Set<number> {
  const steps = [...new Set(all.flat())].sort((a, b) => a - b);
  const lo = start ?? 0;
  const hi = end ?? steps.at(-1) ?? 0;
  const ends = new Set(all.flatMap((run) => (run.length ? [Math.min(...run), Math.max(...run)] : [])).filter((s) => s >= lo && s <= hi));
  const inRange = steps.filter((s) => s >= lo && s <= hi);
  const chosen = new Set<number>();
  if (inRange.length <= maxResults) inRange.forEach((s) => chosen.add(s));
  else {
    const interval = inRange.length / maxResults;
    for (let i = 0; i < maxResults; i += 1) chosen.add(inRange[Math.floor(i * interval)]!);
    chosen.add(inRange.at(-1)!);
  }
  for (const s of ends) chosen.add(s);
  return chosen;
}

export async function getMetricHistoryBulkInterval(call: Call) {
  const p = call.params;
  const ids = p.strings('run_ids');
  if (ids.length === 0) throw p.missing('run_ids');
  if (ids.length > BULK_MAX_RUNS) {
    throw invalidParameter('run_ids', `GetMetricHistoryBulkInterval request must specify at most ${BULK_MAX_RUNS} run_ids. Received ${ids.length} run_ids.`);
  }
  const key = p.string('metric_key');
  const maxResults = p.optionalInt('max_results') ?? INTERVAL_MAX_RESULTS;
  if (maxResults < 1 || maxResults > INTERVAL_MAX_RESULTS) throw invalidParameter('max_results', `max_results must be between 1 and ${INTERVAL_MAX_RESULTS}.`);
  const start = p.optionalInt('start_step');
  const end = p.optionalInt('end_step');
  if ((start === null) !== (end === null)) throw invalidParameter('start_step', 'If either start step or end step are specified, both must be specified.');
  if (start !== null && end !== null && start > end) {
    throw invalidParameter('end_step', `end_step must be greater than start_step. Found start_step=${start} and end_step=${end}.`);
  }
  const runs = await Promise.all(ids.map((id) => runFor(call, id, 'VIEWER')));
  const histories = await Promise.all(runs.map((run) => series(call, run, key)));
  const steps = sampledSteps(
    histories.map((h) => h.map((pt) => pt.step)),
    maxResults,
    start,
    end,
  );
  const metrics = [];
  for (const [i, run] of runs.entries()) {
    for (const pt of histories[i]!) if (steps.has(pt.step)) metrics.push({ ...pointJson(key, pt), run_id: mlflowRunId(run.id) });
  }
  return { metrics };
}
