// The model registry: registered models, model versions and aliases. A version registers the
// MLmodel file of a logged model directory; every alias move goes through the registry
// service, so it lands in the append-only alias history and passes the quarantine gate.
import type { Role } from '../../modules/auth/access.js';
import { experimentIdOf } from '../../modules/projects/service.js';
import type { ModelNameFilter, ModelVersion, RegisteredModel } from '../../modules/registry/service.js';
import { mlflowRunId, parseMlflowRunId } from '../../modules/runs/mlflow-id.js';
import { MLMODEL_FILE } from './artifacts.js';
import { type Call, runFor } from './call.js';
import { alreadyExists, doesNotExist, invalidParameter } from './errors.js';
import { loggedModelPath, parseLoggedModelId } from './logged-models.js';
import { artifactUri } from './run-json.js';
import { millis } from './wire.js';

/** Names the project a registered model is created in (see createRegisteredModel). */
const PROJECT_TAG = 'runledger.project';

async function requireModel(call: Call, name: string, role: Role): Promise<RegisteredModel> {
  const model = await call.services.registry.requireModel(call.access, name, role);
  call.targets.push(`model:${name}`);
  return model;
}

function versionNumber(call: Call): number {
  const text = call.params.string('version');
  if (!/^[1-9]\d{0,9}$/.test(text)) throw invalidParameter('version', `must be a version number such as "1" (got ${JSON.stringify(text)})`);
  return Number(text);
}

/** Version messages, with aliases; one query each for all the versions' runs, projects, artifacts and aliases. */
async function versionsJson(call: Call, models: readonly RegisteredModel[], versions: readonly ModelVersion[]) {
  if (!versions.length) return [];
  const [runs, artifacts, aliases] = await Promise.all([
    call.services.runs.visibleByIds(call.access, [...new Set(versions.map((v) => v.runId))]),
    call.services.artifacts.visibleByIds(
      call.access,
      versions.map((v) => v.artifactId),
    ),
    call.services.registry.aliasesOfVersions(call.access, versions),
  ]);
  const projects = new Map((await call.services.projects.visibleByIds(call.access, [...new Set(runs.map((r) => r.projectId))])).map((p) => [p.id, p]));
  const modelById = new Map(models.map((m) => [m.id, m]));
  const runById = new Map(runs.map((r) => [r.id, r]));
  const artifactById = new Map(artifacts.map((a) => [a.id, a]));
  return versions.flatMap((v) => {
    const run = runById.get(v.runId);
    if (!run) return [];
    const dir = (artifactById.get(v.artifactId)?.name ?? '').split('/').slice(0, -1).join('/');
    const source = `${artifactUri(experimentIdOf(projects.get(run.projectId)!), run.id)}${dir ? `/${dir}` : ''}`;
    const loggedModel = /^models\/(m-[^/]+)$/.exec(dir)?.[1];
    return [
      {
        name: modelById.get(v.modelId)!.name,
        version: String(v.version),
        creation_timestamp: millis(v.createdAt),
        last_updated_timestamp: millis(v.createdAt),
        user_id: v.createdBy ?? '',
        current_stage: 'None',
        description: v.description ?? '',
        source,
        run_id: mlflowRunId(v.runId),
        status: 'READY',
        tags: [],
        aliases: aliases.filter((a) => a.versionId === v.id).map((a) => a.alias),
        ...(loggedModel ? { model_id: loggedModel } : {}),
      },
    ];
  });
}

/** Registered model messages with their latest version and aliases, in a fixed number of queries for any number of models. */
async function modelsJson(call: Call, models: readonly RegisteredModel[]) {
  if (!models.length) return [];
  const [aliases, latest] = await Promise.all([
    call.services.registry.aliasesOfModels(call.access, models),
    call.services.registry.latestVersionsOf(call.access, models),
  ]);
  const numbered = new Map(
    (
      await call.services.registry.visibleVersionsByIds(
        call.access,
        aliases.map((a) => a.versionId),
      )
    ).map((v) => [v.version.id, v.version.version]),
  );
  const latestJson = await versionsJson(call, models, latest);
  return models.map((model) => ({
    name: model.name,
    creation_timestamp: millis(model.createdAt),
    last_updated_timestamp: millis(model.createdAt),
    description: model.description ?? '',
    latest_versions: latestJson.filter((v) => v.name === model.name),
    aliases: aliases.filter((a) => a.modelId === model.id).map((a) => ({ alias: a.alias, version: String(numbered.get(a.versionId) ?? '') })),
    tags: [],
  }));
}

const modelJson = async (call: Call, model: RegisteredModel) => (await modelsJson(call, [model]))[0]!;

