// The model registry: registered models, model versions, their tags and aliases, searched with
// MLflow's grammar. A version registers a stored model (a run's model directory or a logged
// model) or, as MLflow allows, any external source URI named with its run; every alias move
// goes through the registry service, so it lands in the append-only alias history and passes
// the quarantine gate.
import { NotFoundError } from '../../errors.js';
import type { Role } from '../../modules/auth/access.js';
import { experimentIdOf } from '../../modules/projects/service.js';
import type { ModelVersion, RegisteredModel } from '../../modules/registry/service.js';
import { mlflowRunId } from '../../modules/runs/mlflow-id.js';
import { decodeOffsetToken, encodeOffsetToken } from '../../modules/search/page-token.js';
import type { Call } from './call.js';
import { alreadyExists, doesNotExist, invalidValue } from './errors.js';
import { readTags } from './runs.js';
import { resolveSource } from './registry-sources.js';
import { artifactUri } from './run-json.js';
import { millis, type Params } from './wire.js';

/** Names the project a registered model is created in (see createRegisteredModel). */
const PROJECT_TAG = 'runledger.project';
const MODELS_MAX_RESULTS = 1000;
const VERSIONS_MAX_RESULTS = 200_000;
const PAGE = 1000;

async function requireModel(call: Call, name: string, role: Role): Promise<RegisteredModel> {
  const model = await call.services.registry.requireModel(call.access, name, role);
  call.targets.push(`model:${name}`);
  return model;
}

function versionNumber(p: Params): number {
  const text = p.string('version');
  if (!/^[1-9]\d{0,9}$/.test(text)) throw p.invalid('version', 'must be a version number such as "1"');
  return Number(text);
}

const tagJson = (t: { key: string; value: string }) => ({ key: t.key, value: t.value });

/** Version messages, with aliases and tags; one query each for all the versions' runs, projects, artifacts, aliases and tags. */
async function versionsJson(call: Call, models: readonly RegisteredModel[], versions: readonly ModelVersion[]) {
  if (!versions.length) return [];
  const runIds = [...new Set(versions.flatMap((v) => (v.runId === null ? [] : [v.runId])))];
  const [runs, artifacts, aliases, tags] = await Promise.all([
    call.services.runs.visibleByIds(call.access, runIds),
    call.services.artifacts.visibleByIds(
      call.access,
      versions.flatMap((v) => (v.artifactId === null ? [] : [v.artifactId])),
    ),
    call.services.registry.aliasesOfVersions(call.access, versions),
    call.services.registry.tagsOfVersions(call.access, versions),
  ]);
  const projects = new Map((await call.services.projects.visibleByIds(call.access, [...new Set(runs.map((r) => r.projectId))])).map((p) => [p.id, p]));
  const modelById = new Map(models.map((m) => [m.id, m]));
  const runById = new Map(runs.map((r) => [r.id, r]));
  const artifactById = new Map(artifacts.map((a) => [a.id, a]));
  return versions.map((v) => {
    const run = v.runId === null ? undefined : runById.get(v.runId);
    const dir = (artifactById.get(v.artifactId ?? -1)?.name ?? '').split('/').slice(0, -1).join('/');
    const project = run && projects.get(run.projectId);
    const source = v.source ?? (run && project ? `${artifactUri(experimentIdOf(project), run.id)}${dir ? `/${dir}` : ''}` : '');
    const loggedModel = v.loggedModelId ?? /^models\/(m-[^/]+)$/.exec(dir)?.[1];
    return {
      name: modelById.get(v.modelId)!.name,
      version: String(v.version),
      creation_timestamp: millis(v.createdAt),
      last_updated_timestamp: millis(v.updatedAt),
      user_id: v.createdBy ?? '',
      current_stage: 'None',
      description: v.description ?? '',
      source,
      run_id: v.runId === null ? '' : mlflowRunId(v.runId),
      status: 'READY',
      tags: tags.filter((t) => t.versionId === v.id).map(tagJson),
      aliases: aliases.filter((a) => a.versionId === v.id).map((a) => a.alias),
      ...(loggedModel ? { model_id: loggedModel } : {}),
    };
  });
}

