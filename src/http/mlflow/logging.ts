// What a run logs: metrics, params, tags (set and delete), batches, dataset inputs and (MLflow 3)
// model outputs. Every write goes through the metric and run services, so a retry with the same
// body writes nothing twice: points repeat their (step, timestamp), params their value.
import type { MetricPointInput } from '../../modules/metrics/service.js';
import { type Call, runFor, runIdOf } from './call.js';
import { logDatasetInputs, readDatasetInputs } from './datasets.js';
import { NotFoundError } from '../../errors.js';
import { doesNotExist } from './errors.js';
import { readTags } from './runs.js';
import { RUN_NAME_TAG } from './system-tags.js';
import type { Params } from './wire.js';

/** MLflow requires a timestamp on every point; it is also what makes a retried point the same point. */
function readMetric(m: Params): MetricPointInput & ModelMetric {
  const key = m.string('key');
  const value = m.double('value');
  const timestamp = m.optionalTime('timestamp');
  const step = m.optionalInt('step') ?? 0;
  if (timestamp === null) throw m.missing('timestamp');
  return {
    key,
    value,
    step,
    timestamp,
    modelId: m.optionalString('model_id'),
    datasetName: m.optionalString('dataset_name'),
    datasetDigest: m.optionalString('dataset_digest'),
  };
}

/** MLflow 3 measures a logged model with run metrics that name it (and the dataset): they go to the run and to the model. */
interface ModelMetric {
  modelId: string | null;
  datasetName: string | null;
  datasetDigest: string | null;
}

async function logModelMetrics(call: Call, runId: number, metrics: readonly (MetricPointInput & ModelMetric)[]) {
  const byModel = new Map<string, (MetricPointInput & ModelMetric)[]>();
  for (const m of metrics) if (m.modelId) byModel.set(m.modelId, [...(byModel.get(m.modelId) ?? []), m]);
  for (const [modelId, points] of byModel) {
    call.targets.push(modelId);
    await call.services.loggedModels.logMetrics(
      call.access,
      modelId,
      points.map((m) => ({
        key: m.key,
        value: m.value,
        step: m.step ?? 0,
        timestamp: m.timestamp!,
        runId,
        datasetName: m.datasetName,
        datasetDigest: m.datasetDigest,
      })),
    );
  }
}

function readParam(p: Params): { key: string; value: string } {
  return { key: p.string('key'), value: p.optionalString('value') ?? '' };
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
  const metric = readMetric(call.params);
  await call.services.metrics.logBatch(call.access, { runId, metrics: [metric] });
  await logModelMetrics(call, runId, [metric]);
  return {};
}

export async function logParam(call: Call) {
  const runId = targetRun(call);
  const param = readParam(call.params);
  await call.services.metrics.logBatch(call.access, { runId, params: [param] });
  return {};
}

export async function setTag(call: Call) {
  const runId = targetRun(call);
  const tag = readParam(call.params);
  await call.services.runs.setTags(call.access, { runId, tags: [tag] });
  await renameFromTags(call, runId, [tag]);
  return {};
}

export async function deleteTag(call: Call) {
  const mlflowId = call.params.runId();
  const key = call.params.string('key');
  const runId = targetRun(call);
  try {
    await call.services.runs.removeTag(call.access, runId, key);
  } catch (error) {
    if (error instanceof NotFoundError && error.details.kind === 'RunTag') throw doesNotExist(`No tag with name: ${key} in run with id ${mlflowId}`);
    throw error;
  }
  return {};
}

export async function logBatch(call: Call) {
  const p = call.params;
  const runId = targetRun(call);
  const metrics = p.objects('metrics').map(readMetric);
  const params = p.objects('params').map(readParam);
  const tags = readTags(p);
  await call.services.metrics.logBatch(call.access, { runId, metrics, params, tags });
  await logModelMetrics(call, runId, metrics);
  await renameFromTags(call, runId, tags);
  return {};
}

export async function logInputs(call: Call) {
  const mlflowId = call.params.runId();
  const inputs = readDatasetInputs(call.params.objects('datasets'));
  const models = call.params.objects('models').map((m) => m.string('model_id'));
  const run = await runFor(call, mlflowId, 'EDITOR');
  await logDatasetInputs(call, run, inputs);
  if (models.length) await call.services.loggedModels.linkRun(call.access, run.id, { inputs: models });
  return {};
}

/** MLflow 3 links the logged models a run produced to it, each at a step. */
export async function logOutputs(call: Call) {
  const mlflowId = call.params.runId();
  const outputs = call.params.objects('models').map((m) => ({ modelId: m.string('model_id'), step: m.optionalInt('step') ?? 0 }));
  const run = await runFor(call, mlflowId, 'EDITOR');
  if (outputs.length) await call.services.loggedModels.linkRun(call.access, run.id, { outputs });
  return {};
}
