// Experiments are projects: the experiment id is the project's number ("0" is the project named
// Default, which MLflow clients expect to exist). Create, read, search, rename, delete, restore
// and tags; the project service decides who may do what.
import { decodeOffsetToken, encodeOffsetToken } from '../../modules/search/page-token.js';
import { experimentIdOf, type Project } from '../../modules/projects/service.js';
import { type Call, experimentFor } from './call.js';
import { alreadyExists, doesNotExist, invalidValue } from './errors.js';
import { readTags } from './runs.js';
import { millis, type Params, VIEW_TYPES } from './wire.js';

/** MLflow keeps an experiment's description in this tag; runledger keeps it as the project's description. */
const DESCRIPTION_TAG = 'mlflow.note.content';
/** MLflow's largest search page; runledger answers at most PAGE of them at a time, with a token for the rest. */
const MAX_RESULTS = 50_000;
const PAGE = 1000;

type Tag = { projectId: number; key: string; value: string };

export function experimentJson(project: Project, tags: readonly Tag[] = []) {
  const id = experimentIdOf(project);
  const own = tags.filter((t) => t.projectId === project.id).map((t) => ({ key: t.key, value: t.value }));
  if (project.description != null && !own.some((t) => t.key === DESCRIPTION_TAG)) own.push({ key: DESCRIPTION_TAG, value: project.description });
  return {
    experiment_id: id,
    name: project.name,
    // Where the client asked its artifacts to go, when it asked; runledger stores them itself either way.
    artifact_location: project.artifactLocation ?? `mlflow-artifacts:/${id}`,
    lifecycle_stage: project.deletedAt ? 'deleted' : 'active',
    creation_time: millis(project.createdAt),
    last_update_time: millis(project.updatedAt),
    tags: own,
  };
}

async function experimentsJson(call: Call, projects: readonly Project[]) {
  const tags = await call.services.projects.tagsOf(call.access, projects);
  return projects.map((p) => experimentJson(p, tags));
}

export async function createExperiment(call: Call) {
  const p = call.params;
  const name = p.string('name');
  const artifactLocation = p.optionalString('artifact_location');
  const tags = readTags(p);
  const description = tags.findLast((t) => t.key === DESCRIPTION_TAG)?.value ?? null;
  // A name taken by a project the caller has no role in is FORBIDDEN from the service (403
  // PERMISSION_DENIED here, as MLflow's auth plugin answers). Never RESOURCE_ALREADY_EXISTS for
  // it: that would confirm the hidden project, and mlflow.set_experiment takes it as "someone
  // created it meanwhile", returns None and leaves the previous experiment active.
  const { project, created } = await call.services.projects.create(call.access, {
    name,
    description,
    artifactLocation,
    tags: tags.filter((t) => t.key !== DESCRIPTION_TAG),
  });
  if (!created) {
    const state = project.deletedAt ? ' in deleted state; restore it (experiments/restore) or pick another name' : '';
    throw alreadyExists(`Experiment(name=${project.name}) already exists${state}.`);
  }
  call.targets.push(`experiment:${project.id}`);
  return { experiment_id: experimentIdOf(project) };
}

export async function getExperiment(call: Call) {
  const project = await experimentFor(call, call.params.string('experiment_id'), 'VIEWER');
  return { experiment: (await experimentsJson(call, [project]))[0] };
}

export async function getExperimentByName(call: Call) {
  const name = call.params.string('experiment_name');
  const project = await call.services.projects.get(call.access, name);
  if (!project) throw doesNotExist(`Could not find experiment with name '${name}'`);
  return { experiment: (await experimentsJson(call, [project]))[0] };
}

/** "name DESC", "attribute.last_update_time", "`experiment_id` ASC": a field and a direction. */
function readOrder(p: Params) {
  return p.strings('order_by').map((clause) => {
    const m = /^\s*(?:attr(?:ibutes?)?\.)?(`?)([A-Za-z_]+)\1\s*(ASC|DESC)?\s*$/i.exec(clause);
    if (!m) throw invalidValue('order_by', clause, 'expected "<attribute> [ASC|DESC]", e.g. "name DESC"');
    return { field: m[2]!, direction: (m[3]?.toUpperCase() ?? 'ASC') as 'ASC' | 'DESC' };
  });
}

export async function searchExperiments(call: Call) {
  const p = call.params;
  const viewText = p.optionalString('view_type') ?? 'ACTIVE_ONLY';
  const view = VIEW_TYPES[viewText];
  if (!view) throw invalidValue('view_type', viewText, 'must be ACTIVE_ONLY, DELETED_ONLY or ALL');
  const maxResults = p.optionalInt('max_results') ?? PAGE;
  if (maxResults < 1 || maxResults > MAX_RESULTS) throw p.invalid('max_results', `must be from 1 to ${MAX_RESULTS}`);
  const offset = decodeOffsetToken(p.optionalString('page_token'));
  const first = Math.min(maxResults, PAGE);
  const { projects, hasNextPage } = await call.services.projects.search(call.access, {
    filter: p.optionalString('filter'),
    orderBy: readOrder(p),
    view,
    first,
    offset,
  });
  return { experiments: await experimentsJson(call, projects), ...(hasNextPage ? { next_page_token: encodeOffsetToken(offset + first) } : {}) };
}

/** The project an experiment id names, for a write: its id (the service decides whether the caller may). */
async function targetExperiment(call: Call): Promise<number> {
  const id = call.params.string('experiment_id');
  call.targets.push(`experiment:${id}`);
  return (await call.services.projects.requireByExperimentId(call.access, id, 'VIEWER')).id;
}

export async function deleteExperiment(call: Call) {
  await call.services.projects.delete(call.access, await targetExperiment(call));
  return {};
}

export async function restoreExperiment(call: Call) {
  await call.services.projects.restore(call.access, await targetExperiment(call));
  return {};
}

export async function updateExperiment(call: Call) {
  const newName = call.params.optionalString('new_name');
  const id = await targetExperiment(call);
  if (newName) await call.services.projects.rename(call.access, id, newName);
  return {};
}

export async function setExperimentTag(call: Call) {
  const key = call.params.string('key');
  const value = call.params.optionalString('value') ?? '';
  const id = await targetExperiment(call);
  if (key === DESCRIPTION_TAG) await call.services.projects.describe(call.access, id, value);
  else await call.services.projects.setTags(call.access, id, { tags: [{ key, value }] });
  return {};
}

export async function deleteExperimentTag(call: Call) {
  const key = call.params.string('key');
  const id = await targetExperiment(call);
  if (key === DESCRIPTION_TAG) await call.services.projects.describe(call.access, id, null);
  else await call.services.projects.setTags(call.access, id, { remove: [key] });
  return {};
}
