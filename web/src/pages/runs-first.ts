// The runs page's first requests as its URL decides them (the page's first rows, its count and
// its keys), in a module without dependencies: the page and the early entry (web/src/early.ts),
// which sends them before the app's code has loaded, ask with the same variables.
import type { RunOrder, RunView } from '../generated/graphql.js';

/** Rows of the table's first page: enough to fill the screen. */
export const FIRST_PAGE = 40;
/** Runs the chart view shows at most (its panels overlay them); opened on it, they come in one page. */
export const MAX_CHART_RUNS = 100;

/** The `sort` parameter (`field:ASC|DESC`) as the API's order. */
export function orderOf(sort: string): RunOrder[] | null {
  if (!sort) return null;
  const [field = '', direction] = sort.split(':');
  return [{ field, direction: direction === 'ASC' ? 'ASC' : 'DESC' }];
}

export const viewOf = (deleted: boolean): RunView => (deleted ? 'DELETED_ONLY' : 'ACTIVE_ONLY');

/** Variables of the first page of rows: the same object, key for key, wherever it is built. */
export function firstPageVariables(input: { project: string; filter: string; orderBy: RunOrder[] | null; first: number; deleted: boolean }) {
  return {
    project: input.project,
    filter: input.filter || null,
    orderBy: input.orderBy,
    first: input.first,
    after: null as string | null,
    view: viewOf(input.deleted),
  };
}

export const countVariables = (input: { project: string; filter: string; deleted: boolean }) => ({
  project: input.project,
  filter: input.filter || null,
  view: viewOf(input.deleted),
});

/** The runs page's first requests for a URL (/projects/<name>/runs?...), or null on another page. */
export function runsPageVariables(path: string, search: string) {
  const [root, project, tail] = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (root !== 'projects' || !project || (tail !== undefined && tail !== 'runs')) return null;
  const query = new URLSearchParams(search);
  const filter = query.get('filter') ?? '';
  const deleted = query.get('deleted') === '1';
  const first = query.get('view') === 'charts' ? MAX_CHART_RUNS : FIRST_PAGE;
  return {
    rows: firstPageVariables({ project, filter, orderBy: orderOf(query.get('sort') ?? ''), first, deleted }),
    count: countVariables({ project, filter, deleted }),
    keys: { project },
  };
}
