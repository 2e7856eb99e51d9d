// Metric history, served by the downsampled history reader: a series longer than the answer's
// limit keeps its lowest and highest point per bucket, so spikes survive.
import { mlflowRunId } from '../../modules/runs/mlflow-id.js';
import { type Call, runFor } from './call.js';
import { invalidParameter } from './errors.js';
import { doubleOut, millis } from './wire.js';

/** The most points one GetMetricHistory answer holds; a longer series is downsampled to this. */
const FULL_HISTORY_POINTS = 100_000;
const BULK_MAX_RUNS = 100;
const BULK_DEFAULT_POINTS = 320;
const BULK_MAX_POINTS = 10_000;

export async function getMetricHistory(call: Call) {
  const run = await runFor(call, call.params.runId(), 'VIEWER');
  const key = call.params.string('metric_key');
  const series = await call.services.metrics.history(call.access, run, { key, maxPoints: FULL_HISTORY_POINTS });
  return { metrics: series.points.map((pt) => ({ key, value: doubleOut(pt.value), timestamp: millis(pt.timestamp), step: pt.step })) };
}

export async function getMetricHistoryBulkInterval(call: Call) {
  const p = call.params;
  const ids = p.strings('run_ids');
  if (ids.length === 0 || ids.length > BULK_MAX_RUNS) throw invalidParameter('run_ids', `must name 1 to ${BULK_MAX_RUNS} runs (got ${ids.length})`);
  const key = p.string('metric_key');
  const maxResults = p.optionalInt('max_results') ?? BULK_DEFAULT_POINTS;
  if (maxResults < 2 || maxResults > BULK_MAX_POINTS) throw invalidParameter('max_results', `must be from 2 to ${BULK_MAX_POINTS} (got ${maxResults})`);
  const fromStep = p.optionalInt('start_step');
  const toStep = p.optionalInt('end_step');
  if (fromStep !== null && toStep !== null && toStep < fromStep) throw invalidParameter('end_step', 'must not be below start_step');
  const runs = await Promise.all(ids.map((id) => runFor(call, id, 'VIEWER')));
  const metrics = [];
  for (const run of runs) {
    const series = await call.services.metrics.history(call.access, run, { key, maxPoints: maxResults, fromStep, toStep });
    for (const pt of series.points)
      metrics.push({ key, value: doubleOut(pt.value), timestamp: millis(pt.timestamp), step: pt.step, run_id: mlflowRunId(run.id) });
  }
  return { metrics };
}
