// SQL for starting runs (one statement, with its audit row), run search and aggregates: the filter language compiles to parameterised SQL here.
import { columnList, SqlParams, type SqlQueryable } from '../../db/sql.js';
import { auditRowCte, auditRowValues, type PendingAudit } from '../audit/pending.js';
import type { Run } from '../../generated/prisma/client.js';
import { compileFilter, fieldSortExpressions, fieldValueExpression, type MetricKeyIds, metricComparison } from './filter/compile.js';
import type { FieldRef, FilterExpr } from './filter/parse.js';

const RUN_FIELDS = [
  ['id', 'id'],
  ['project_id', 'projectId'],
  ['client_run_id', 'clientRunId'],
  ['name', 'name'],
  ['status::text', 'status'],
  ['"user"', 'user'],
  ['notes', 'notes'],
  ['run_group', 'group'],
  ['parent_id', 'parentId'],
  ['environment', 'environment'],
  ['seed', 'seed'],
  ['gpu_count', 'gpuCount'],
  ['started_at', 'startedAt'],
  ['ended_at', 'endedAt'],
  ['deleted_at', 'deletedAt'],
  ['created_at', 'createdAt'],
  ['updated_at', 'updatedAt'],
  ['recorded_by', 'recordedBy'],
] as const;

/** A run's columns of `runs r`, as the Run fields. */
export const RUN_COLUMNS = columnList('r', RUN_FIELDS);

/** A run's columns of `runs r` under a prefix, beside other tables' in one row (see takePrefixed). */
export const runColumnsAs = (prefix: string) => columnList('r', RUN_FIELDS, prefix);

/**
 * Runs by id, in no particular order. Every run(id), node(id) and write guard reads through here,
 * so it skips Prisma's per-query planning: one prepared-shape SQL statement per batch.
 */
export async function runsByIds(sql: SqlQueryable, ids: readonly number[]): Promise<Run[]> {
  return sql.query<Run>(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.id = ANY($1::int[])`, [ids]);
}

/**
 * The params (or tags) of runs, by run then key: every page of runs, MLflow's runs/get and
 * runs/search, and model@alias reads load them, so one prepared statement instead of Prisma's
 * per-query compile and interpretation (measured: about a third of a millisecond of CPU each).
 */
export async function keyValuesOfRuns(sql: SqlQueryable, table: 'params' | 'tags', runIds: readonly number[]) {
  return sql.query<{ runId: number; key: string; value: string }>(
    `SELECT run_id AS "runId", key, value FROM ${table} WHERE run_id = ANY($1::int[]) ORDER BY run_id, key`,
    [runIds],
    { prepareAs: `runs.${table}Of` },
  );
}

export interface NewRunRow {
  projectName: string;
  /** Projects the run may be written into; null: any (the caller is a global admin). */
  writableProjectIds: readonly number[] | null;
  clientRunId: string | null;
  /** Null: "run-<id>", readable and unique within the project. */
  name: string | null;
  user: string | null;
  recordedBy: string | null;
  notes: string | null;
  group: string | null;
  startedAt: Date;
  environment: unknown;
  gpuCount: number;
  seed: string | null;
  tags: readonly { key: string; value: string }[];
}

/**
 * Starts a run in one statement: finds the project by name, and when it is among the writable
 * ones, returns the run of the same clientRunId if there is one, else inserts the run, its tags
 * and (when the door opened one) its audit row. `projectId` is null when no project has that
 * name; `run` is null when the project is not writable, or when a concurrent start with the same
 * clientRunId committed after this statement began (its run is then found by `runByClientId`).
 */
const START_RUN = `WITH p AS (SELECT id, deleted_at IS NOT NULL AS deleted FROM projects WHERE name = $1),
  allowed AS (SELECT id FROM p WHERE ($2::int[] IS NULL OR id = ANY($2::int[])) AND NOT deleted),
  existing AS (SELECT ${RUN_COLUMNS} FROM runs r JOIN allowed a ON r.project_id = a.id WHERE $3::text IS NOT NULL AND r.client_run_id = $3),
  new_id AS (SELECT nextval(pg_get_serial_sequence('runs', 'id'))::int AS id FROM allowed WHERE NOT EXISTS (SELECT 1 FROM existing)),
  ins AS (
    INSERT INTO runs AS r (id, project_id, client_run_id, name, "user", recorded_by, notes, run_group, started_at, environment, gpu_count, seed, created_at, updated_at)
    SELECT n.id, a.id, $3, coalesce($4::text, 'run-' || n.id), $5::text, $6::text, $7::text, $8::text, $9::timestamptz, $10::jsonb, $11::int,
           $12::text, $13::timestamptz, $13::timestamptz
    FROM new_id n, allowed a
    ON CONFLICT (project_id, client_run_id) DO NOTHING
    RETURNING ${RUN_COLUMNS}),
  tagged AS (INSERT INTO tags (run_id, key, value) SELECT ins.id, t.key, t.value FROM ins, unnest($14::text[], $15::text[]) AS t(key, value) RETURNING 1),
  ${auditRowCte('ins', 16)}
SELECT p.id AS "foundProjectId", p.deleted AS "projectDeleted", x.* FROM p LEFT JOIN (SELECT true AS created, * FROM ins UNION ALL SELECT false, * FROM existing) x ON true`;

export async function startRunStatement(
  sql: SqlQueryable,
  row: NewRunRow,
  audit: PendingAudit | null,
): Promise<{ projectId: number | null; projectDeleted: boolean; run: Run | null; created: boolean }> {
  const now = new Date();
  const params = [
    row.projectName,
    row.writableProjectIds,
    row.clientRunId,
    row.name,
    row.user,
    row.recordedBy,
    row.notes,
    row.group,
    row.startedAt,
    row.environment == null ? null : JSON.stringify(row.environment),
    row.gpuCount,
    row.seed,
    now,
    row.tags.map((t) => t.key),
    row.tags.map((t) => t.value),
    ...auditRowValues(audit),
  ];
  const rows = await sql.query<Run & { foundProjectId: number; projectDeleted: boolean; created: boolean | null }>(START_RUN, params, {
    prepareAs: 'runs.start',
  });
  const found = rows[0];
  if (!found) return { projectId: null, projectDeleted: false, run: null, created: false };
  const { foundProjectId, projectDeleted, created, ...run } = found;
  if (created) audit?.markWritten();
  return { projectId: foundProjectId, projectDeleted, run: created === null ? null : (run as Run), created: created === true };
}

/** The run a clientRunId names in a project, if any. */
export async function runByClientId(sql: SqlQueryable, projectId: number, clientRunId: string): Promise<Run | null> {
  const rows = await sql.query<Run>(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.project_id = $1 AND r.client_run_id = $2`, [projectId, clientRunId]);
  return rows[0] ?? null;
}

