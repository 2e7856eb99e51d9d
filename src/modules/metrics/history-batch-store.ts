// Reads many metric series at once (a panel grid: 100 runs x 10 metrics), whole and
// downsampled, in a fixed number of statements however many series: their summaries, the raw
// points of the short ones, and the rollup buckets of the long ones, each one query returning
// one row of arrays per series (times as epoch milliseconds), so a grid's 250,000 points cost
// a few thousand values to parse per series rather than a row and a Date per point.
import type { Sql, SqlQueryable } from '../../db/sql.js';
import { finerLevel, readHistory } from './history.js';
import { foldSeries, ROLLUP_LEVELS } from './rollup-store.js';
import type { MetricSeries, SeriesColumns } from './service.js';

export interface SeriesRef {
  runId: number;
  keyId: number | null;
  key: string;
}

type Plan = { ref: SeriesRef; count: number } & ({ kind: 'empty' } | { kind: 'raw' } | { kind: 'rollup'; level: number; merge: number } | { kind: 'single' });

const bucketOf = (step: number, width: number) => Math.floor(step / width);

/** A series held as parallel lists; `points` are made only when a reader asks for objects. */
export class ColumnSeries implements MetricSeries {
  constructor(
    readonly runId: number,
    readonly key: string,
    readonly totalPoints: number,
    readonly sampled: boolean,
    readonly bucketSteps: number | null,
    readonly columns: SeriesColumns,
  ) {}

  get points() {
    const { steps, values, times } = this.columns;
    // A read without times (see readHistories' `times`) is made only for a selection without them.
    if (times.length !== steps.length) throw new Error(`the series ${this.runId}:${this.key} was read without its times`);
    return steps.map((step, i) => ({ step, value: values[i]!, timestamp: new Date(times[i]!) }));
  }
}

// date_part gives a double; extract() a numeric, which cost PostgreSQL more than the rest of the read.
// Whole milliseconds as an integer: its text is exact whatever extra_float_digits says.
const ms = (column: string) => `(date_part('epoch', ${column}) * 1000)::int8`;

/**
 * A column of numbers as one comma-separated text (NULL as "null"): several times cheaper to
 * read than the driver's array parser, which was most of the read's own time.
 */
const list = (expression: string) => `array_to_string(array_agg(${expression}), ',', 'null')`;

/**
 * The numbers of a `list` column. Read as a JSON array, V8's fastest number parser (a third
 * of the time of splitting and converting each, the larger part of a panel grid read); a
 * column holding NaN or an infinity, which JSON lacks, is split instead.
 */
export function numbers(text: string | null): (number | null)[] {
  if (!text) return [];
  if (!text.includes('N') && !text.includes('I')) return JSON.parse(`[${text}]`) as (number | null)[];
  return text.split(',').map((v) => (v === 'null' ? null : Number(v)));
}

/**
 * The indexes of `keys` in ascending order. The arrays come from a subquery sorted that way,
 * which PostgreSQL keeps in practice but does not promise: checked, and sorted when not.
 */
function ascending(keys: readonly (number | null)[], tie?: readonly (number | null)[]): number[] | null {
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i += 1) {
    const d = (keys[i] ?? 0) - (keys[i - 1] ?? 0);
    sorted = d > 0 || (d === 0 && (tie?.[i] ?? 0) >= (tie?.[i - 1] ?? 0));
  }
  if (sorted) return null;
  return keys.map((_, i) => i).sort((a, b) => (keys[a] ?? 0) - (keys[b] ?? 0) || (tie?.[a] ?? 0) - (tie?.[b] ?? 0));
}

const permute = <T>(xs: T[], order: number[] | null): T[] => (order ? order.map((i) => xs[i]!) : xs);

/**
 * Every `merge` consecutive buckets (aligned on their index) as one, the lower low and the
 * higher high, as readHistory's mergeBuckets makes them (the first bucket's point on a tie).
 */
