// Finding and comparing runs: filter parsing, ordering, keyset cursors and aggregates.
import type { Database } from '../../db/database.js';
import { ValidationError } from '../../errors.js';
import type { Run } from '../../generated/prisma/client.js';
import { requireKey, requirePageSize } from '../../validation.js';
import type { Access } from '../auth/access.js';
import { projectAccess } from '../projects/policy.js';
import type { Project, ProjectService } from '../projects/service.js';
import { MetricKeyCache } from '../metrics/store.js';
import { type FieldRef, type FilterExpr, parseFieldRef, parseFilter } from './filter/parse.js';
import { countRuns, groupRuns, paramValueStats, recentRunKeys, type RunScope, type RunView, searchRuns, type SortKey, type SortValue } from './store.js';

export interface RunOrderInput {
  field: string;
  direction?: 'ASC' | 'DESC' | null;
}

export interface SearchRunsInput {
  project: string;
  filter?: string | null;
  orderBy?: readonly RunOrderInput[] | null;
  first?: number | null;
  after?: string | null;
  view?: RunView | null;
}

export interface RunPage {
  runs: { run: Run; cursor: string }[];
  hasNextPage: boolean;
  /** Counts every run the filter matches, across all pages; computed only when asked for. */
  totalCount: () => Promise<number>;
}

const DEFAULT_ORDER: RunOrderInput[] = [{ field: 'attributes.started_at', direction: 'DESC' }];

function orderSignature(order: readonly SortKey[]): string {
  return order.map((o) => `${o.field.kind}.${o.field.name} ${o.direction}`).join(',');
}

function encodeCursor(order: readonly SortKey[], values: SortValue[], id: number): string {
  return Buffer.from(JSON.stringify({ o: orderSignature(order), v: values, id })).toString('base64url');
}

function decodeCursor(order: readonly SortKey[], cursor: string): { values: SortValue[]; id: number } {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o: string; v: SortValue[]; id: number };
    if (parsed.o !== orderSignature(order)) {
      throw new ValidationError('after', 'this cursor was made for a different orderBy; start again without `after`');
    }
    if (!Array.isArray(parsed.v) || !Number.isInteger(parsed.id)) throw new Error('malformed');
    return { values: parsed.v, id: parsed.id };
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError('after', 'is not a cursor returned by this field');
  }
}

function metricNames(expr: FilterExpr | null, into: string[] = []): string[] {
  if (!expr) return into;
  if (expr.type === 'and' || expr.type === 'or') {
    for (const item of expr.items) metricNames(item, into);
  } else if (expr.type === 'not') {
    metricNames(expr.item, into);
  } else if ('field' in expr && expr.field.kind === 'metric') {
    into.push(expr.field.name);
  }
  return into;
}

export function createRunSearch(db: Database, projects: ProjectService) {
  // Key ids never change once interned, so they are cached for the life of the process.
  const metricKeys = new MetricKeyCache();

  /** Searches read one project, which the caller must be able to see (VIEWER). */
  async function scopeOf(
    caller: Access,
    project: string,
    filter: string | null | undefined,
    view: RunView | null | undefined,
    order: readonly SortKey[] = [],
  ): Promise<RunScope> {
    const parsed = parseFilter(filter ?? '');
    const { id } = await projects.require(caller, project, 'VIEWER');
    const names = [...metricNames(parsed), ...order.filter((o) => o.field.kind === 'metric').map((o) => o.field.name)];
    const keyIds = names.length ? await metricKeys.existingIds(db.sql, names) : undefined;
    return { projectId: id, filter: parsed, view: view ?? 'ACTIVE_ONLY', keyIds };
  }

  function parseOrder(orderBy: readonly RunOrderInput[] | null | undefined): SortKey[] {
    const order = orderBy && orderBy.length ? orderBy : DEFAULT_ORDER;
    if (order.length > 5) throw new ValidationError('orderBy', 'at most 5 sort keys');
    return order.map((o, i) => ({ field: parseFieldRef(o.field, `orderBy[${i}].field`), direction: o.direction ?? 'ASC' }));
  }

  return {
    async search(caller: Access, input: SearchRunsInput): Promise<RunPage> {
      const first = requirePageSize('first', input.first, 50);
      const order = parseOrder(input.orderBy);
      const after = input.after ? decodeCursor(order, input.after) : null;
      const scope = await scopeOf(caller, input.project, input.filter, input.view, order);
      const { runs, sortValues } = await searchRuns(db.sql, scope, order, first + 1, after);
      const page = runs.slice(0, first).map((run, i) => ({ run, cursor: encodeCursor(order, sortValues[i]!, run.id) }));
      let total: Promise<number> | undefined;
      return {
        runs: page,
        hasNextPage: runs.length > first,
        totalCount: () => (total ??= countRuns(db.sql, scope)),
      };
    },

    async groups(caller: Access, input: { project: string; filter?: string | null; groupBy: string; first?: number | null }) {
      const field = parseFieldRef(input.groupBy, 'groupBy');
      if (field.kind === 'metric') throw new ValidationError('groupBy', 'group by attributes.X, tags.X or params.X, not a metric');
      const scope = await scopeOf(caller, input.project, input.filter, 'ACTIVE_ONLY');
      return groupRuns(db.sql, scope, field, requirePageSize('first', input.first, 100));
    },

    /** The keys a runs table can show as columns: those of the `recentRuns` most recent active runs (default 1,000) of a project the caller read. */
    async keys(caller: Access, project: Pick<Project, 'id'>, recentRuns?: number | null): Promise<{ metrics: string[]; params: string[]; tags: string[] }> {
      const limit = recentRuns ?? 1000;
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new ValidationError('recentRuns', `must be 1 to 10000 (got ${limit})`);
      await projectAccess.require(caller, project, 'VIEWER', project.id);
      const rows = await recentRunKeys(db.sql, project.id, limit);
      const of = (kind: string) => rows.filter((r) => r.kind === kind).map((r) => r.key);
      return { metrics: of('metric'), params: of('param'), tags: of('tag') };
    },

    async paramValues(
      caller: Access,
      input: {
        project: string;
        filter?: string | null;
        key: string;
        metric?: string | null;
        goal?: 'MAXIMIZE' | 'MINIMIZE' | null;
        first?: number | null;
      },
    ) {
      requireKey('key', input.key);
      if (input.metric != null) requireKey('metric', input.metric);
      const scope = await scopeOf(caller, input.project, input.filter, 'ACTIVE_ONLY');
      return paramValueStats(db.sql, scope, input.key, input.metric ?? null, input.goal ?? 'MAXIMIZE', requirePageSize('first', input.first, 1000));
    },
  };
}

export type RunSearch = ReturnType<typeof createRunSearch>;
export type { FieldRef };
