// MLflow 3's logged models. runledger keeps a model's files with the run that logged it, so a
// logged model needs no row of its own: its id carries the run, when it was made and its name
// (`m-<run id>-<time and nonce>-<name>`), and its files live under the run's artifacts at
// `models/<model id>/`. Parameters, tags and metrics given to a logged model are accepted and
// not kept (the run already holds the run's own); see the README.
import { randomBytes } from 'node:crypto';
import { experimentIdOf, type Project } from '../../modules/projects/service.js';
import { MLMODEL_FILE } from './artifacts.js';
import { mlflowRunId, parseMlflowRunId } from '../../modules/runs/mlflow-id.js';
import type { Run } from '../../modules/runs/service.js';
import { LIMITS } from '../../validation.js';
import { type Call, experimentFor, runFor } from './call.js';
import { doesNotExist, invalidParameter } from './errors.js';
import { artifactUri } from './run-json.js';

const ID_PATTERN = /^m-([0-9a-f]{32})-([0-9a-f]{16})-([A-Za-z0-9_-]+)$/;

export interface LoggedModelRef {
  modelId: string;
  runId: number;
  createdAt: number;
  name: string;
}

export function parseLoggedModelId(id: string): LoggedModelRef | null {
  const m = ID_PATTERN.exec(id);
  if (!m) return null;
  const runId = parseMlflowRunId(m[1]!);
  const name = Buffer.from(m[3]!, 'base64url').toString('utf8');
  return runId === null || !name ? null : { modelId: id, runId, createdAt: Number.parseInt(m[2]!.slice(0, 12), 16), name };
}

/** Where a logged model's files live, relative to its run's artifact root. */
export const loggedModelPath = (modelId: string) => `models/${modelId}`;

async function requireLoggedModel(call: Call, role: 'VIEWER' | 'EDITOR'): Promise<{ ref: LoggedModelRef; run: Run }> {
  const id = call.path.modelId ?? '';
  const ref = parseLoggedModelId(id);
  if (!ref) throw doesNotExist(`Logged model with ID '${id}' not found`);
  const run = await runFor(call, mlflowRunId(ref.runId), role);
  return { ref, run };
}

async function loggedModelOf(call: Call, ref: LoggedModelRef, run: Run) {
  const project = await call.services.projects.requireById(call.access, run.projectId, 'VIEWER');
  return loggedModelJson(project, ref, run);
}

function loggedModelJson(project: Project, ref: LoggedModelRef, run: Run) {
  const experimentId = experimentIdOf(project);
  return {
    model: {
      info: {
        model_id: ref.modelId,
        experiment_id: experimentId,
        name: ref.name,
        creation_timestamp_ms: ref.createdAt,
        last_updated_timestamp_ms: ref.createdAt,
        artifact_uri: `${artifactUri(experimentId, run.id)}/${loggedModelPath(ref.modelId)}`,
        status: 'LOGGED_MODEL_READY',
        source_run_id: mlflowRunId(run.id),
        tags: [],
      },
      data: { params: [], metrics: [] },
    },
  };
}

export async function createLoggedModel(call: Call) {
  const p = call.params;
  const sourceRunId = p.optionalString('source_run_id');
  if (!sourceRunId) throw invalidParameter('source_run_id', 'is required: runledger keeps a model with the run that logged it, so log models inside a run');
  const run = await runFor(call, sourceRunId, 'EDITOR');
  const name = p.optionalString('name') || 'model';
  if (name.length > LIMITS.nameLength) throw invalidParameter('name', `must be at most ${LIMITS.nameLength} characters (got ${name.length})`);
  const createdAt = Date.now();
  const modelId = `m-${mlflowRunId(run.id)}-${createdAt.toString(16).padStart(12, '0')}${randomBytes(2).toString('hex')}-${Buffer.from(name).toString('base64url')}`;
  call.targets.push(modelId);
  return loggedModelOf(call, { modelId, runId: run.id, createdAt, name }, run);
}

/** Search by `name = 'x'` within experiments: a logged model is found once its MLmodel file is uploaded. */
export async function searchLoggedModels(call: Call) {
  const p = call.params;
  const projects = await Promise.all(p.strings('experiment_ids').map((id) => experimentFor(call, id, 'VIEWER')));
  if (projects.length === 0) throw invalidParameter('experiment_ids', 'must name at least one experiment');
  const filter = p.optionalString('filter')?.trim() ?? '';
  const m = /^name\s*=\s*(['"])((?:(?!\1).)+)\1$/.exec(filter);
  if (filter && !m) throw invalidParameter('filter', `runledger searches logged models by "name = 'x'" only (got ${JSON.stringify(filter.slice(0, 200))})`);
  const maxResults = p.optionalInt('max_results') ?? 100;
  if (maxResults < 1 || maxResults > 1000) throw invalidParameter('max_results', `must be from 1 to 1000 (got ${maxResults})`);
  const suffix = `${m ? `-${Buffer.from(m[2]!).toString('base64url')}` : ''}/${MLMODEL_FILE}`;
  const files = await call.services.artifacts.namedInProjects(
    call.access,
    projects.map((pr) => pr.id),
    { startsWith: 'models/m-', endsWith: suffix },
    maxResults,
  );
  const refs = [...new Set(files.map((f) => f.name.split('/')[1]!))].flatMap((id) => parseLoggedModelId(id) ?? []);
  const runs = new Map((await call.services.runs.visibleByIds(call.access, [...new Set(refs.map((r) => r.runId))])).map((r) => [r.id, r]));
  const byId = new Map(projects.map((pr) => [pr.id, pr]));
  const models = refs.flatMap((ref) => {
    const run = runs.get(ref.runId);
    return run && !run.deletedAt && byId.has(run.projectId) ? [loggedModelJson(byId.get(run.projectId)!, ref, run).model] : [];
  });
  return { models };
}

export async function getLoggedModel(call: Call) {
  const { ref, run } = await requireLoggedModel(call, 'VIEWER');
  return loggedModelOf(call, ref, run);
}

/** Finalizing, tagging and parameters: the model is READY once its files are uploaded; the rest is not kept. */
export async function acceptLoggedModelChange(call: Call) {
  const { ref, run } = await requireLoggedModel(call, 'EDITOR');
  call.targets.push(ref.modelId);
  return loggedModelOf(call, ref, run);
}
