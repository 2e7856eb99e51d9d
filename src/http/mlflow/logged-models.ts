// MLflow 3's logged models: create (inside a run or outside any), read, finalize, params, tags,
// search, delete, and their files (artifact_location mlflow-artifacts:/<experiment>/models/<id>/artifacts).
// The logged-model service decides who may do what.
import { serveStoredBytes } from '../edge/stored-bytes.js';
import { experimentIdOf, type Project } from '../../modules/projects/service.js';
import type { LoggedModel, LoggedModelOrder, LoggedModelStatus } from '../../modules/logged-models/service.js';
import { mlflowRunId } from '../../modules/runs/mlflow-id.js';
import { decodeOffsetToken, encodeOffsetToken } from '../../modules/search/page-token.js';
import { NotFoundError } from '../../errors.js';
import { type Call, experimentFor } from './call.js';
import { doesNotExist, invalidValue } from './errors.js';
import { readTags } from './runs.js';
import { doubleOut, millis, type Params } from './wire.js';

const MAX_RESULTS = 1000;
const LIST_LIMIT = 10_000;

/** MLflow's enum names for a logged model's status. */
const STATUS_OUT: Record<string, string> = { PENDING: 'LOGGED_MODEL_PENDING', READY: 'LOGGED_MODEL_READY', FAILED: 'LOGGED_MODEL_UPLOAD_FAILED' };
const STATUS_IN: Record<string, LoggedModelStatus> = {
  LOGGED_MODEL_PENDING: 'PENDING',
  LOGGED_MODEL_READY: 'READY',
  LOGGED_MODEL_UPLOAD_FAILED: 'FAILED',
  '1': 'PENDING',
  '2': 'READY',
  '3': 'FAILED',
};

/** Where MLflow clients read and write a logged model's files. */
export const loggedModelLocation = (experimentId: string, modelId: string) => `mlflow-artifacts:/${experimentId}/models/${modelId}/artifacts`;

/** Logged model messages in one query per kind of row, whatever their number. */
export async function loggedModelsJson(call: Call, models: readonly LoggedModel[]) {
  if (!models.length) return [];
  const [details, projects, versions] = await Promise.all([
    call.services.loggedModels.detailsOf(call.access, models),
    call.services.projects.visibleByIds(call.access, [...new Set(models.map((m) => m.projectId))]),
    call.services.registry.versionsOfLoggedModels(
      call.access,
      models.map((m) => m.id),
    ),
  ]);
  const projectById = new Map(projects.map((p) => [p.id, p]));
  return models.map((m) => {
    const experimentId = experimentIdOf(projectById.get(m.projectId)!);
    const registered = versions.filter((v) => v.loggedModelId === m.id).map((v) => ({ name: v.modelName, version: v.version }));
    const tags = details.tags.filter((t) => t.modelId === m.id).map((t) => ({ key: t.key, value: t.value }));
    // MLflow's server tags a model with the registry versions made from it.
    // Written as Python's json.dumps writes it, since clients compare the text.
    const listed = registered.map((r) => `{"name": ${JSON.stringify(r.name)}, "version": ${r.version}}`).join(', ');
    if (registered.length) tags.push({ key: 'mlflow.modelVersions', value: `[${listed}]` });
    return {
      info: {
        model_id: m.id,
        experiment_id: experimentId,
        name: m.name,
        creation_timestamp_ms: millis(m.createdAt),
        last_updated_timestamp_ms: millis(m.updatedAt),
        artifact_uri: loggedModelLocation(experimentId, m.id),
        status: STATUS_OUT[m.status] ?? 'LOGGED_MODEL_STATUS_UNSPECIFIED',
        ...(m.statusMessage ? { status_message: m.statusMessage } : {}),
        ...(m.createdBy ? { creator_id: m.createdBy } : {}),
        ...(m.modelType ? { model_type: m.modelType } : {}),
        ...(m.sourceRunText ? { source_run_id: m.sourceRunText } : {}),
        tags,
        registrations: registered.map((r) => ({ name: r.name, version: String(r.version) })),
      },
      data: {
        params: details.params.filter((p) => p.modelId === m.id).map((p) => ({ key: p.key, value: p.value })),
        metrics: details.metrics
          .filter((x) => x.modelId === m.id)
          .map((x) => ({
            key: x.key,
            value: doubleOut(x.value),
            timestamp: millis(x.ts),
            step: Number(x.step),
            model_id: m.id,
            ...(x.datasetName ? { dataset_name: x.datasetName } : {}),
            ...(x.datasetDigest ? { dataset_digest: x.datasetDigest } : {}),
            ...(x.runId ? { run_id: mlflowRunId(x.runId) } : {}),
          })),
      },
    };
  });
}

async function one(call: Call, model: LoggedModel) {
  return { model: (await loggedModelsJson(call, [model]))[0] };
}

/** The model the path names, for a read or (the service decides) a write; absent, deleted and hidden ones alike are not found. */
async function pathModel(call: Call, role: 'VIEWER' | 'EDITOR'): Promise<LoggedModel> {
  const id = call.path.modelId ?? '';
  call.targets.push(id);
  try {
    return await call.services.loggedModels.require(call.access, id, role);
  } catch (error) {
    if (error instanceof NotFoundError) throw doesNotExist(`Logged model with ID '${id}' not found.`);
    throw error;
  }
}

const keyValues = (p: Params, field: string) => p.objects(field).map((t) => ({ key: t.string('key'), value: t.optionalString('value') ?? '' }));

export async function createLoggedModel(call: Call) {
  const p = call.params;
  const experimentId = p.string('experiment_id');
  const input = {
    name: p.optionalString('name'),
    sourceRun: p.optionalString('source_run_id'),
    modelType: p.optionalString('model_type'),
    params: keyValues(p, 'params'),
    tags: readTags(p),
  };
  const project: Project = await experimentFor(call, experimentId, 'VIEWER');
  const model = await call.services.loggedModels.create(call.access, { project, ...input });
  call.targets.push(model.id);
  return one(call, model);
}