function mergeRollups(row: RollupRow, merge: number): RollupRow {
  if (merge === 1) return row;
  const out: RollupRow = { ...row, buckets: [], minSteps: [], minValues: [], minTimes: [], maxSteps: [], maxValues: [], maxTimes: [] };
  let group: number | null = null;
  for (let i = 0; i < row.buckets.length; i += 1) {
    const g = Math.floor(row.buckets[i]! / merge);
    const [minValue, maxValue] = [row.minValues[i] ?? null, row.maxValues[i] ?? null];
    if (g !== group || out.buckets.length === 0) {
      group = g;
      out.buckets.push(g);
      out.minSteps.push(row.minSteps[i] ?? null);
      out.minValues.push(minValue);
      out.minTimes.push(row.minTimes[i] ?? null);
      out.maxSteps.push(row.maxSteps[i] ?? null);
      out.maxValues.push(maxValue);
      out.maxTimes.push(row.maxTimes[i] ?? null);
      continue;
    }
    const at = out.buckets.length - 1;
    const intoMin = out.minValues[at] ?? null;
    if (minValue !== null && (intoMin === null || minValue < intoMin)) {
      out.minValues[at] = minValue;
      out.minSteps[at] = row.minSteps[i] ?? null;
      out.minTimes[at] = row.minTimes[i] ?? null;
    }
    const intoMax = out.maxValues[at] ?? null;
    if (maxValue !== null && (intoMax === null || maxValue > intoMax)) {
      out.maxValues[at] = maxValue;
      out.maxSteps[at] = row.maxSteps[i] ?? null;
      out.maxTimes[at] = row.maxTimes[i] ?? null;
    }
  }
  return out;
}

/**
 * Each bucket's lowest and highest point in step order (one point when they are the same), as
 * readHistory gives them; without times when `read` has none (a point's time then orders
 * nothing: two extremes at one step are one point, as they are when their times are equal).
 */
function bucketColumns(read: RollupRow, merge: number, withTimes: boolean): SeriesColumns {
  const order = ascending(read.buckets);
  const sorted = order
    ? (Object.fromEntries(Object.entries(read).map(([k, v]) => [k, Array.isArray(v) ? permute(v, order) : v])) as unknown as RollupRow)
    : read;
  const r = mergeRollups(sorted, merge);
  const out: SeriesColumns = { steps: [], values: [], times: [] };
  const push = (step: number, value: number, time: number) => {
    out.steps.push(step);
    out.values.push(value);
    if (withTimes) out.times.push(time);
  };
  for (let i = 0; i < r.minSteps.length; i += 1) {
    const [ls, lv, lt] = [r.minSteps[i], r.minValues[i], withTimes ? r.minTimes[i] : 0];
    if (ls === null || ls === undefined || lv === null || lv === undefined || lt === null || lt === undefined) continue;
    const [hs, hv, ht] = [r.maxSteps[i], r.maxValues[i], withTimes ? r.maxTimes[i] : 0];
    if (hs === null || hs === undefined || hv === null || hv === undefined || ht === null || ht === undefined || (ls === hs && lt === ht)) {
      push(ls, lv, lt);
    } else if (ls < hs || (ls === hs && lt < ht)) {
      push(ls, lv, lt);
      push(hs, hv, ht);
    } else {
      push(hs, hv, ht);
      push(ls, lv, lt);
    }
  }
  return out;
}

interface RollupRow {
  runId: number;
  keyId: number;
  buckets: number[];
  minSteps: (number | null)[];
  minValues: (number | null)[];
  minTimes: (number | null)[];
  maxSteps: (number | null)[];
  maxValues: (number | null)[];
  maxTimes: (number | null)[];
}

export interface HistoriesOptions {
  /** Rounds values to this many significant digits (PostgreSQL writes them so, which also makes the text it sends shorter). */
  significantDigits?: number | null;
  /**
   * False reads no times: the series then have steps and values only (their `points` throw),
   * for a reader that shows none, at five columns of a bucket read instead of seven. Default true.
   */
  times?: boolean;
}

