// MLflow datasets (log_input) as runledger dataset versions. runledger identifies a version by a
// sha256 digest, MLflow by a short digest of its own: the MLflow digest becomes the version
// label, and the sha256 is taken over the dataset's MLflow identity (name, digest, source type
// and source), so the same MLflow dataset always lands on the same version.
import { createHash } from 'node:crypto';
import type { Dataset, DatasetVersion } from '../../modules/datasets/service.js';
import type { Run } from '../../modules/runs/service.js';
import type { Call } from './call.js';
import { invalidParameter } from './errors.js';
import { Params } from './wire.js';

const CONTEXT_TAG = 'mlflow.data.context';
/** The role of a dataset logged without a context tag. */
const DEFAULT_ROLE = 'input';

export interface MlflowDataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

/** The sha256 a runledger dataset version carries for an MLflow dataset. */
export function mlflowDatasetSha256(d: Pick<MlflowDataset, 'name' | 'digest' | 'sourceType' | 'source'>): string {
  return createHash('sha256')
    .update(JSON.stringify([d.name, d.digest, d.sourceType, d.source]))
    .digest('hex');
}

/** The URI inside an MLflow dataset source (`{"uri": ...}` for files, URLs and tables), else the source type. */
function sourceUriOf(d: MlflowDataset): string {
  try {
    const parsed = JSON.parse(d.source) as { uri?: unknown; url?: unknown };
    const uri = parsed.uri ?? parsed.url;
    if (typeof uri === 'string' && uri.trim()) return uri.trim().slice(0, 2000);
  } catch {
    // not JSON: fall through
  }
  return `mlflow-dataset-source:${d.sourceType}`;
}

function readDataset(p: Params, field: string): MlflowDataset {
  const text = (name: string) => {
    const value = p.optionalString(name);
    if (!value) throw invalidParameter(`${field}.${name}`, 'is required');
    return value;
  };
  return {
    name: text('name'),
    digest: text('digest'),
    sourceType: text('source_type'),
    source: text('source'),
    schema: p.optionalString('schema'),
    profile: p.optionalString('profile'),
  };
}

function schemaJson(text: string | null): unknown {
  if (!text) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' ? parsed : null;
  } catch {
    return null;
  }
}

/** Registers each dataset of a LogInputs request as a version in the run's project and links it to the run with its context as role. */
export async function logDatasetInputs(call: Call, run: Run, inputs: Params[]): Promise<void> {
  const project = await call.services.projects.requireById(call.access, run.projectId, 'VIEWER');
  const links: { datasetVersionId: number; role: string }[] = [];
  for (const [i, input] of inputs.entries()) {
    const datasetField = `datasets[${i}].dataset`;
    const dataset = input.fields.dataset;
    if (dataset === null || typeof dataset !== 'object') throw invalidParameter(datasetField, 'is required');
    const d = readDataset(new Params(dataset as Record<string, unknown>), datasetField);
    const context = input
      .objects('tags')
      .find((t) => t.optionalString('key') === CONTEXT_TAG)
      ?.optionalString('value');
    const { datasetVersion } = await call.services.datasets.registerVersion(call.access, {
      dataset: d.name,
      project: project.name,
      version: d.digest,
      digest: mlflowDatasetSha256(d),
      sourceUri: sourceUriOf(d),
      schema: schemaJson(d.schema),
    });
    links.push({ datasetVersionId: datasetVersion.id, role: context || DEFAULT_ROLE });
    call.targets.push(`dataset:${d.name}@${d.digest}`);
  }
  if (links.length) await call.services.datasets.logInputs(call.access, { runId: run.id, datasets: links });
}

/** A runledger dataset version as MLflow's Dataset message (the version label is MLflow's digest). */
export function datasetJson(dataset: Dataset, version: DatasetVersion) {
  const uri = version.sourceUri ?? '';
  const sourceType = uri.startsWith('mlflow-dataset-source:')
    ? uri.slice('mlflow-dataset-source:'.length)
    : /^https?:/.test(uri)
      ? 'http'
      : uri.includes('://')
        ? uri.split('://')[0]!
        : 'local';
  return {
    name: dataset.name,
    digest: version.version,
    source_type: sourceType,
    source: JSON.stringify(uri.startsWith('mlflow-dataset-source:') ? {} : { uri }),
    ...(version.schema ? { schema: JSON.stringify(version.schema) } : {}),
  };
}
