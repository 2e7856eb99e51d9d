// Marquez's REST API (v1) as a door of runledger, so Marquez's web UI and the marquez-python
// client work against it unchanged: namespaces, datasets and their versions, jobs and their
// runs, the job/dataset lineage graph, column lineage, search and the raw event log, all read
// through the same services as GraphQL, as the caller. The lineage graph goes beyond Marquez:
// training runs and model versions downstream of a dataset are nodes too. POST /api/v1/lineage
// (events in) is the OpenLineage door's.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { DomainError, NotFoundError, ValidationError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { Access } from '../../modules/auth/access.js';
import type { Services } from '../../services.js';
import { readJsonBody } from '../edge/body.js';
import { requestUrl } from '../request-url.js';
import { sendJson, STATUS } from '../respond.js';
import { columnLineageJson, lineageJson, parseNodeId } from './graph.js';
import { datasetJson, datasetVersionJson, jobJson, namespaceJson } from './json.js';
import { jobContexts, runContexts } from './load.js';

export const API = '/api/v1';

export interface MarquezCall {
  services: Services;
  access: Access;
  params: Record<string, string>;
  query: URLSearchParams;
  body: () => Promise<unknown>;
}

export interface MarquezRoute {
  method: 'GET' | 'PUT';
  /** Below /api/v1, with {name} for a path segment (URL-decoded). */
  path: string;
  /** Writes are audited under this operation name. */
  audit?: string;
  handle(call: MarquezCall): Promise<unknown>;
}

function intParam(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new ValidationError(name, `must be an integer from 0 to ${max}`);
  return n;
}

const page = (q: URLSearchParams) => ({ first: intParam(q, 'limit', 100, 1000), offset: intParam(q, 'offset', 0, 1_000_000) });

async function requireDataset(c: MarquezCall) {
  const dataset = await c.services.datasets.get(c.access, c.params.dataset!, c.params.namespace!);
  if (!dataset) throw new NotFoundError('Dataset', `${c.params.namespace}/${c.params.dataset}`);
  return dataset;
}

async function requireJob(c: MarquezCall) {
  const job = await c.services.jobs.byKey(c.access, c.params.namespace!, c.params.job!);
  if (!job) throw new NotFoundError('Job', `${c.params.namespace}/${c.params.job}`);
  return job;
}

function dateParam(query: URLSearchParams, name: string): Date | null {
  const raw = query.get(name);
  if (!raw) return null;
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) throw new ValidationError(name, 'must be an ISO-8601 date-time, e.g. 2026-11-01T00:00:00Z');
  return d;
}

async function events(c: MarquezCall) {
  const direction = (c.query.get('sortDirection') ?? 'desc').toLowerCase();
  if (direction !== 'asc' && direction !== 'desc') throw new ValidationError('sortDirection', 'must be asc or desc');
  const { events, total } = await c.services.pipelines.events(c.access, {
    before: dateParam(c.query, 'before'),
    after: dateParam(c.query, 'after'),
    ...page(c.query),
    newestFirst: direction === 'desc',
  });
  return { events: events.map((e) => e.body), totalCount: total };
}