/** Each series as readHistory would return it without a step range, in the order given. */
export async function readHistories(sql: Sql, refs: readonly SeriesRef[], maxPoints: number, options: HistoriesOptions = {}): Promise<MetricSeries[]> {
  const significantDigits = options.significantDigits ?? null;
  const withTimes = options.times ?? true;
  const known = refs.filter((r): r is SeriesRef & { keyId: number } => r.keyId !== null);
  const bounds = new Map<string, { first: number; last: number; count: number }>();
  if (known.length) {
    const rows = await sql.query<{ runId: number; keyId: number; first: number; last: number; count: number }>(
      `SELECT s.run_id AS "runId", s.key_id AS "keyId", s.first_step AS first, s.last_step AS last, s.count
       FROM metric_summaries s JOIN unnest($1::int[], $2::int[]) AS w(run_id, key_id) ON s.run_id = w.run_id AND s.key_id = w.key_id`,
      [known.map((r) => r.runId), known.map((r) => r.keyId)],
    );
    for (const r of rows) bounds.set(`${r.runId}:${r.keyId}`, { first: Number(r.first), last: Number(r.last), count: Number(r.count) });
  }
  const budget = Math.floor(maxPoints / 2);
  const plans: Plan[] = refs.map((ref) => {
    const b = ref.keyId === null ? undefined : bounds.get(`${ref.runId}:${ref.keyId}`);
    if (!b || b.count === 0) return { ref, count: 0, kind: 'empty' };
    if (b.count <= maxPoints) return { ref, count: b.count, kind: 'raw' };
    const level = ROLLUP_LEVELS.find((l) => bucketOf(b.last, 4 ** l) - bucketOf(b.first, 4 ** l) + 1 <= budget);
    // Longer than the coarsest rollup fits: the single-series read scans it.
    if (level === undefined) return { ref, count: b.count, kind: 'single' };
    // The level below, its buckets merged in groups, exactly as readHistory reads it.
    const { readLevel, merge } = finerLevel(level, b.first, b.last, budget);
    return { ref, count: b.count, kind: 'rollup', level: readLevel, merge };
  });

  const rolled = plans.filter((p): p is Plan & { kind: 'rollup'; level: number; merge: number } => p.kind === 'rollup');
  // Rollups cover folded points only: fold the queued points of these series first.
  if (rolled.length) {
    const pending = await sql.query<{ runId: number; keyId: number }>(
      `SELECT DISTINCT q.run_id AS "runId", q.key_id AS "keyId" FROM metric_rollup_pending q
       JOIN unnest($1::int[], $2::int[]) AS w(run_id, key_id) ON q.run_id = w.run_id AND q.key_id = w.key_id`,
      [rolled.map((p) => p.ref.runId), rolled.map((p) => p.ref.keyId)],
    );
    for (const p of pending) await foldSeries(sql, p.runId, p.keyId);
  }

  const columns = new Map<string, SeriesColumns>();
  const keyOf = (runId: number, keyId: number) => `${runId}:${keyId}`;
  const raw = plans.filter((p) => p.kind === 'raw');
  const read = (q: SqlQueryable) => readColumns(q, raw, rolled, columns, keyOf, withTimes);
  if (significantDigits === null) await read(sql);
  else {
    // float8 text with DBL_DIG + extra_float_digits significant digits (15 + (-9) = 6).
    await sql.transaction(async (tx) => {
      await tx.query(`SET LOCAL extra_float_digits = ${Math.trunc(significantDigits) - 15}`);
      await read(tx);
    });
  }

  return Promise.all(
    plans.map(async (p): Promise<MetricSeries> => {
      const { runId, key } = p.ref;
      if (p.kind === 'empty') return new ColumnSeries(runId, key, 0, false, null, { steps: [], values: [], times: [] });
      if (p.kind === 'single') {
        const single = await readHistory(sql, { runId, keyId: p.ref.keyId!, key, maxPoints, fromStep: null, toStep: null });
        return significantDigits === null ? single : roundedSeries(single, significantDigits);
      }
      const found = columns.get(keyOf(runId, p.ref.keyId!)) ?? { steps: [], values: [], times: [] };
      return new ColumnSeries(runId, key, p.count, p.kind === 'rollup', p.kind === 'rollup' ? 4 ** p.level * p.merge : null, found);
    }),
  );
}