/** Registered model messages with their latest version, aliases and tags, in a fixed number of queries for any number of models. */
async function modelsJson(call: Call, models: readonly RegisteredModel[]) {
  if (!models.length) return [];
  const [aliases, latest, tags] = await Promise.all([
    call.services.registry.aliasesOfModels(call.access, models),
    call.services.registry.latestVersionsOf(call.access, models),
    call.services.registry.tagsOfModels(call.access, models),
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
    last_updated_timestamp: millis(model.updatedAt),
    description: model.description ?? '',
    latest_versions: latestJson.filter((v) => v.name === model.name),
    aliases: aliases.filter((a) => a.modelId === model.id).map((a) => ({ alias: a.alias, version: String(numbered.get(a.versionId) ?? '') })),
    tags: tags.filter((t) => t.modelId === model.id).map(tagJson),
  }));
}

const modelJson = async (call: Call, model: RegisteredModel) => (await modelsJson(call, [model]))[0]!;

/**
 * A registered model belongs to a project. With the tag runledger.project it is created there
 * now (with its other tags); without it nothing is written yet and the model is created with
 * its first version, in the project of the run that version comes from (so whoever may write
 * that run's project may register from it). A name taken by a model the caller sees is
 * RESOURCE_ALREADY_EXISTS; one held by a model the caller may not see is PERMISSION_DENIED.
 */
