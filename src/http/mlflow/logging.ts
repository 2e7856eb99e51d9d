// What a run logs: metrics, params, tags (set and delete), batches, dataset inputs and (MLflow 3)
// model outputs. Every write goes through the metric and run services, so a retry with the same
// body writes nothing twice: points repeat their (step, timestamp), params their value.
import type { MetricPointInput } from '../../modules/metrics/service.js';
import { type Call, runFor, runIdOf } from './call.js';
import { logDatasetInputs } from './datasets.js';
import { doesNotExist, invalidParameter } from './errors.js';
import { readTags } from './runs.js';
import { RUN_NAME_TAG } from './system-tags.js';
import type { Params } from './wire.js';

/** MLflow requires a timestamp on every point; it is also what makes a retried point the same point. */
function readMetric(m: Params, field: string): MetricPointInput {
  const key = m.optionalString('key');
  if (!key) throw invalidParameter(`${field}.key`, 'is required');
  const timestamp = m.optionalTime('timestamp');
  if (timestamp === null) throw invalidParameter(`${field}.timestamp`, 'is required (milliseconds since the epoch)');
  return { key, value: readValue(m, field), step: m.optionalInt('step') ?? 0, timestamp };
}

function readValue(m: Params, field: string): number {
  if (!m.has('value')) throw invalidParameter(`${field}.value`, 'is required');
  try {
    return m.double('value');
  } catch {
    throw invalidParameter(`${field}.value`, `must be a number, "NaN", "Infinity" or "-Infinity" (got ${JSON.stringify(m.fields.value)})`);
  }
}

function readParam(p: Params, field: string): { key: string; value: string } {
  const key = p.optionalString('key');
  if (!key) throw invalidParameter(`${field}.key`, 'is required');
  return { key, value: p.optionalString('value') ?? '' };
}

/** A run's name is also its mlflow.runName tag: setting the tag renames the run, as MLflow's server does. */
async function renameFromTags(call: Call, runId: number, tags: readonly { key: string; value: string }[]) {
  const name = tags.findLast((t) => t.key === RUN_NAME_TAG)?.value;
  if (name) await call.services.runs.update(call.access, { runId, name });
}

/** The run a write names, for the audit row; the service decides whether the caller may write it. */
function targetRun(call: Call): number {
  const mlflowId = call.params.runId();
  call.targets.push(mlflowId);
  return runIdOf(mlflowId);
}

export async function logMetric(call: Call) {
  const runId = targetRun(call);
  await call.services.metrics.logBatch(call.access, { runId, metrics: [readMetric(call.params, 'metric')] });
  return {};
}

export async function logParam(call: Call) {
  const runId = targetRun(call);
  await call.services.metrics.logBatch(call.access, { runId, params: [readParam(call.params, 'param')] });
  return {};
}

export async function setTag(call: Call) {
  const runId = targetRun(call);
  const tag = readParam(call.params, 'tag');
  await call.services.runs.setTags(call.access, { runId, tags: [tag] });
  await renameFromTags(call, runId, [tag]);
  return {};
}

export async function deleteTag(call: Call) {
  const run = await runFor(call, call.params.runId(), 'EDITOR');
  const key = call.params.string('key');
  const [tag] = (await call.services.runs.tagsOf(call.access, [run])).filter((t) => t.key === key);
  if (!tag) throw doesNotExist(`No tag with name: ${key} in run with id ${call.params.runId()}`);
  await call.services.runs.setTags(call.access, { runId: run.id, remove: [key] });
  return {};
}

export async function logBatch(call: Call) {
  const p = call.params;
  const runId = targetRun(call);
  const metrics = p.objects('metrics').map((m, i) => readMetric(m, `metrics[${i}]`));
  const params = p.objects('params').map((m, i) => readParam(m, `params[${i}]`));
  const tags = readTags(p);
  await call.services.metrics.logBatch(call.access, { runId, metrics, params, tags });
  await renameFromTags(call, runId, tags);
  return {};
}

export async function logInputs(call: Call) {
  const run = await runFor(call, call.params.runId(), 'EDITOR');
  await logDatasetInputs(call, run, call.params.objects('datasets'));
  return {};
}

/** MLflow 3 links logged models to the run that made them; a runledger logged model already belongs to its run (see logged-models.ts). */
export async function logOutputs(call: Call) {
  await runFor(call, call.params.runId(), 'EDITOR');
  return {};
}