export const ROUTES: readonly MarquezRoute[] = [
  {
    method: 'GET',
    path: '/namespaces',
    handle: async (c) => ({ namespaces: (await c.services.catalog.namespaces(c.access, page(c.query))).map(namespaceJson) }),
  },
  {
    method: 'GET',
    path: '/namespaces/{namespace}',
    handle: async (c) => {
      const [found] = await c.services.catalog.namespaces(c.access, { name: c.params.namespace!, first: 1, offset: 0 });
      if (!found) throw new NotFoundError('Namespace', c.params.namespace!);
      return namespaceJson(found);
    },
  },
  {
    method: 'PUT',
    path: '/namespaces/{namespace}',
    audit: 'marquez.namespace.put',
    handle: async (c) => {
      const { projectName } = await c.services.pipelines.ensureNamespace(c.access, c.params.namespace!);
      const now = new Date();
      const [found] = await c.services.catalog.namespaces(c.access, { name: c.params.namespace!, first: 1, offset: 0 });
      return namespaceJson(found ?? { name: c.params.namespace!, createdAt: now, updatedAt: now, ownerName: projectName });
    },
  },
  {
    method: 'GET',
    path: '/namespaces/{namespace}/datasets',
    handle: async (c) => {
      const { datasets, total } = await c.services.catalog.datasetsOf(c.access, c.params.namespace!, page(c.query));
      const latest = await c.services.catalog.latestVersions(c.access, datasets);
      return { totalCount: total, datasets: datasets.map((d) => datasetJson(d, latest.get(d.id) ?? null)) };
    },
  },
  {
    method: 'GET',
    path: '/namespaces/{namespace}/datasets/{dataset}',
    handle: async (c) => {
      const dataset = await requireDataset(c);
      return datasetJson(dataset, (await c.services.catalog.latestVersions(c.access, [dataset])).get(dataset.id) ?? null);
    },
  },
  {
    method: 'GET',
    path: '/namespaces/{namespace}/datasets/{dataset}/versions',
    handle: async (c) => {
      const dataset = await requireDataset(c);
      const { versions, total } = await c.services.catalog.versionsOf(c.access, dataset, page(c.query));
      return { totalCount: total, versions: versions.map((v) => datasetVersionJson(dataset, v.version, v.producedBy)) };
    },
  },
  {
    method: 'GET',
    path: '/namespaces/{namespace}/datasets/{dataset}/versions/{version}',
    handle: async (c) => {
      const dataset = await requireDataset(c);
      const version = await c.services.datasets.versionByLabel(c.access, dataset.name, c.params.version!, dataset.namespace);
      if (!version) throw new NotFoundError('DatasetVersion', `${dataset.namespace}/${dataset.name}@${c.params.version}`);
      return datasetVersionJson(dataset, version, null);
    },
  },
  {
    method: 'GET',
    path: '/namespaces/{namespace}/jobs',
    handle: async (c) => {
      const { jobs, totalCount } = await c.services.jobs.list(c.access, { namespace: c.params.namespace!, ...page(c.query) });
      const contexts = await jobContexts(c.services, c.access, jobs);
      return { totalCount, jobs: jobs.map((j) => jobJson(j, contexts.get(j.id)!)) };
    },
  },
  {
    method: 'GET',
    path: '/namespaces/{namespace}/jobs/{job}',
    handle: async (c) => {
      const job = await requireJob(c);
      return jobJson(job, (await jobContexts(c.services, c.access, [job])).get(job.id)!);
    },
  },
  {
    method: 'GET',
    path: '/namespaces/{namespace}/jobs/{job}/runs',
    handle: async (c) => {
      const job = await requireJob(c);
      const { runs } = await c.services.jobs.runsOf(c.access, job, page(c.query));
      const json = await runContexts(c.services, c.access, runs);
      return { totalCount: runs.length, runs: runs.map((r) => json.get(r.id)!) };
    },
  },
  {
    method: 'GET',
    path: '/jobs/runs/{runId}',
    handle: async (c) => {
      const [run] = await c.services.pipelines.visibleByRunUuids(c.access, [c.params.runId!.toLowerCase()]);
      if (!run) throw new NotFoundError('Run', c.params.runId!);
      return (await runContexts(c.services, c.access, [run])).get(run.id);
    },
  },
  {
    method: 'GET',
    path: '/lineage',
    handle: async (c) => {
      const node = await parseNodeId(c.services, c.access, c.query.get('nodeId'));
      if (node.kind === 'datasetField')
        throw new ValidationError('nodeId', 'must name a dataset or a job (dataset:<namespace>:<name>, job:<namespace>:<name>)');
      const graph = await c.services.jobLineage.around(
        c.access,
        node.kind === 'dataset' ? { dataset: node.dataset } : { job: node.job },
        intParam(c.query, 'depth', 20, 20),
      );
      return lineageJson(c.services, c.access, graph);
    },
  },
  {
    method: 'GET',
    path: '/column-lineage',
    handle: async (c) => {
      const node = await parseNodeId(c.services, c.access, c.query.get('nodeId'));
      const withDownstream = (c.query.get('withDownstream') ?? 'false').toLowerCase() === 'true';
      const depth = Math.max(1, intParam(c.query, 'depth', 20, 20));
      const starts =
        node.kind === 'job'
          ? (await jobContexts(c.services, c.access, [node.job])).get(node.job.id)!.outputs.map((d) => ({ namespace: d.namespace, name: d.name, field: null }))
          : [{ namespace: node.dataset.namespace, name: node.dataset.name, field: node.kind === 'datasetField' ? node.field : null }];
      const edges = [];
      for (const start of starts) edges.push(...(await c.services.pipelines.columnLineage(c.access, start, withDownstream ? 'BOTH' : 'UPSTREAM', depth)));
      return columnLineageJson(edges);
    },
  },
  {
    method: 'GET',
    path: '/search',
    handle: async (c) => {
      const q = c.query.get('q') ?? '';
      if (!q.trim()) throw new ValidationError('q', 'is required: the start of a dataset or job name');
      const filter = c.query.get('filter')?.toUpperCase();
      if (filter && !['DATASET', 'JOB', 'RUN', 'MODEL'].includes(filter)) throw new ValidationError('filter', 'must be DATASET, JOB, RUN or MODEL');
      const kinds = filter ? [filter as 'DATASET'] : (['DATASET', 'JOB'] as const);
      const hits = await c.services.catalog.search(c.access, { prefix: q, kinds, first: intParam(c.query, 'limit', 10, 1000) || 10 });
      const results = hits.map((h) => ({
        type: h.kind,
        name: h.name,
        updatedAt: h.updatedAt.toISOString(),
        namespace: h.namespace,
        nodeId:
          h.kind === 'DATASET' || h.kind === 'JOB'
            ? `${h.kind.toLowerCase()}:${h.namespace}:${h.name}`
            : encodeGlobalID(h.kind === 'RUN' ? 'Run' : 'RegisteredModel', h.id),
      }));
      if ((c.query.get('sort') ?? 'NAME').toUpperCase() === 'UPDATE_AT') results.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
      return { totalCount: results.length, results };
    },
  },
  // runledger keeps no Marquez tags: an honest empty list, so clients listing them work.
  { method: 'GET', path: '/tags', handle: async () => ({ tags: [] }) },
  { method: 'GET', path: '/events/lineage', handle: events },
  // marquez-python's list_events() asks here.
  { method: 'GET', path: '/events', handle: events },
];