export async function createRegisteredModel(call: Call) {
  const name = call.params.string('name').trim();
  const description = call.params.optionalString('description');
  const tags = readTags(call.params);
  const projectName = tags.find((t) => t.key === PROJECT_TAG)?.value;
  if (!projectName) {
    // Names are global: one held by a model the caller may not see is FORBIDDEN from the service.
    if (!(await call.services.registry.nameFree(call.access, name))) throw alreadyExists(`Registered Model (name=${name}) already exists.`);
    const now = Date.now();
    return {
      registered_model: { name, creation_timestamp: now, last_updated_timestamp: now, description: description ?? '', latest_versions: [], aliases: [], tags },
    };
  }
  const { model, created } = await call.services.registry.createModel(call.access, { name, description, project: projectName });
  if (!created) throw alreadyExists(`Registered Model (name=${name}) already exists.`);
  call.targets.push(`model:${name}`);
  for (const t of tags) if (t.key !== PROJECT_TAG) await call.services.registry.setModelTag(call.access, name, t.key, t.value);
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

/**
 * Drops the conditions on MLflow's prompt tag: runledger serves no prompts, so every model is
 * one; a search asking for prompts finds none.
 */
function withoutPromptConditions(filter: string | null): { filter: string | null; promptsOnly: boolean } {
  if (!filter) return { filter, promptsOnly: false };
  const clause = /\s*tags?\.(?:`mlflow\.prompt\.is_prompt`|"mlflow\.prompt\.is_prompt"|mlflow\.prompt\.is_prompt)\s*(=|!=)\s*'(true|false)'\s*/gi;
  let promptsOnly = false;
  const rest = filter
    .replace(clause, (_m, op: string, value: string) => {
      promptsOnly ||= (op === '=') === (value.toLowerCase() === 'true');
      return ' ';
    })
    .split(/\bAND\b/i)
    .map((part) => part.trim())
    .filter(Boolean)
    .join(' AND ');
  return { filter: rest || null, promptsOnly };
}

/** "name DESC", "last_updated_timestamp", "`version_number` ASC": a field and a direction. */
function readOrder(p: Params) {
  return p.strings('order_by').map((clause) => {
    const m = /^\s*(?:attr(?:ibutes?)?\.)?(`?)([A-Za-z_]+)\1\s*(ASC|DESC)?\s*$/i.exec(clause);
    if (!m) throw invalidValue('order_by', clause, 'expected "<attribute> [ASC|DESC]", e.g. "name ASC"');
    return { field: m[2]!, direction: (m[3]?.toUpperCase() ?? 'ASC') as 'ASC' | 'DESC' };
  });
}

function readPage(p: Params, fallback: number, max: number) {
  const maxResults = p.optionalInt('max_results') ?? fallback;
  if (maxResults < 1 || maxResults > max) throw p.invalid('max_results', `must be from 1 to ${max}`);
  return { first: Math.min(maxResults, PAGE), offset: decodeOffsetToken(p.optionalString('page_token')) };
}

const pageToken = (hasNextPage: boolean, offset: number, first: number) => (hasNextPage ? { next_page_token: encodeOffsetToken(offset + first) } : {});

export async function searchRegisteredModels(call: Call) {
  const p = call.params;
  const { filter, promptsOnly } = withoutPromptConditions(p.optionalString('filter'));
  const orderBy = readOrder(p);
  const { first, offset } = readPage(p, 100, MODELS_MAX_RESULTS);
  if (promptsOnly) return { registered_models: [] };
  const { models, hasNextPage } = await call.services.registry.searchModels(call.access, { filter, orderBy, first, offset });
  return { registered_models: await modelsJson(call, models), ...pageToken(hasNextPage, offset, first) };
}

export async function searchModelVersions(call: Call) {
  const p = call.params;
  const { filter, promptsOnly } = withoutPromptConditions(p.optionalString('filter'));
  const orderBy = readOrder(p);
  const { first, offset } = readPage(p, 10_000, VERSIONS_MAX_RESULTS);
  if (promptsOnly) return { model_versions: [] };
  const { versions, hasNextPage } = await call.services.registry.searchVersions(call.access, { filter, orderBy, first, offset });
  const models = await call.services.registry.visibleModelsByIds(call.access, [...new Set(versions.map((v) => v.modelId))]);
  return { model_versions: await versionsJson(call, models, versions), ...pageToken(hasNextPage, offset, first) };
}

export async function getLatestVersions(call: Call) {
  const model = await requireModel(call, call.params.string('name'), 'VIEWER');
  const { versions } = await call.services.registry.versionsOf(call.access, model, 1, null);
  return { model_versions: await versionsJson(call, [model], versions) };
}

export async function createModelVersion(call: Call) {
  const p = call.params;
  const name = p.string('name').trim();
  const source = p.optionalString('source') ?? '';
  const runId = p.optionalString('run_id');
  const modelId = p.optionalString('model_id');
  const description = p.optionalString('description');
  const tags = readTags(p);
  if (!source && !modelId) throw p.missing('source');
  const resolved = await resolveSource(call, { source: source || `models:/${modelId}`, runId, modelId });
  const { modelVersion } = await call.services.registry.createVersionFromSource(call.access, { model: name, description, tags, ...resolved });
  call.targets.push(`model:${name}`);
  const [json] = await versionsJson(call, [await call.services.registry.requireModel(call.access, name, 'VIEWER')], [modelVersion]);
  return { model_version: json };
}

async function requireVersion(call: Call, role: Role) {
  const model = await requireModel(call, call.params.string('name'), role);
  const version = await call.services.registry.requireVersion(call.access, model, versionNumber(call.params), 'version');
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

/** A missing tag reads as MLflow words it. */
async function removingTag(key: string, remove: () => Promise<void>) {
  try {
    await remove();
  } catch (error) {
    if (error instanceof NotFoundError) throw doesNotExist(`No tag with name: ${key}.`);
    throw error;
  }
}

export async function setRegisteredModelTag(call: Call) {
  const [name, key, value] = [call.params.string('name'), call.params.string('key'), call.params.optionalString('value') ?? ''];
  call.targets.push(`model:${name}`);
  await call.services.registry.setModelTag(call.access, name, key, value);
  return {};
}

export async function deleteRegisteredModelTag(call: Call) {
  const [name, key] = [call.params.string('name'), call.params.string('key')];
  call.targets.push(`model:${name}`);
  await removingTag(key, () => call.services.registry.removeModelTag(call.access, name, key));
  return {};
}

export async function setModelVersionTag(call: Call) {
  const [name, version, key, value] = [
    call.params.string('name'),
    versionNumber(call.params),
    call.params.string('key'),
    call.params.optionalString('value') ?? '',
  ];
  call.targets.push(`model:${name}`);
  await call.services.registry.setVersionTag(call.access, name, version, key, value);
  return {};
}

export async function deleteModelVersionTag(call: Call) {
  const [name, version, key] = [call.params.string('name'), versionNumber(call.params), call.params.string('key')];
  call.targets.push(`model:${name}`);
  await removingTag(key, () => call.services.registry.removeVersionTag(call.access, name, version, key));
  return {};
}

export async function setAlias(call: Call) {
  const name = call.params.string('name');
  const alias = call.params.string('alias');
  const version = versionNumber(call.params);
  call.targets.push(`model:${name}`);
  await call.services.registry.setAlias(call.access, { model: name, alias, version });
  return {};
}

export async function deleteAlias(call: Call) {
  const name = call.params.string('name');
  const alias = call.params.string('alias');
  call.targets.push(`model:${name}`);
  await call.services.registry.removeAlias(call.access, { model: name, alias });
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