/** The values of a series read whole by readHistory, rounded as PostgreSQL rounds the others. */
function roundedSeries(s: MetricSeries, digits: number): MetricSeries {
  const round = (v: number) => (Number.isFinite(v) && v !== 0 ? Number(v.toPrecision(digits)) : v);
  return new ColumnSeries(s.runId, s.key, s.totalPoints, s.sampled, s.bucketSteps, {
    steps: s.points.map((p) => p.step),
    values: s.points.map((p) => round(p.value)),
    times: s.points.map((p) => p.timestamp.getTime()),
  });
}

/** The raw points of the short series and the rollup buckets of the long ones, one statement each. */
async function readColumns(
  sql: SqlQueryable,
  raw: readonly Plan[],
  rolled: readonly (Plan & { level: number; merge: number })[],
  columns: Map<string, SeriesColumns>,
  keyOf: (runId: number, keyId: number) => string,
  withTimes: boolean,
): Promise<void> {
  const time = (column: string) => (withTimes ? list(ms(column)) : 'NULL');
  if (raw.length) {
    const rows = await sql.query<{ runId: number; keyId: number; steps: string | null; values: string | null; times: string | null }>(
      `SELECT w.run_id AS "runId", w.key_id AS "keyId", p.steps, p.values, p.times
       FROM unnest($1::int[], $2::int[]) AS w(run_id, key_id)
       CROSS JOIN LATERAL (
         SELECT ${list('step')} AS steps, ${list('value')} AS values, ${time('ts')} AS times
         FROM (SELECT step, ts, value FROM metric_points WHERE run_id = w.run_id AND key_id = w.key_id ORDER BY step, ts) o) p`,
      [raw.map((p) => p.ref.runId), raw.map((p) => p.ref.keyId)],
    );
    for (const r of rows) {
      const [steps, values, times] = [numbers(r.steps) as number[], numbers(r.values) as number[], numbers(r.times) as number[]];
      // Without times, points at one step keep the order PostgreSQL gave them (step, then time).
      const order = ascending(steps, withTimes ? times : undefined);
      columns.set(keyOf(r.runId, r.keyId), { steps: permute(steps, order), values: permute(values, order), times: withTimes ? permute(times, order) : [] });
    }
  }
  if (rolled.length) {
    const rows = await sql.query<Record<keyof RollupRow, string | number | null>>(
      `SELECT w.run_id AS "runId", w.key_id AS "keyId", b.*
       FROM unnest($1::int[], $2::int[], $3::int[]) AS w(run_id, key_id, level)
       CROSS JOIN LATERAL (
         SELECT ${list('bucket')} AS buckets,
                ${list('min_step')} AS "minSteps", ${list('min_value')} AS "minValues", ${time('min_ts')} AS "minTimes",
                ${list('max_step')} AS "maxSteps", ${list('max_value')} AS "maxValues", ${time('max_ts')} AS "maxTimes"
         FROM (SELECT * FROM metric_rollups WHERE run_id = w.run_id AND key_id = w.key_id AND level = w.level ORDER BY bucket) o) b`,
      [rolled.map((p) => p.ref.runId), rolled.map((p) => p.ref.keyId), rolled.map((p) => p.level)],
    );
    const mergeOf = new Map(rolled.map((p) => [keyOf(p.ref.runId, p.ref.keyId!), p.merge]));
    for (const r of rows) {
      if (r.buckets === null) continue;
      const field = (k: keyof RollupRow) => numbers(r[k] as string | null);
      const row: RollupRow = {
        runId: Number(r.runId),
        keyId: Number(r.keyId),
        buckets: field('buckets') as number[],
        minSteps: field('minSteps'),
        minValues: field('minValues'),
        minTimes: field('minTimes'),
        maxSteps: field('maxSteps'),
        maxValues: field('maxValues'),
        maxTimes: field('maxTimes'),
      };
      columns.set(keyOf(row.runId, row.keyId), bucketColumns(row, mergeOf.get(keyOf(row.runId, row.keyId)) ?? 1, withTimes));
    }
  }
}
