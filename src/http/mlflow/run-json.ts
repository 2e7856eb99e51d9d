// Runs as MLflow's Run message: info, data (latest metrics, params, tags) and inputs. A page of
// runs costs one query per kind of row, never one per run.
import { experimentIdOf, type Project } from '../../modules/projects/service.js';
import { mlflowRunId } from '../../modules/runs/mlflow-id.js';
import type { Run } from '../../modules/runs/service.js';
import type { Access } from '../../modules/auth/access.js';
import type { Services } from '../../services.js';
import { datasetJson, inputTagsJson } from './datasets.js';
import { doubleOut, millis } from './wire.js';

export function artifactUri(experimentId: string, runId: number): string {
  return `mlflow-artifacts:/${experimentId}/${mlflowRunId(runId)}/artifacts`;
}

export function runInfoJson(run: Run, project: Project) {
  const id = mlflowRunId(run.id);
  const experimentId = experimentIdOf(project);
  return {
    run_id: id,
    run_uuid: id,
    run_name: run.name,
    experiment_id: experimentId,
    user_id: run.user ?? '',
    status: run.status,
    start_time: millis(run.startedAt),
    end_time: millis(run.endedAt),
    artifact_uri: artifactUri(experimentId, run.id),
    lifecycle_stage: run.deletedAt ? 'deleted' : 'active',
  };
}

function groupBy<T>(rows: readonly T[], key: (row: T) => number): Map<number, T[]> {
  const map = new Map<number, T[]>();
  for (const row of rows) {
    const list = map.get(key(row));
    if (list) list.push(row);
    else map.set(key(row), [row]);
  }
  return map;
}

/** MLflow's Param and RunTag messages: key and value only. */
const keyValueJson = (row: { key: string; value: string }) => ({ key: row.key, value: row.value });

/** A run this call just created: it has no params, metrics or inputs yet, so only its tags are read. */
export async function newRunJson(services: Services, caller: Access, run: Run, project: Project) {
  const tags = await services.runs.tagsOf(caller, [run]);
  return {
    info: runInfoJson(run, project),
    data: { metrics: [], params: [], tags: tags.map(keyValueJson) },
    inputs: { dataset_inputs: [], model_inputs: [] },
    outputs: { model_outputs: [] },
  };
}

/** The full Run messages of these runs, in their order. */
export async function runsJson(services: Services, caller: Access, runs: readonly Run[]) {
  if (runs.length === 0) return [];
  const [projects, params, tags, summaries, inputs, models] = await Promise.all([
    services.projects.visibleByIds(caller, [...new Set(runs.map((r) => r.projectId))]),
    services.runs.paramsOf(caller, runs),
    services.runs.tagsOf(caller, runs),
    services.metrics.summaries(caller, runs),
    services.datasets.datasetInputsOf(caller, runs),
    services.loggedModels.linksOfRuns(
      caller,
      runs.map((r) => r.id),
    ),
  ]);
  // The inputs came with the versions the caller may see, read in the same statement.
  const versions = new Map(inputs.versions.map((v) => [v.version.id, v]));
  const projectById = new Map(projects.map((p) => [p.id, p]));
  const paramsByRun = groupBy(params, (p) => p.runId);
  const tagsByRun = groupBy(tags, (t) => t.runId);
  const metricsByRun = groupBy(summaries, (s) => s.runId);
  const inputsByRun = groupBy(inputs.inputs, (i) => i.runId);
  return runs.map((run) => ({
    info: runInfoJson(run, projectById.get(run.projectId)!),
    data: {
      metrics: (metricsByRun.get(run.id) ?? []).map((m) => ({
        key: m.key,
        value: doubleOut(m.lastValue),
        timestamp: millis(new Date(m.lastTimestamp)),
        step: Number(m.lastStep),
      })),
      params: (paramsByRun.get(run.id) ?? []).map(keyValueJson),
      tags: (tagsByRun.get(run.id) ?? []).map(keyValueJson),
    },
    inputs: {
      dataset_inputs: (inputsByRun.get(run.id) ?? []).flatMap((input) => {
        const found = versions.get(input.datasetVersionId);
        return found ? [{ tags: inputTagsJson(input), dataset: datasetJson(found.dataset, found.version) }] : [];
      }),
      model_inputs: models.inputs.filter((i) => i.runId === run.id).map((i) => ({ model_id: i.loggedModelId })),
    },
    outputs: {
      model_outputs: models.outputs.filter((o) => o.runId === run.id).map((o) => ({ model_id: o.loggedModelId, step: Number(o.step) })),
    },
  }));
}