/**
 * A registered model belongs to a project. With the tag runledger.project it is created there
 * now; without it nothing is written yet and the model is created with its first version, in the
 * project of the run that version comes from (so whoever may write that run's project may
 * register from it). A taken name is RESOURCE_ALREADY_EXISTS either way: names are global.
 */
export async function createRegisteredModel(call: Call) {
  const name = call.params.string('name').trim();
  const description = call.params.optionalString('description');
  const projectName = call.params
    .objects('tags')
    .find((t) => t.optionalString('key') === PROJECT_TAG)
    ?.optionalString('value');
  if (!projectName) {
    // A name taken by a model the caller may not see is taken all the same: names are global.
    if (await call.services.registry.nameTaken(name)) throw alreadyExists(`Registered Model (name=${name}) already exists.`);
    const now = Date.now();
    return {
      registered_model: {
        name,
        creation_timestamp: now,
        last_updated_timestamp: now,
        description: description ?? '',
        latest_versions: [],
        aliases: [],
        tags: [],
      },
    };
  }
  const { model, created } = await call.services.registry.createModel(call.access, { name, description, project: projectName });
  if (!created) throw alreadyExists(`Registered Model (name=${name}) already exists.`);
  call.targets.push(`model:${name}`);
  return { registered_model: await modelJson(call, model) };
}

export async function getRegisteredModel(call: Call) {
  return { registered_model: await modelJson(call, await requireModel(call, call.params.string('name'), 'VIEWER')) };
}

export async function updateRegisteredModel(call: Call) {
  const model = await requireModel(call, call.params.string('name'), 'EDITOR');
  const updated = call.params.has('description')
    ? await call.services.registry.describeModel(call.access, model.name, call.params.optionalString('description'))
    : model;
  return { registered_model: await modelJson(call, updated) };
}