export type RunView = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
export type SortValue = number | string | null;

export interface RunScope {
  projectId: number;
  filter: FilterExpr | null;
  view: RunView;
  /** Ids of the metric keys the filter and order name, where they exist. */
  keyIds?: MetricKeyIds;
}

export interface SortKey {
  field: FieldRef;
  direction: 'ASC' | 'DESC';
}

function scopeWhere(scope: RunScope, params: SqlParams, filter: FilterExpr | null = scope.filter): string {
  const clauses = [`r.project_id = ${params.add(scope.projectId)}`];
  if (scope.view === 'ACTIVE_ONLY') clauses.push('r.deleted_at IS NULL');
  if (scope.view === 'DELETED_ONLY') clauses.push('r.deleted_at IS NOT NULL');
  if (filter) clauses.push(`(${compileFilter(filter, params, 'r', scope.keyIds)})`);
  return clauses.join(' AND ');
}

type MetricCompare = Extract<FilterExpr, { type: 'compare' }>;

/**
 * When the first sort key is a metric that the filter requires anyway (a top-level `and` of an
 * ordering comparison on it: `<`, `<=`, `>`, `>=`, which also excludes NaN), every matching run
 * has that metric's summary row, never NULL or NaN. Joining that row instead of a correlated
 * subquery lets PostgreSQL walk metric_summaries' (key_id, last_value, run_id) index in the
 * order asked and stop after one page, or start from the most selective other predicate.
 * Returns the comparisons that move into the join and the filter left without them.
 */
function sortKeyJoin(scope: RunScope, first: SortKey | undefined): { keyId: number; moved: MetricCompare[]; rest: FilterExpr | null } | null {
  if (first?.field.kind !== 'metric' || !scope.filter) return null;
  const keyId = scope.keyIds?.get(first.field.name);
  if (keyId === undefined) return null;
  const conjuncts = scope.filter.type === 'and' ? scope.filter.items : [scope.filter];
  const isMoved = (e: FilterExpr): e is MetricCompare =>
    e.type === 'compare' && e.field.kind === 'metric' && e.field.name === first.field.name && ['<', '<=', '>', '>='].includes(e.op);
  const moved = conjuncts.filter(isMoved);
  if (!moved.length) return null;
  const rest = conjuncts.filter((e) => !isMoved(e));
  return { keyId, moved, rest: rest.length === 0 ? null : rest.length === 1 ? rest[0]! : { type: 'and', items: rest } };
}

