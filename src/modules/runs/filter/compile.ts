// Compiles a parsed run filter to a parameterised PostgreSQL boolean expression over `runs r`.
// Every literal and every name goes through SqlParams; only fixed SQL text is ever spliced in.
//
// Semantics: a predicate on a metric, param or tag is an EXISTS over that key, so it is never
// NULL and only matches runs that have the key. Hence `metrics.x != 1` skips runs without x,
// while `not metrics.x = 1` (plain boolean negation) matches them. Predicates on nullable
// attributes are guarded the same way, so `not attributes.user = 'a'` matches runs with no user.
import { SqlParams } from '../../../db/sql.js';
import {
  ATTRIBUTE_TYPES,
  type AttributeName,
  type AttributeType,
  type CompareOp,
  type FieldRef,
  type FilterExpr,
  fieldLabel,
  type Literal,
  timestampMillis,
} from './parse.js';

export { SqlParams };

// Text that float8 input accepts without an overflow or underflow error (either would abort the
// whole query): at most 150 characters with an exponent below 100, or a mantissa of up to 9+20
// digits with an exponent below 300. Bounded repeats are slow in PostgreSQL's regex engine, so the
// cheap tests run first. [0-9] rather than \d, which also matches digits the cast rejects.
const NUMBER_SHAPE = '^ *[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)? *$';
const LONG_EXPONENT = '[eE][-+]?0*[0-9]{3}';
const SHORT_MANTISSA = '^ *[-+]?([0-9]{1,9}([.][0-9]{0,20})?|[.][0-9]{1,20})[eE][-+]?0*[12]?[0-9]{1,2} *$';

/** The value as float8 when it looks numeric, else NULL. CASE guarantees the cast never sees text. */
function numericOf(v: string): string {
  return (
    `(CASE WHEN length(${v}) <= 150 AND ${v} ~ '${NUMBER_SHAPE}' ` + `AND (${v} !~ '${LONG_EXPONENT}' OR ${v} ~ '${SHORT_MANTISSA}') THEN ${v}::float8 END)`
  );
}

const SQL_OP: Record<CompareOp, string> = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
const RESERVED_ALIASES = new Set(['ms', 'mk', 'kv', 'sk']);

interface AttributeColumn {
  sql: (r: string) => string;
  nullable: boolean;
}

const ATTRIBUTE_COLUMNS: Record<AttributeName, AttributeColumn> = {
  id: { sql: (r) => `${r}.id`, nullable: false },
  name: { sql: (r) => `${r}.name`, nullable: false },
  status: { sql: (r) => `${r}.status::text`, nullable: false },
  user: { sql: (r) => `${r}."user"`, nullable: true },
  started_at: { sql: (r) => `${r}.started_at`, nullable: false },
  ended_at: { sql: (r) => `${r}.ended_at`, nullable: true },
  // Running runs count until now; float8 so it compares and round-trips like a metric.
  duration: { sql: (r) => `EXTRACT(EPOCH FROM (coalesce(${r}.ended_at, now()) - ${r}.started_at))::float8`, nullable: false },
  group: { sql: (r) => `${r}.run_group`, nullable: true },
  notes: { sql: (r) => `${r}.notes`, nullable: true },
  parent_id: { sql: (r) => `${r}.parent_id`, nullable: true },
};

function checkAlias(runAlias: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(runAlias) || RESERVED_ALIASES.has(runAlias)) {
    throw new Error(`run alias ${JSON.stringify(runAlias)} is not a plain identifier or clashes with a subquery alias`);
  }
  return runAlias;
}

function attributeOf(field: FieldRef): { name: AttributeName; type: AttributeType; column: AttributeColumn } {
  const name = field.name as AttributeName;
  if (!(name in ATTRIBUTE_TYPES)) throw new Error(`unknown attribute ${JSON.stringify(field.name)}; parse it with parseFieldRef first`);
  return { name, type: ATTRIBUTE_TYPES[name], column: ATTRIBUTE_COLUMNS[name] };
}

function numberOf(field: FieldRef, literal: Literal): number {
  if (literal.kind !== 'number') throw new Error(`${fieldLabel(field)} compares numbers, got a string`);
  return literal.value;
}

function split(values: Literal[]): { numbers: number[]; strings: string[] } {
  const numbers: number[] = [];
  const strings: string[] = [];
  for (const v of values) {
    if (v.kind === 'number') numbers.push(v.value);
    else strings.push(v.value);
  }
  return { numbers, strings };
}

/** `x = ANY(...)` for IN; `x <> ALL(...)` for NOT IN, which needs every list to reject the value. */
function membership(parts: { sql: string; values: unknown[]; type: string }[], negated: boolean, params: SqlParams): string {
  const present = parts.filter((p) => p.values.length > 0);
  const tests = present.map((p) => `${p.sql} ${negated ? '<> ALL' : '= ANY'}(${params.add(p.values)}::${p.type}[])`);
  return tests.length === 1 ? tests[0]! : `(${tests.join(negated ? ' AND ' : ' OR ')})`;
}

