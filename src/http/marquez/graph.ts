// Marquez's graphs: node ids in (`dataset:<namespace>:<name>`, whose namespace may itself hold
// ':', as `postgres://db:5432` does), and the lineage and column-lineage graphs out, with the
// ML side (training runs, model versions) as extra JOB and DATASET nodes Marquez's UI can draw.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { Access } from '../../modules/auth/access.js';
import type { Dataset } from '../../modules/datasets/service.js';
import type { JobLineage } from '../../modules/pipelines/job-lineage.js';
import type { JobRow } from '../../modules/pipelines/jobs.js';
import type { ColumnEdgeRow } from '../../modules/pipelines/column-lineage-store.js';
import type { Services } from '../../services.js';
import { datasetJson, jobJson, nodeId } from './json.js';
import { jobContexts } from './load.js';

export type ParsedNode = { kind: 'dataset'; dataset: Dataset } | { kind: 'job'; job: JobRow } | { kind: 'datasetField'; dataset: Dataset; field: string };

/** Every (namespace, name) a `<namespace>:<name>` text can be split into, the longest namespace first. */
function splits(text: string): { namespace: string; name: string }[] {
  const out: { namespace: string; name: string }[] = [];
  for (let i = text.lastIndexOf(':'); i > 0; i = text.lastIndexOf(':', i - 1)) out.push({ namespace: text.slice(0, i), name: text.slice(i + 1) });
  return out;
}

/** A node id as Marquez writes it, resolved to what the caller may see (NOT_FOUND otherwise). */
export async function parseNodeId(services: Services, access: Access, raw: string | null): Promise<ParsedNode> {
  if (!raw) throw new ValidationError('nodeId', 'is required, e.g. dataset:postgres://db:5432:public.orders or job:airflow://prod:etl.load');
  const id = raw.replace(/#.*$/, ''); // a "#version" suffix: the current graph is answered
  const at = id.indexOf(':');
  const [kind, rest] = [id.slice(0, at), id.slice(at + 1)];
  if (kind === 'dataset' || kind === 'job') {
    for (const key of splits(rest)) {
      if (kind === 'dataset') {
        const dataset = await services.datasets.get(access, key.name, key.namespace);
        if (dataset) return { kind, dataset };
      } else {
        const job = await services.jobs.byKey(access, key.namespace, key.name);
        if (job) return { kind, job };
      }
    }
    throw new NotFoundError(kind === 'dataset' ? 'Dataset' : 'Job', rest);
  }
  if (kind === 'datasetField') {
    const cut = rest.lastIndexOf(':');
    for (const key of splits(rest.slice(0, cut))) {
      const dataset = await services.datasets.get(access, key.name, key.namespace);
      if (dataset) return { kind, dataset, field: rest.slice(cut + 1) };
    }
    throw new NotFoundError('Dataset', rest.slice(0, cut));
  }
  throw new ValidationError('nodeId', 'must start with dataset:, job: or datasetField:');
}

interface GraphNode {
  id: string;
  type: 'DATASET' | 'JOB';
  data: unknown;
  inEdges: { origin: string; destination: string }[];
  outEdges: { origin: string; destination: string }[];
}

/** The lineage graph as Marquez answers GET /lineage: one node per dataset and job, each with its edges. */
export async function lineageJson(services: Services, access: Access, graph: JobLineage) {
  const latest = await services.catalog.latestVersions(access, graph.datasets);
  const contexts = await jobContexts(services, access, graph.jobs);
  const nodes = new Map<string, GraphNode>();
  const add = (key: string, node: Omit<GraphNode, 'inEdges' | 'outEdges'>) => nodes.set(key, { ...node, inEdges: [], outEdges: [] });
  for (const d of graph.datasets) add(`dataset:${d.id}`, { id: nodeId('dataset', d), type: 'DATASET', data: datasetJson(d, latest.get(d.id) ?? null) });
  for (const j of graph.jobs) add(`job:${j.id}`, { id: nodeId('job', j), type: 'JOB', data: jobJson(j, contexts.get(j.id)!) });
  // Beyond Marquez: a training run is drawn as a job, a model version as the dataset it produced.
  for (const r of graph.trainingRuns) {
    const gid = encodeGlobalID('Run', r.id);
    add(`run:${r.id}`, {
      id: `job:runledger:run/${gid}`,
      type: 'JOB',
      data: {
        id: { namespace: 'runledger', name: `run/${gid}` },
        name: r.name,
        namespace: 'runledger',
        type: 'TRAINING_RUN',
        runledger: { kind: 'Run', id: gid, status: r.status },
      },
    });
  }
  for (const m of graph.modelVersions) {
    const gid = encodeGlobalID('ModelVersion', m.version.id);
    const name = `${m.model.name}/v${m.version.version}`;
    add(`model:${m.version.id}`, {
      id: `dataset:runledger:model/${name}`,
      type: 'DATASET',
      data: {
        id: { namespace: 'runledger', name: `model/${name}` },
        name,
        namespace: 'runledger',
        type: 'MODEL_VERSION',
        runledger: { kind: 'ModelVersion', id: gid },
      },
    });
  }
  for (const e of graph.edges) {
    const [from, to] = [nodes.get(e.from), nodes.get(e.to)];
    if (!from || !to) continue;
    const edge = { origin: from.id, destination: to.id };
    from.outEdges.push(edge);
    to.inEdges.push(edge);
  }
  return { graph: [...nodes.values()] };
}

/** Column lineage as Marquez answers GET /column-lineage: one DATASET_FIELD node per field, its inputs listed on it. */
export function columnLineageJson(edges: readonly ColumnEdgeRow[]) {
  type FieldNode = { id: string; type: 'DATASET_FIELD'; data: Record<string, unknown>; inEdges: object[]; outEdges: object[] };
  const nodes = new Map<string, FieldNode>();
  const node = (namespace: string, dataset: string, field: string) => {
    const id = `datasetField:${namespace}:${dataset}:${field}`;
    let n = nodes.get(id);
    if (!n) {
      n = { id, type: 'DATASET_FIELD', data: { namespace, dataset, datasetVersion: null, field, fieldType: null, inputFields: [] }, inEdges: [], outEdges: [] };
      nodes.set(id, n);
    }
    return n;
  };
  const seen = new Set<string>();
  for (const e of edges) {
    const key = JSON.stringify([
      e.inputNamespace,
      e.inputName,
      e.inputField,
      e.outputNamespace,
      e.outputName,
      e.outputField,
      e.transformationType,
      e.transformationSubtype,
    ]);
    if (seen.has(key)) continue;
    seen.add(key);
    const [from, to] = [node(e.inputNamespace, e.inputName, e.inputField), node(e.outputNamespace, e.outputName, e.outputField)];
    (to.data.inputFields as object[]).push({
      namespace: e.inputNamespace,
      dataset: e.inputName,
      datasetVersion: null,
      field: e.inputField,
      transformationDescription: e.transformationDescription,
      transformationType: e.transformationType || null,
      transformations: [
        { type: e.transformationType || null, subtype: e.transformationSubtype || null, description: e.transformationDescription, masking: e.masking },
      ],
    });
    const edge = { origin: from.id, destination: to.id };
    if (!from.outEdges.some((x) => JSON.stringify(x) === JSON.stringify(edge))) from.outEdges.push(edge);
    if (!to.inEdges.some((x) => JSON.stringify(x) === JSON.stringify(edge))) to.inEdges.push(edge);
  }
  return { graph: [...nodes.values()] };
}