interface Matched {
  route: MarquezRoute;
  params: Record<string, string>;
}

const COMPILED = ROUTES.map((route) => ({ route, segments: route.path.split('/').slice(1) }));

/** The route of a path below /api/v1 and method: params decoded; null when no route has the path. */
function match(method: string, path: string): Matched | 'METHOD' | null {
  const parts = path.split('/').slice(1);
  let pathKnown = false;
  for (const { route, segments } of COMPILED) {
    if (segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const ok = segments.every((s, i) => {
      if (s.startsWith('{')) {
        params[s.slice(1, -1)] = decodeURIComponent(parts[i]!);
        return parts[i] !== '';
      }
      return s === parts[i];
    });
    if (!ok) continue;
    if (route.method === method) return { route, params };
    pathKnown = true;
  }
  return pathKnown ? 'METHOD' : null;
}

function marquezError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) {
  // Marquez's error body ({code, message}), with the core's code beside it.
  sendJson(res, status, { code: status, message, error: code }, headers);
}

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
  return headers;
}

export function createMarquezRoutes(services: Services, log: Logger, options: { maxBodyBytes: number; access: (headers: Headers) => Promise<Access> }) {
  /** Serves Marquez's routes below /api/v1; returns false for any other request (POST /api/v1/lineage included). */
  return async function handleMarquezRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = requestUrl(req.url);
    if (!url.pathname.startsWith(`${API}/`) || (url.pathname === `${API}/lineage` && req.method === 'POST')) return false;
    let matched: ReturnType<typeof match>;
    try {
      matched = match(req.method ?? 'GET', url.pathname.slice(API.length));
    } catch {
      return (marquezError(res, 400, 'BAD_USER_INPUT', 'path: a segment is not valid percent-encoding'), true);
    }
    if (matched === null) return false;
    // NUL can reach no name or value: refused here, where the request is read, not by the database.
    const nul = [...(matched === 'METHOD' ? [] : Object.entries(matched.params)), ...url.searchParams].find(([, v]) => v.includes('\u0000'));
    if (nul) return (marquezError(res, 400, 'BAD_USER_INPUT', `${nul[0]}: must not contain the NUL character`), true);
    if (matched === 'METHOD') return (marquezError(res, 405, 'BAD_USER_INPUT', `${req.method} is not served here`), true);
    const { route, params } = matched;
    let access: Access | null = null;
    try {
      access = await options.access(headersOf(req));
      const body = async () => (await readJsonBody(req, options.maxBodyBytes, res)) ?? null;
      const answer = await route.handle({ services, access, params, query: url.searchParams, body });
      if (route.audit) await services.audit.record(access, [{ operation: route.audit, targetIds: [params.namespace ?? ''], outcome: 'OK' }]);
      sendJson(res, 200, answer);
    } catch (error) {
      if (res.headersSent) log.error('marquez request failed after its answer', { err: error });
      else if (error instanceof DomainError) {
        const headers: Record<string, string> = error.code === 'UNAUTHENTICATED' ? { 'www-authenticate': 'Bearer' } : {};
        marquezError(res, STATUS[error.code], error.code, error.message, headers);
        if (access && route.audit) {
          await services.audit
            .record(access, [{ operation: route.audit, targetIds: [], outcome: error.code }])
            .catch((e) => log.error('audit write failed', { err: e }));
        }
      } else throw error;
    }
    return true;
  };
}