function likeOp(expr: { negated: boolean; caseInsensitive: boolean }): string {
  return `${expr.negated ? 'NOT ' : ''}${expr.caseInsensitive ? 'ILIKE' : 'LIKE'}`;
}

type Predicate = Exclude<FilterExpr, { type: 'and' | 'or' | 'not' }>;

/**
 * Metric key ids by name, resolved before compiling: `ms.key_id = $n` lets the planner use the
 * statistics and indexes of metric_summaries for that key. A name missing from the map is
 * matched by name through metric_keys, which gives the same answer.
 */
export type MetricKeyIds = ReadonlyMap<string, number>;

/** The metric_summaries rows of one metric for run `r`, as a FROM ... WHERE clause. */
function metricFrom(name: string, params: SqlParams, r: string, keyIds: MetricKeyIds | undefined): string {
  const keyId = keyIds?.get(name);
  if (keyId !== undefined) return `FROM metric_summaries ms WHERE ms.run_id = ${r}.id AND ms.key_id = ${params.add(keyId)}`;
  return `FROM metric_summaries ms JOIN metric_keys mk ON mk.id = ms.key_id WHERE ms.run_id = ${r}.id AND mk.name = ${params.add(name)}`;
}

/**
 * The condition `expr` (an ordering comparison on a metric) puts on that metric's summary row
 * `ms`. PostgreSQL orders NaN above every number; IEEE says NaN is neither above nor below
 * anything, which is what a user asking for `loss < 1` means.
 */
export function metricComparison(expr: Extract<FilterExpr, { type: 'compare' }>, params: SqlParams, ms: string): string {
  const value = numberOf(expr.field, expr.value);
  const ordering = expr.op !== '=' && expr.op !== '!=' ? ` AND ${ms}.last_value <> 'NaN'::float8` : '';
  return `${ms}.last_value ${SQL_OP[expr.op]} ${params.add(value)}::float8${ordering}`;
}

function metricPredicate(expr: Predicate, params: SqlParams, r: string, keyIds: MetricKeyIds | undefined): string {
  const from = `SELECT 1 ${metricFrom(expr.field.name, params, r, keyIds)}`;
  switch (expr.type) {
    case 'null':
      return `${expr.negated ? '' : 'NOT '}EXISTS (${from})`;
    case 'compare':
      return `EXISTS (${from} AND ${metricComparison(expr, params, 'ms')})`;
    case 'in': {
      const values = expr.values.map((v) => numberOf(expr.field, v));
      return `EXISTS (${from} AND ${membership([{ sql: 'ms.last_value', values, type: 'float8' }], expr.negated, params)})`;
    }
    case 'like':
      throw new Error(`${fieldLabel(expr.field)} is numeric and cannot be matched with LIKE`);
  }
}

function keyValuePredicate(expr: Predicate, params: SqlParams, r: string): string {
  const table = expr.field.kind === 'param' ? 'params' : 'tags';
  const from = `SELECT 1 FROM ${table} kv WHERE kv.run_id = ${r}.id AND kv.key = ${params.add(expr.field.name)}`;
  let condition: string;
  switch (expr.type) {
    case 'null':
      return `${expr.negated ? '' : 'NOT '}EXISTS (${from})`;
    case 'compare':
      // A number compares numerically and only with values that look like numbers.
      condition =
        expr.value.kind === 'number'
          ? `${numericOf('kv.value')} ${SQL_OP[expr.op]} ${params.add(expr.value.value)}::float8`
          : `kv.value ${SQL_OP[expr.op]} ${params.add(expr.value.value)}::text`;
      break;
    case 'in': {
      const { numbers, strings } = split(expr.values);
      condition = membership(
        [
          { sql: 'kv.value', values: strings, type: 'text' },
          { sql: numericOf('kv.value'), values: numbers, type: 'float8' },
        ],
        expr.negated,
        params,
      );
      break;
    }
    case 'like':
      condition = `kv.value ${likeOp(expr)} ${params.add(expr.pattern)}::text`;
      break;
  }
  return `EXISTS (${from} AND ${condition})`;
}

/** The bind value and cast for a literal on an attribute of the given type. */
function attributeValue(type: AttributeType, literal: Literal): { value: unknown; cast: string } {
  if (type === 'time') return { value: new Date(timestampMillis(literal)).toISOString(), cast: 'timestamptz' };
  if (literal.kind === 'string') return { value: literal.value, cast: 'text' };
  // int8 keeps id and parent_id comparisons on their btree indexes.
  if (type === 'id') return { value: literal.value, cast: Number.isSafeInteger(literal.value) ? 'int8' : 'float8' };
  if (type === 'number') return { value: literal.value, cast: 'float8' };
  throw new Error(`attribute of type ${type} compares strings, got a number`);
}