/** `name = 'x'`, `name LIKE '%x%'`, `name ILIKE ...`: the model filters MLflow clients send. */
function modelNameFilter(filter: string | null): ModelNameFilter | null {
  if (!filter?.trim()) return null;
  const m = /^\s*name\s*(=|LIKE|ILIKE)\s*(['"])((?:(?!\2).)*)\2\s*$/i.exec(filter);
  if (!m)
    throw invalidParameter('filter', `runledger filters models by name only: "name = 'x'" or "name LIKE 'x%'" (got ${JSON.stringify(filter.slice(0, 200))})`);
  if (m[1] === '=') return { equals: m[3]! };
  return { like: m[3]!, caseInsensitive: m[1]!.toUpperCase() === 'ILIKE' };
}

export async function searchRegisteredModels(call: Call) {
  const p = call.params;
  const maxResults = p.optionalInt('max_results') ?? 100;
  if (maxResults < 1 || maxResults > 1000) throw invalidParameter('max_results', `must be from 1 to 1000 (got ${maxResults})`);
  const { models, hasNextPage } = await call.services.registry.searchModels(call.access, {
    name: modelNameFilter(p.optionalString('filter')),
    first: maxResults,
    afterName: p.optionalPageToken('page_token'),
  });
  const last = models.at(-1);
  return {
    registered_models: await modelsJson(call, models),
    ...(hasNextPage && last ? { next_page_token: Buffer.from(last.name).toString('base64url') } : {}),
  };
}

export async function getLatestVersions(call: Call) {
  const model = await requireModel(call, call.params.string('name'), 'VIEWER');
  const { versions } = await call.services.registry.versionsOf(call.access, model, 1, null);
  return { model_versions: await versionsJson(call, [model], versions) };
}

/** The run and model directory a version's `source` names: mlflow-artifacts:/<exp>/<run>/artifacts/<dir>, runs:/<run>/<dir> or models:/<logged model id>. */
function sourceLocation(source: string, runIdParam: string | null): { runId: string; dir: string } {
  const artifacts = /^mlflow-artifacts:\/*[^/]+\/([0-9a-f]{32})\/artifacts\/?(.*)$/.exec(source);
  if (artifacts) return { runId: artifacts[1]!, dir: artifacts[2]!.replace(/\/+$/, '') };
  const runs = /^runs:\/+([0-9a-fA-F]{1,32})\/?(.*)$/.exec(source);
  if (runs) return { runId: runs[1]!, dir: runs[2]!.replace(/\/+$/, '') };
  const logged = /^models:\/+(m-[^/]+)\/?$/.exec(source);
  const ref = logged ? parseLoggedModelId(logged[1]!) : null;
  if (ref) return { runId: mlflowRunId(ref.runId), dir: loggedModelPath(ref.modelId) };
  if (runIdParam && parseMlflowRunId(runIdParam) !== null && !source.includes(':')) return { runId: runIdParam, dir: source.replace(/^\/+|\/+$/g, '') };
  throw invalidParameter(
    'source',
    `must be a model directory runledger stores: mlflow-artifacts:/<experiment>/<run>/artifacts/<path>, runs:/<run>/<path> or models:/<logged model id> (got ${JSON.stringify(source.slice(0, 300))})`,
  );
}

export async function createModelVersion(call: Call) {
  const p = call.params;
  const name = p.string('name').trim();
  const modelId = p.optionalString('model_id');
  const source = p.optionalString('source') || (modelId ? `models:/${modelId}` : '');
  const { runId, dir } = sourceLocation(source, p.optionalString('run_id'));
  const run = await runFor(call, runId, 'VIEWER');
  const fileName = dir ? `${dir}/${MLMODEL_FILE}` : MLMODEL_FILE;
  const artifact = await call.services.artifacts.latestNamed(call.access, run.id, fileName);
  if (!artifact) throw invalidParameter('source', `no MLflow model at ${JSON.stringify(source)}: run ${runId} has no artifact ${JSON.stringify(fileName)}`);
  // The registry decides: EDITOR on the model's project, or on the run's for a new model.
  const { modelVersion } = await call.services.registry.createVersion(call.access, {
    model: name,
    artifactId: artifact.id,
    description: p.optionalString('description'),
  });
  call.targets.push(`model:${name}`);
  const [json] = await versionsJson(call, [await call.services.registry.requireModel(call.access, name, 'VIEWER')], [modelVersion]);
  return { model_version: json };
}

async function requireVersion(call: Call, role: Role) {
  const model = await requireModel(call, call.params.string('name'), role);
  const version = await call.services.registry.requireVersion(call.access, model, versionNumber(call), 'version');
  return { model, version };
}

export async function getModelVersion(call: Call) {
  const { model, version } = await requireVersion(call, 'VIEWER');
  const [json] = await versionsJson(call, [model], [version]);
  return { model_version: json };
}

export async function updateModelVersion(call: Call) {
  const { model, version } = await requireVersion(call, 'EDITOR');
  const updated = call.params.has('description')
    ? await call.services.registry.describeVersion(call.access, model.name, version.version, call.params.optionalString('description'))
    : version;
  const [json] = await versionsJson(call, [model], [updated]);
  return { model_version: json };
}

export async function getDownloadUri(call: Call) {
  const { model, version } = await requireVersion(call, 'VIEWER');
  const [json] = await versionsJson(call, [model], [version]);
  return { artifact_uri: json!.source };
}

/** `name = 'x'` or `run_id = '<id>'` (joined by AND): the version filters MLflow clients send. */
export async function searchModelVersions(call: Call) {
  const filter = call.params.optionalString('filter') ?? '';
  const clauses = filter.trim() ? filter.split(/\s+AND\s+/i) : [];
  let name: string | null = null;
  let runId: number | null = null;
  for (const clause of clauses) {
    const m = /^\s*(name|run_id)\s*=\s*(['"])((?:(?!\2).)*)\2\s*$/i.exec(clause);
    if (!m)
      throw invalidParameter(
        'filter',
        `runledger filters model versions by "name = 'x'" and/or "run_id = '<id>'" (got ${JSON.stringify(clause.slice(0, 200))})`,
      );
    if (m[1]!.toLowerCase() === 'name') name = m[3]!;
    else runId = parseMlflowRunId(m[3]!) ?? -1;
  }
  if (name === null) throw invalidParameter('filter', `must name the model: "name = 'x'"`);
  const model = await requireModel(call, name, 'VIEWER');
  const versions = await call.services.registry.versionsOfModels(call.access, [model], runId === null ? null : [runId]);
  return { model_versions: await versionsJson(call, [model], versions.reverse()) };
}

export async function setAlias(call: Call) {
  const name = call.params.string('name');
  call.targets.push(`model:${name}`);
  await call.services.registry.setAlias(call.access, { model: name, alias: call.params.string('alias'), version: versionNumber(call) });
  return {};
}

export async function deleteAlias(call: Call) {
  const name = call.params.string('name');
  call.targets.push(`model:${name}`);
  await call.services.registry.removeAlias(call.access, { model: name, alias: call.params.string('alias') });
  return {};
}

export async function getVersionByAlias(call: Call) {
  const model = await requireModel(call, call.params.string('name'), 'VIEWER');
  const alias = call.params.string('alias');
  const held = (await call.services.registry.aliasesOfModels(call.access, [model])).find((a) => a.alias === alias);
  const [found] = held ? await call.services.registry.visibleVersionsByIds(call.access, [held.versionId]) : [];
  if (!found) throw doesNotExist(`Registered model alias ${alias} not found.`);
  const [json] = await versionsJson(call, [model], [found.version]);
  return { model_version: json };
}
