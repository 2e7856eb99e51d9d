// MLflow datasets (log_input) as runledger dataset versions. MLflow names a dataset by (name,
// digest) within an experiment, and its autolog calls every dataset "dataset"; runledger names
// a dataset by (namespace, name), globally, with immutable versions. So an MLflow dataset lands
// in the namespace `mlflow:<experiment id>` (names never collide across experiments), and each
// digest is a version labelled by that digest (a new digest under the same name is a new
// version, never a change to an old one). The source, source type, schema and profile are kept
// verbatim; the location inside the source (e.g. s3://raw/clicks) is the version's sourceUri,
// which is what ties it to the OpenLineage dataset of that name.
import { createHash } from 'node:crypto';
import type { Dataset, DatasetVersion } from '../../modules/datasets/service.js';
import { experimentIdOf } from '../../modules/projects/service.js';
import type { Run } from '../../modules/runs/service.js';
import { keyProblem } from '../../validation.js';
import { type Call, experimentFor } from './call.js';
import { invalidParameter } from './errors.js';
import type { Params } from './wire.js';

export const CONTEXT_TAG = 'mlflow.data.context';
/** The role of a dataset logged without a usable context tag (the tags keep whatever was sent). */
const DEFAULT_ROLE = 'input';
/** MLflow's limit on experiments in one search-datasets request, and on the summaries it returns. */
const SEARCH_MAX_EXPERIMENTS = 20;
const SEARCH_MAX_RESULTS = 1000;

export interface MlflowDataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

/** The namespace that holds an experiment's MLflow datasets. */
export const mlflowNamespace = (experimentId: string) => `mlflow:${experimentId}`;

/** The sha256 a runledger dataset version carries for an MLflow dataset: MLflow's identity, name and digest. */
export function mlflowDatasetSha256(d: Pick<MlflowDataset, 'name' | 'digest'>): string {
  return createHash('sha256')
    .update(JSON.stringify(['mlflow-dataset', d.name, d.digest]))
    .digest('hex');
}

/** The location inside an MLflow dataset source ({"uri": ...} for files and URLs, a path or table for Spark and Delta), else null. */
export function sourceUriOf(source: string): string | null {
  try {
    const parsed = JSON.parse(source) as Record<string, unknown>;
    for (const field of ['uri', 'url', 'path', 'table_name', 'delta_table_name']) {
      const value = parsed?.[field];
      if (typeof value === 'string' && value.trim()) return value.trim().slice(0, 2000);
    }
  } catch {
    // not JSON: no location to take
  }
  return null;
}

function readDataset(p: Params): MlflowDataset {
  return {
    name: p.string('name'),
    digest: p.string('digest'),
    sourceType: p.string('source_type'),
    source: p.string('source'),
    schema: p.optionalString('schema'),
    profile: p.optionalString('profile'),
  };
}

function parsedSchema(text: string | null): unknown {
  if (!text) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' ? parsed : null;
  } catch {
    return null;
  }
}

/** Reads every input of a LogInputs request before anything is written. */
export function readDatasetInputs(inputs: Params[]) {
  return inputs.map((input) => {
    const dataset = input.object('dataset');
    if (!dataset) throw input.missing('dataset');
    const tags = input.objects('tags').map((t) => ({ key: t.string('key'), value: t.optionalString('value') ?? '' }));
    const context = tags.findLast((t) => t.key === CONTEXT_TAG)?.value;
    return { dataset: readDataset(dataset), tags, role: context && !keyProblem(context, 100) ? context : DEFAULT_ROLE };
  });
}

/** Registers each dataset as a version in the experiment's namespace and links it to the run, with its tags as sent. */
export async function logDatasetInputs(call: Call, run: Run, inputs: ReturnType<typeof readDatasetInputs>): Promise<void> {
  if (!inputs.length) return;
  const project = await call.services.projects.requireById(call.access, run.projectId, 'VIEWER');
  const links = [];
  for (const { dataset: d, tags, role } of inputs) {
    const { datasetVersion } = await call.services.datasets.registerVersion(call.access, {
      namespace: mlflowNamespace(experimentIdOf(project)),
      dataset: d.name,
      project: project.name,
      version: d.digest,
      digest: mlflowDatasetSha256(d),
      sourceUri: sourceUriOf(d.source),
      sourceType: d.sourceType,
      source: d.source,
      schema: parsedSchema(d.schema),
      schemaText: d.schema,
      profile: d.profile,
    });
    links.push({ datasetVersionId: datasetVersion.id, role, tags });
    call.targets.push(`dataset:${d.name}@${d.digest}`);
  }
  await call.services.datasets.logInputs(call.access, { runId: run.id, datasets: links });
}

/** A runledger dataset version as MLflow's Dataset message (the version label is MLflow's digest). */
export function datasetJson(dataset: Dataset, version: DatasetVersion) {
  const uri = version.sourceUri ?? '';
  const sourceType = version.sourceType ?? (/^https?:/.test(uri) ? 'http' : uri.includes('://') ? uri.split('://')[0]! : uri ? 'local' : 'external');
  const schema = version.schemaText ?? (version.schema ? JSON.stringify(version.schema) : null);
  return {
    name: dataset.name,
    digest: version.version,
    source_type: sourceType,
    source: version.source ?? JSON.stringify(uri ? { uri } : {}),
    ...(schema ? { schema } : {}),
    ...(version.profile ? { profile: version.profile } : {}),
  };
}

/** An input's tags as MLflow shows them: as sent through MLflow, else its role as the context tag. */
export function inputTagsJson(input: { role: string; tags: unknown }): { key: string; value: string }[] {
  if (Array.isArray(input.tags)) return input.tags as { key: string; value: string }[];
  return [{ key: CONTEXT_TAG, value: input.role }];
}

export async function searchDatasets(call: Call) {
  const ids = call.params.strings('experiment_ids');
  if (ids.length === 0) throw invalidParameter('experiment_ids', 'SearchDatasets request must specify at least one experiment_id.');
  if (ids.length > SEARCH_MAX_EXPERIMENTS) {
    throw invalidParameter(
      'experiment_ids',
      `SearchDatasets request cannot specify more than ${SEARCH_MAX_EXPERIMENTS} experiment_ids. Received ${ids.length}.`,
    );
  }
  const projects = await Promise.all(ids.map((id) => experimentFor(call, id, 'VIEWER')));
  const rows = await call.services.datasets.inputsOfProjects(call.access, projects, SEARCH_MAX_RESULTS);
  const experimentOf = new Map(projects.map((p) => [p.id, experimentIdOf(p)]));
  const seen = new Set<string>();
  const summaries = [];
  for (const row of rows) {
    const tags = inputTagsJson(row);
    const context = Array.isArray(row.tags) ? (tags.findLast((t) => t.key === CONTEXT_TAG)?.value ?? '') : row.role;
    const summary = { experiment_id: experimentOf.get(row.projectId)!, name: row.name, digest: row.version, context };
    const key = JSON.stringify(summary);
    if (!seen.has(key)) seen.add(key);
    else continue;
    summaries.push(summary);
  }
  return { dataset_summaries: summaries };
}