function toSortValue(value: unknown): SortValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value); // 'NaN' reads back as float8
  return String(value);
}

/**
 * Rows after the cursor in the order given, then by id. Missing values sort last in both
 * directions, so the keyset condition treats NULL as the greatest value.
 */
export async function searchRuns(
  sql: SqlQueryable,
  scope: RunScope,
  order: readonly SortKey[],
  limit: number,
  after: { values: SortValue[]; id: number } | null,
): Promise<{ runs: Run[]; sortValues: SortValue[][] }> {
  const params = new SqlParams();
  const join = sortKeyJoin(scope, order[0]);
  const where = [scopeWhere(scope, params, join ? join.rest : scope.filter)];
  // notNull: the joined sort key, which needs no NULLS LAST (so its index order serves).
  const exprs: { sql: string; direction: 'ASC' | 'DESC'; notNull?: boolean }[] = [];
  let from = 'runs r';
  if (join) {
    from = `runs r JOIN metric_summaries sk ON sk.run_id = r.id AND sk.key_id = ${params.add(join.keyId)}`;
    for (const compare of join.moved) where.push(`(${metricComparison(compare, params, 'sk')})`);
  }
  order.forEach((key, k) => {
    if (k === 0 && join) exprs.push({ sql: 'sk.last_value', direction: key.direction, notNull: true });
    else for (const expr of fieldSortExpressions(key.field, params, 'r', scope.keyIds)) exprs.push({ sql: expr, direction: key.direction });
  });
  if (after) {
    if (after.values.length !== exprs.length) throw new RangeError('cursor does not match orderBy');
    const alternatives: string[] = [];
    const equalSoFar: string[] = [];
    exprs.forEach((expr, i) => {
      const v = after.values[i] ?? null;
      if (v !== null) {
        const op = expr.direction === 'ASC' ? '>' : '<';
        const p = params.add(v);
        // Redundant with the alternatives below, but a range the index scan can start from.
        if (i === 0 && expr.notNull && typeof v === 'number') where.push(`${expr.sql} ${op}= ${p}`);
        alternatives.push([...equalSoFar, `((${expr.sql}) ${op} ${p} OR (${expr.sql}) IS NULL)`].join(' AND '));
        equalSoFar.push(`(${expr.sql}) = ${p}`);
      } else {
        equalSoFar.push(`(${expr.sql}) IS NULL`);
      }
    });
    alternatives.push([...equalSoFar, `r.id > ${params.add(after.id)}`].join(' AND '));
    where.push(`(${alternatives.map((a) => `(${a})`).join(' OR ')})`);
  }
  const sortColumns = exprs.map((e, i) => `${e.sql} AS s${i}`);
  const orderBy = [...exprs.map((e, i) => `s${i} ${e.direction}${e.notNull ? '' : ' NULLS LAST'}`), 'r.id ASC'];
  const rows = await sql.query<Record<string, unknown>>(
    `SELECT ${[RUN_COLUMNS, ...sortColumns].join(', ')} FROM ${from}
     WHERE ${where.join(' AND ')} ORDER BY ${orderBy.join(', ')} LIMIT ${params.add(limit)}`,
    params.values,
  );
  return {
    runs: rows as unknown as Run[],
    sortValues: rows.map((row) => exprs.map((_, i) => toSortValue(row[`s${i}`]))),
  };
}

