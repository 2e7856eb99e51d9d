// Runs-table data: the query, its row type, and how a filter error points at its token.
import { GqlError } from '../api';

export const RUN_ROW = `fragment RunRow on Run { id name status user group startedAt durationSeconds deletedAt params { key value } tags { key value } metrics { key last } }`;

export const RUNS_QUERY = `query Runs($project: String!, $filter: String, $orderBy: [RunOrder!], $first: Int, $after: String, $view: RunView) {
  runs(project: $project, filter: $filter, orderBy: $orderBy, first: $first, after: $after, view: $view) {
    pageInfo { hasNextPage endCursor } edges { node { ...RunRow } }
  }
} ${RUN_ROW}`;

/** Counting every match costs more than a page at 100,000 runs, so it is asked for apart. */
export const RUNS_COUNT_QUERY = `query RunsCount($project: String!, $filter: String, $view: RunView) { runs(project: $project, filter: $filter, first: 0, view: $view) { totalCount } }`;

export const RUN_KEYS_QUERY = `query RunKeys($project: String!) { project(name: $project) { name runKeys { metrics params tags } } }`;

export interface RunKeysData {
  project: { name: string; runKeys: { metrics: string[]; params: string[]; tags: string[] } } | null;
}

export interface RunRow {
  id: string;
  name: string;
  status: string;
  user: string | null;
  group: string | null;
  startedAt: string;
  deletedAt: string | null;
  durationSeconds: number;
  params: { key: string; value: string }[];
  tags: { key: string; value: string }[];
  metrics: { key: string; last: number | string }[];
}

export interface RunsPage {
  runs: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: RunRow }[] };
}

// Sized for their headers and values: with six key columns the table fits a 1280-pixel window.
export const BASE_COLUMNS = [
  { id: 'attributes.name', label: 'Name', width: 172 },
  { id: 'attributes.status', label: 'Status', width: 96 },
  { id: 'attributes.user', label: 'User', width: 88 },
  { id: 'attributes.started_at', label: 'Started', width: 100 },
  { id: 'attributes.duration', label: 'Duration', width: 96 },
] as const;

/** The value a `params.x` / `metrics.x` / `tags.x` column shows for a run. */
export function cellValue(run: RunRow, column: string): string | number | null {
  const dot = column.indexOf('.');
  const kind = column.slice(0, dot);
  const key = column.slice(dot + 1);
  if (kind === 'params') return run.params.find((p) => p.key === key)?.value ?? null;
  if (kind === 'tags') return run.tags.find((p) => p.key === key)?.value ?? null;
  if (kind === 'metrics') return run.metrics.find((p) => p.key === key)?.last ?? null;
  if (kind === 'attributes') {
    if (key === 'user') return run.user;
    if (key === 'status') return run.status;
    if (key === 'group') return run.group;
    if (key === 'name') return run.name;
  }
  return null;
}

/** Where in the filter text a BAD_USER_INPUT error points (1-based column), if it does. */
export function filterErrorAt(error: unknown): { column: number; token: string | null; message: string } | null {
  if (!(error instanceof GqlError)) return null;
  const e = error.errors.find((x) => x.extensions?.code === 'BAD_USER_INPUT' && x.extensions.field === 'filter');
  if (!e) return null;
  return { column: typeof e.extensions?.column === 'number' ? e.extensions.column : 0, token: e.extensions?.token ?? null, message: e.message };
}

/** A filter clause selecting a group of runGroups. */
export function groupFilter(groupBy: string, key: string | null): string {
  const dot = groupBy.indexOf('.');
  const name = groupBy.slice(dot + 1);
  const field = /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name) ? groupBy : `${groupBy.slice(0, dot)}.\`${name}\``;
  if (key === null) return `${field} IS NULL`;
  return `${field} = '${key.replace(/'/g, "\\'")}'`;
}