function attributePredicate(expr: Predicate, params: SqlParams, r: string): string {
  const { name, type, column } = attributeOf(expr.field);
  // parent_id is an integer column too: cast its literals like id's.
  const valueType: AttributeType = name === 'parent_id' ? 'id' : type;
  const col = column.sql(r);
  let condition: string;
  switch (expr.type) {
    case 'null':
      return `(${col} IS ${expr.negated ? 'NOT ' : ''}NULL)`;
    case 'compare': {
      const { value, cast } = attributeValue(valueType, expr.value);
      // A quoted id is opaque: compare it as text rather than risk a cast error.
      const lhs = cast === 'text' && valueType === 'id' ? `${col}::text` : col;
      condition = `${lhs} ${SQL_OP[expr.op]} ${params.add(value)}::${cast}`;
      break;
    }
    case 'in': {
      const groups = new Map<string, unknown[]>();
      for (const literal of expr.values) {
        const { value, cast } = attributeValue(valueType, literal);
        groups.set(cast, [...(groups.get(cast) ?? []), value]);
      }
      // Mixed int8 and float8 literals: compare all of them as float8.
      if (groups.has('int8') && groups.has('float8')) {
        groups.set('float8', [...groups.get('float8')!, ...groups.get('int8')!]);
        groups.delete('int8');
      }
      const parts = [...groups].map(([cast, values]) => ({
        sql: cast === 'text' && valueType === 'id' ? `${col}::text` : col,
        values,
        type: cast,
      }));
      condition = membership(parts, expr.negated, params);
      break;
    }
    case 'like':
      if (type !== 'string' && type !== 'status') throw new Error(`${fieldLabel(expr.field)} cannot be matched with LIKE`);
      condition = `${col} ${likeOp(expr)} ${params.add(expr.pattern)}::text`;
      break;
  }
  return column.nullable ? `(${condition} AND ${col} IS NOT NULL)` : `(${condition})`;
}

/** A SQL boolean expression (never NULL) for `expr`, reading the run from `runAlias`. */
export function compileFilter(expr: FilterExpr, params: SqlParams, runAlias = 'r', keyIds?: MetricKeyIds): string {
  const r = checkAlias(runAlias);
  const compile = (e: FilterExpr): string => {
    switch (e.type) {
      case 'and':
      case 'or':
        return `(${e.items.map(compile).join(e.type === 'and' ? ' AND ' : ' OR ')})`;
      case 'not':
        return `(NOT ${compile(e.item)})`;
      default:
        if (e.field.kind === 'metric') return metricPredicate(e, params, r, keyIds);
        if (e.field.kind === 'attribute') return attributePredicate(e, params, r);
        return keyValuePredicate(e, params, r);
    }
  };
  return compile(expr);
}

function metricValue(name: string, params: SqlParams, r: string, keyIds?: MetricKeyIds): string {
  return `(SELECT ms.last_value ${metricFrom(name, params, r, keyIds)})`;
}

function keyValueFrom(field: FieldRef, key: string, r: string): string {
  return `FROM ${field.kind === 'param' ? 'params' : 'tags'} kv WHERE kv.run_id = ${r}.id AND kv.key = ${key}`;
}

/**
 * Deterministic scalar expressions to ORDER BY (and compare in keyset cursors) for a field.
 * Params and tags give two: the numeric value (NULL unless it looks numeric), then the text,
 * so numeric values sort numerically and the rest alphabetically after them.
 */
export function fieldSortExpressions(field: FieldRef, params: SqlParams, runAlias = 'r', keyIds?: MetricKeyIds): string[] {
  const r = checkAlias(runAlias);
  // NaN sorts with the missing values, last, rather than above every number as PostgreSQL would.
  if (field.kind === 'metric') return [`NULLIF(${metricValue(field.name, params, r, keyIds)}, 'NaN'::float8)`];
  if (field.kind === 'attribute') return [attributeOf(field).column.sql(r)];
  const key = params.add(field.name);
  const from = keyValueFrom(field, key, r);
  return [`(SELECT ${numericOf('kv.value')} ${from})`, `(SELECT kv.value ${from})`];
}

/** One scalar per run to group by: text for params, tags and attributes, float8 for metrics. */
export function fieldValueExpression(field: FieldRef, params: SqlParams, runAlias = 'r'): string {
  const r = checkAlias(runAlias);
  if (field.kind === 'metric') return metricValue(field.name, params, r);
  if (field.kind !== 'attribute') return `(SELECT kv.value ${keyValueFrom(field, params.add(field.name), r)})`;
  const { type, column } = attributeOf(field);
  const col = column.sql(r);
  // ISO-8601 in UTC, independent of the session's DateStyle and TimeZone.
  if (type === 'time') return `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  return type === 'string' || type === 'status' ? col : `(${col})::text`;
}