export async function countRuns(sql: SqlQueryable, scope: RunScope): Promise<number> {
  const params = new SqlParams();
  const rows = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM runs r WHERE ${scopeWhere(scope, params)}`, params.values);
  return rows[0]?.n ?? 0;
}

export interface RunGroupRow {
  key: string | null;
  runCount: number;
  totalDurationSeconds: number;
  gpuHours: number;
  running: number;
  finished: number;
  failed: number;
  killed: number;
}

/** Run count, duration and GPU-hours per value of a field. A running run counts until now. */
export async function groupRuns(sql: SqlQueryable, scope: RunScope, groupBy: FieldRef, limit: number): Promise<RunGroupRow[]> {
  const params = new SqlParams();
  const where = scopeWhere(scope, params);
  const key = fieldValueExpression(groupBy, params, 'r');
  return sql.query<RunGroupRow>(
    `WITH g AS (
       SELECT (${key})::text AS key, r.status,
              EXTRACT(EPOCH FROM (coalesce(r.ended_at, now()) - r.started_at))::float8 AS seconds, r.gpu_count
       FROM runs r WHERE ${where})
     SELECT key, count(*)::int AS "runCount", coalesce(sum(seconds), 0)::float8 AS "totalDurationSeconds",
            coalesce(sum(seconds * gpu_count) / 3600.0, 0)::float8 AS "gpuHours",
            count(*) FILTER (WHERE status = 'RUNNING')::int AS running,
            count(*) FILTER (WHERE status = 'FINISHED')::int AS finished,
            count(*) FILTER (WHERE status = 'FAILED')::int AS failed,
            count(*) FILTER (WHERE status = 'KILLED')::int AS killed
     FROM g GROUP BY key ORDER BY "gpuHours" DESC, "runCount" DESC, key ASC NULLS LAST LIMIT ${params.add(limit)}`,
    params.values,
  );
}

export interface ParamValueRow {
  value: string;
  runCount: number;
  bestValue: number | null;
  bestRunId: number | null;
}

/** The values a param took among matching runs, with the best latest value of `metric` per value. */
export async function paramValueStats(
  sql: SqlQueryable,
  scope: RunScope,
  paramKey: string,
  metric: string | null,
  goal: 'MAXIMIZE' | 'MINIMIZE',
  limit: number,
): Promise<ParamValueRow[]> {
  const params = new SqlParams();
  const where = scopeWhere(scope, params);
  const keyParam = params.add(paramKey);
  const metricParam = params.add(metric);
  const direction = goal === 'MAXIMIZE' ? 'DESC' : 'ASC';
  // NaN sorts above every number in PostgreSQL, so it is excluded from "best".
  return sql.query<ParamValueRow>(
    `WITH v AS (
       SELECT p.value, r.id AS run_id,
              (SELECT ms.last_value FROM metric_summaries ms JOIN metric_keys mk ON mk.id = ms.key_id
                WHERE ms.run_id = r.id AND mk.name = ${metricParam} AND ms.last_value <> 'NaN') AS metric
       FROM runs r JOIN params p ON p.run_id = r.id AND p.key = ${keyParam}
       WHERE ${where})
     SELECT value, count(*)::int AS "runCount",
            (array_agg(metric ORDER BY metric ${direction}, run_id) FILTER (WHERE metric IS NOT NULL))[1] AS "bestValue",
            (array_agg(run_id ORDER BY metric ${direction}, run_id) FILTER (WHERE metric IS NOT NULL))[1] AS "bestRunId"
     FROM v GROUP BY value
     ORDER BY CASE WHEN value ~ '^\\s*[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?\\s*$' THEN value::float8 END ASC NULLS LAST, value ASC
     LIMIT ${params.add(limit)}`,
    params.values,
  );
}

/** Ids of the first `limit` live children (by id, after `afterId`) of each parent. */
export async function childRunIds(sql: SqlQueryable, parentIds: readonly number[], afterId: number | null, limit: number): Promise<number[]> {
  const rows = await sql.query<{ id: number }>(
    `SELECT id FROM (
       SELECT id, row_number() OVER (PARTITION BY parent_id ORDER BY id) AS n FROM runs
       WHERE parent_id = ANY($1::int[]) AND deleted_at IS NULL AND id > $2) c
     WHERE n <= $3`,
    [parentIds, afterId ?? 0, limit],
  );
  return rows.map((r) => r.id);
}

export interface RunKeyRow {
  kind: 'metric' | 'param' | 'tag';
  key: string;
}

/**
 * The metric, param and tag keys of a project's `limit` most recent active runs (by start),
 * by kind and name. Bounded by the runs it reads, so it costs the same at 100,000 runs.
 */
export async function recentRunKeys(sql: SqlQueryable, projectId: number, limit: number): Promise<RunKeyRow[]> {
  return sql.query<RunKeyRow>(
    `WITH recent AS (SELECT id FROM runs WHERE project_id = $1 AND deleted_at IS NULL ORDER BY started_at DESC LIMIT $2)
     SELECT 'metric' AS kind, k.name AS key FROM metric_keys k
       WHERE k.id IN (SELECT DISTINCT key_id FROM metric_summaries WHERE run_id IN (SELECT id FROM recent))
     UNION ALL SELECT DISTINCT 'param', key FROM params WHERE run_id IN (SELECT id FROM recent)
     UNION ALL SELECT DISTINCT 'tag', key FROM tags WHERE run_id IN (SELECT id FROM recent)
     ORDER BY 1, 2`,
    [projectId, limit],
  );
}