export async function getLoggedModel(call: Call) {
  return one(call, await pathModel(call, 'VIEWER'));
}

export async function finalizeLoggedModel(call: Call) {
  const statusText = call.params.string('status');
  const status = STATUS_IN[statusText];
  if (!status) throw call.params.invalid('status', 'must be LOGGED_MODEL_READY, LOGGED_MODEL_UPLOAD_FAILED or LOGGED_MODEL_PENDING');
  const model = await pathModel(call, 'EDITOR');
  return one(call, await call.services.loggedModels.finalize(call.access, model.id, status, call.params.optionalString('status_message')));
}

export async function deleteLoggedModel(call: Call) {
  const model = await pathModel(call, 'EDITOR');
  await call.services.loggedModels.delete(call.access, model.id);
  return {};
}

export async function setLoggedModelTags(call: Call) {
  const tags = keyValues(call.params, 'tags');
  const model = await pathModel(call, 'EDITOR');
  await call.services.loggedModels.setTags(call.access, model.id, tags);
  return {};
}

export async function deleteLoggedModelTag(call: Call) {
  const key = call.path.key ?? '';
  const model = await pathModel(call, 'EDITOR');
  try {
    await call.services.loggedModels.removeTag(call.access, model.id, key);
  } catch (error) {
    if (error instanceof NotFoundError) throw doesNotExist(`No tag with key '${key}' found for logged model '${model.id}'.`);
    throw error;
  }
  return {};
}

export async function logLoggedModelParams(call: Call) {
  const params = keyValues(call.params, 'params');
  const model = await pathModel(call, 'EDITOR');
  await call.services.loggedModels.logParams(call.access, model.id, params);
  return {};
}

/** order_by entries: {field_name, ascending, dataset_name, dataset_digest}; field_name an attribute or metrics.<key>. */
function readOrder(p: Params): LoggedModelOrder[] {
  return p.objects('order_by').map((o) => {
    const field = o.string('field_name');
    const ascending = o.optionalBool('ascending') ?? true;
    const metric = /^metrics?\.(.+)$/.exec(field)?.[1]?.replace(/^`(.*)`$/, '$1');
    if (!metric) return { field: { attribute: field.replace(/^attributes?\./, '') }, ascending };
    const datasetName = o.optionalString('dataset_name');
    return { field: { metric, dataset: datasetName ? { name: datasetName, digest: o.optionalString('dataset_digest') } : null }, ascending };
  });
}

export async function searchLoggedModels(call: Call) {
  const p = call.params;
  const ids = p.strings('experiment_ids');
  const datasets = p.objects('datasets').map((d) => ({ name: d.string('dataset_name'), digest: d.optionalString('dataset_digest') }));
  const order = readOrder(p);
  const maxResults = p.optionalInt('max_results') ?? 100;
  if (maxResults < 1 || maxResults > MAX_RESULTS) throw p.invalid('max_results', `must be from 1 to ${MAX_RESULTS}`);
  const offset = decodeOffsetToken(p.optionalString('page_token'));
  if (ids.length === 0) throw invalidValue('experiment_ids', ids, 'must name at least one experiment');
  const projects = await Promise.all(ids.map((id) => experimentFor(call, id, 'VIEWER')));
  const { models, hasNextPage } = await call.services.loggedModels.search(call.access, {
    projects,
    filter: p.optionalString('filter'),
    datasets,
    order,
    first: maxResults,
    offset,
  });
  return { models: await loggedModelsJson(call, models), ...(hasNextPage ? { next_page_token: encodeOffsetToken(offset + maxResults) } : {}) };
}

/** The files under a directory of a logged model (the MLflow UI's artifact browser). */
export async function listLoggedModelArtifacts(call: Call) {
  const dir = (call.params.optionalString('artifact_directory_path') ?? '').replace(/^\/+|\/+$/g, '');
  if (dir.split('/').some((part) => part === '..' || part === '.')) throw invalidValue('artifact_directory_path', dir, 'must be a path without . or .. parts');
  const model = await pathModel(call, 'VIEWER');
  const base = `models/${model.id}/`;
  const prefix = dir ? `${dir}/` : '';
  const files = new Map<string, { path: string; is_dir: boolean; file_size?: number }>();
  for (const a of await call.services.artifacts.latestUnderLoggedModel(call.access, model.id, prefix, LIST_LIMIT)) {
    const rest = a.name.slice(base.length + prefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) files.set(rest, { path: prefix + rest, is_dir: false, file_size: Number(a.sizeBytes) });
    else if (!files.has(rest.slice(0, slash))) files.set(rest.slice(0, slash), { path: prefix + rest.slice(0, slash), is_dir: true });
  }
  const project = await call.services.projects.requireById(call.access, model.projectId, 'VIEWER');
  return { root_uri: loggedModelLocation(experimentIdOf(project), model.id), files: [...files.values()] };
}

/** One file of a logged model, as a download (stored bytes are never served as active content). */
export async function downloadLoggedModelArtifact(call: Call): Promise<undefined> {
  const path = call.params.string('artifact_file_path');
  const model = await pathModel(call, 'VIEWER');
  const artifact = await call.services.artifacts.latestOfLoggedModel(call.access, model.id, path.replace(/^\/+/, ''));
  if (!artifact) throw doesNotExist(`No file ${JSON.stringify(path)} in logged model ${model.id}`);
  await serveStoredBytes(call.req, call.res, artifact, (range) => call.services.artifacts.openContent(artifact, range));
  return undefined;
}
