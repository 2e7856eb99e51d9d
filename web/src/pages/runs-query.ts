// Runs-table data: its row type (web/src/operations/runs.graphql), cells, and how a filter
// error points at its token.
import { GqlError } from '../api';
import type { RunRowFragment } from '../generated/graphql';

/** A row of the runs table (and a run of the chart view), as the RunRow fragment selects it. */
export type RunRow = RunRowFragment;

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
