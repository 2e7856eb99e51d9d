// Experiments are projects: the experiment id is the project's number ("0" is the project named
// Default, which MLflow clients expect to exist).
import { experimentIdOf, type Project } from '../../modules/projects/service.js';
import { likeMatcher } from '../../modules/search/like.js';
import { type Call, experimentFor } from './call.js';
import { alreadyExists, doesNotExist, invalidParameter } from './errors.js';
import { millis } from './wire.js';

const DESCRIPTION_TAG = 'mlflow.note.content';

export function experimentJson(project: Project) {
  const id = experimentIdOf(project);
  return {
    experiment_id: id,
    name: project.name,
    artifact_location: `mlflow-artifacts:/${id}`,
    lifecycle_stage: 'active',
    creation_time: millis(project.createdAt),
    last_update_time: millis(project.createdAt),
    tags: project.description ? [{ key: DESCRIPTION_TAG, value: project.description }] : [],
  };
}

export async function createExperiment(call: Call) {
  const name = call.params.string('name').trim();
  if (call.params.optionalString('artifact_location')) {
    throw invalidParameter('artifact_location', 'runledger stores every artifact itself (mlflow-artifacts:/<experiment>); leave it unset');
  }
  const description =
    call.params
      .objects('tags')
      .find((t) => t.optionalString('key') === DESCRIPTION_TAG)
      ?.optionalString('value') ?? null;
  // A name taken by a project the caller has no role in is a CONFLICT from the service.
  const { project, created } = await call.services.projects.create(call.access, { name, description });
  if (!created) throw alreadyExists(`Experiment(name=${name}) already exists.`);
  call.targets.push(`experiment:${project.id}`);
  return { experiment_id: experimentIdOf(project) };
}

export async function getExperiment(call: Call) {
  const project = await experimentFor(call, call.params.string('experiment_id'), 'VIEWER');
  return { experiment: experimentJson(project) };
}

export async function getExperimentByName(call: Call) {
  const name = call.params.string('experiment_name');
  const project = await call.services.projects.get(call.access, name);
  if (!project) throw doesNotExist(`Could not find experiment with name '${name}'`);
  return { experiment: experimentJson(project) };
}

/** Name filters only: `name = 'x'` or `name LIKE 'x%'`, the shapes MLflow's own UI and clients send. */
function nameFilter(filter: string | null): ((name: string) => boolean) | null {
  if (!filter?.trim()) return null;
  const m = /^\s*(?:attributes\.)?name\s*(=|LIKE|ILIKE)\s*'((?:[^']|'')*)'\s*$/i.exec(filter);
  if (!m)
    throw invalidParameter(
      'filter',
      `runledger filters experiments by name only: "name = 'x'" or "name LIKE 'x%'" (got ${JSON.stringify(filter.slice(0, 200))})`,
    );
  const value = m[2]!.replace(/''/g, "'");
  if (m[1] === '=') return (name) => name === value;
  // In time linear in the name: a RegExp would backtrack (issue 20 item 7).
  return likeMatcher('filter', value, { caseInsensitive: m[1]!.toUpperCase() === 'ILIKE' });
}

export async function searchExperiments(call: Call) {
  const p = call.params;
  const view = p.optionalString('view_type') ?? 'ACTIVE_ONLY';
  const maxResults = p.optionalInt('max_results') ?? 1000;
  if (maxResults < 1 || maxResults > 50_000) throw invalidParameter('max_results', `must be from 1 to 50000 (got ${maxResults})`);
  const matches = nameFilter(p.optionalString('filter'));
  // Experiments are never deleted here: a DELETED_ONLY view is empty.
  if (view === 'DELETED_ONLY' || view === '2') return { experiments: [] };
  const first = Math.min(maxResults, 1000);
  const afterName = p.optionalPageToken('page_token');
  const found: Project[] = [];
  let cursor = afterName;
  let more = true;
  // Keyset pages by name until `first` names match the filter.
  while (found.length < first && more) {
    const page = await call.services.projects.list(call.access, 1000, cursor);
    for (const project of page.projects) if (found.length < first && (!matches || matches(project.name))) found.push(project);
    more = page.hasNextPage;
    cursor = page.projects.at(-1)?.name ?? cursor;
  }
  const last = found.at(-1);
  const hasMore = found.length === first && (more || cursor !== last?.name);
  return { experiments: found.map(experimentJson), ...(hasMore && last ? { next_page_token: Buffer.from(last.name).toString('base64url') } : {}) };
}
