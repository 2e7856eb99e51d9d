// Reads many metric series at once (a panel grid: 100 runs x 10 metrics), whole and
// downsampled, in a fixed number of statements however many series: their summaries, the raw
// points of the short ones, and the rollup buckets of the long ones, each one query.
import type { Sql } from '../../db/sql.js';
import { extremesToPoints, readHistory } from './history.js';
import { foldSeries, ROLLUP_LEVELS } from './rollups.js';
import type { MetricSeries } from './service.js';
import type { BucketExtremes } from './store.js';

export interface SeriesRef {
  runId: number;
  keyId: number | null;
  key: string;
}

type Plan = { ref: SeriesRef; count: number } & ({ kind: 'empty' } | { kind: 'raw' } | { kind: 'rollup'; level: number } | { kind: 'single' });

const bucketOf = (step: number, width: number) => Math.floor(step / width);

/** Each series as readHistory would return it without a step range, in the order given. */
export async function readHistories(sql: Sql, refs: readonly SeriesRef[], maxPoints: number): Promise<MetricSeries[]> {
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
    return level === undefined ? { ref, count: b.count, kind: 'single' } : { ref, count: b.count, kind: 'rollup', level };
  });

  const rolled = plans.filter((p) => p.kind === 'rollup');
  // Rollups cover folded points only: fold the queued points of these series first.
  if (rolled.length) {
    const pending = await sql.query<{ runId: number; keyId: number }>(
      `SELECT DISTINCT q.run_id AS "runId", q.key_id AS "keyId" FROM metric_rollup_pending q
       JOIN unnest($1::int[], $2::int[]) AS w(run_id, key_id) ON q.run_id = w.run_id AND q.key_id = w.key_id`,
      [rolled.map((p) => p.ref.runId), rolled.map((p) => p.ref.keyId)],
    );
    for (const p of pending) await foldSeries(sql, p.runId, p.keyId);
  }

  const points = new Map<string, MetricSeries['points']>();
  const keyOf = (runId: number, keyId: number) => `${runId}:${keyId}`;
  const raw = plans.filter((p) => p.kind === 'raw');
  if (raw.length) {
    const rows = await sql.query<{ runId: number; keyId: number; step: number; ms: number; value: number }>(
      `SELECT p.run_id AS "runId", p.key_id AS "keyId", p.step, (extract(epoch FROM p.ts) * 1000)::float8 AS ms, p.value
       FROM metric_points p JOIN unnest($1::int[], $2::int[]) AS w(run_id, key_id) ON p.run_id = w.run_id AND p.key_id = w.key_id
       ORDER BY p.run_id, p.key_id, p.step, p.ts`,
      [raw.map((p) => p.ref.runId), raw.map((p) => p.ref.keyId)],
    );
    for (const r of rows) push(points, keyOf(r.runId, r.keyId), { step: Number(r.step), timestamp: new Date(r.ms), value: r.value });
  }
  if (rolled.length) {
    const rows = await sql.query<BucketExtremes & { runId: number; keyId: number }>(
      `SELECT r.run_id AS "runId", r.key_id AS "keyId", r.count, r.min_value AS "minValue", r.min_step AS "minStep", r.min_ts AS "minTs",
              r.max_value AS "maxValue", r.max_step AS "maxStep", r.max_ts AS "maxTs"
       FROM metric_rollups r JOIN unnest($1::int[], $2::int[], $3::int[]) AS w(run_id, key_id, level)
         ON r.run_id = w.run_id AND r.key_id = w.key_id AND r.level = w.level
       ORDER BY r.run_id, r.key_id, r.bucket`,
      [rolled.map((p) => p.ref.runId), rolled.map((p) => p.ref.keyId), rolled.map((p) => (p as { level: number }).level)],
    );
    for (const r of rows) {
      const list = points.get(keyOf(r.runId, r.keyId)) ?? [];
      list.push(...extremesToPoints({ ...r, minStep: r.minStep === null ? null : Number(r.minStep), maxStep: r.maxStep === null ? null : Number(r.maxStep) }));
      points.set(keyOf(r.runId, r.keyId), list);
    }
  }

  return Promise.all(
    plans.map(async (p): Promise<MetricSeries> => {
      const base = { runId: p.ref.runId, key: p.ref.key };
      if (p.kind === 'empty') return { ...base, totalPoints: 0, sampled: false, bucketSteps: null, points: [] };
      if (p.kind === 'single') {
        return readHistory(sql, { runId: p.ref.runId, keyId: p.ref.keyId!, key: p.ref.key, maxPoints, fromStep: null, toStep: null });
      }
      const list = points.get(keyOf(p.ref.runId, p.ref.keyId!)) ?? [];
      return { ...base, totalPoints: p.count, sampled: p.kind === 'rollup', bucketSteps: p.kind === 'rollup' ? 4 ** p.level : null, points: list };
    }),
  );
}

function push<T>(map: Map<string, T[]>, key: string, item: T) {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}
