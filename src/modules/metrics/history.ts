// Reads a metric series at most maxPoints long. Long series come from the rollups: the
// finest level whose buckets fit, two points (lowest and highest) per bucket, so a 1M-point
// series costs a few hundred rows instead of a scan, and no spike is lost. Points still queued
// for the rollups are folded before the rollups are read.
import type { Sql } from '../../db/sql.js';
import { foldSeries, ROLLUP_LEVELS } from './rollup-store.js';
import type { MetricSeries } from './service.js';
import {
  allPoints,
  type BucketExtremes,
  countPoints,
  countPointsUpTo,
  rangeExtremes,
  rollupBuckets,
  scanExtremes,
  seriesBounds,
  summaryCount,
} from './store.js';

interface HistoryQuery {
  runId: number;
  keyId: number;
  key: string;
  maxPoints: number;
  fromStep: number | null;
  toStep: number | null;
}

type Point = MetricSeries['points'][number];

export function extremesToPoints(part: BucketExtremes): Point[] {
  if (part.minStep === null || part.minValue === null || !part.minTs) return [];
  const low = { step: part.minStep, timestamp: part.minTs, value: part.minValue };
  if (part.maxStep === null || part.maxValue === null || !part.maxTs) return [low];
  const high = { step: part.maxStep, timestamp: part.maxTs, value: part.maxValue };
  if (low.step === high.step && low.timestamp.getTime() === high.timestamp.getTime()) return [low];
  return low.step < high.step || (low.step === high.step && low.timestamp < high.timestamp) ? [low, high] : [high, low];
}

const bucketOf = (step: number, width: number) => Math.floor(step / width);

/** The rollup level to read and how many of its buckets make one answered bucket (see readHistory). */
export function finerLevel(level: number | undefined, lo: number, hi: number, budget: number): { readLevel: number; merge: number } {
  if (level === undefined || level === ROLLUP_LEVELS[0]) return { readLevel: level ?? 0, merge: 1 };
  const fine = level - 1;
  const buckets = bucketOf(hi, 4 ** fine) - bucketOf(lo, 4 ** fine) + 1;
  const merge = Math.ceil(buckets / budget);
  // Four buckets of the level below merged are the buckets of `level` itself: read those, a
  // quarter of the rows (a panel grid's read was 625 rows a series instead of 157).
  return merge >= 4 ? { readLevel: level, merge: 1 } : { readLevel: fine, merge };
}

/** Every `merge` consecutive buckets (aligned on their index) as one: the lower low and the higher high, counts summed. */
function mergeBuckets(rows: readonly (BucketExtremes & { bucket: number })[], merge: number): BucketExtremes[] {
  if (merge === 1) return [...rows];
  const merged: BucketExtremes[] = [];
  let group: number | null = null;
  for (const row of rows) {
    const g = Math.floor(Number(row.bucket) / merge);
    if (g !== group || merged.length === 0) {
      merged.push({ ...row });
      group = g;
      continue;
    }
    const into = merged[merged.length - 1]!;
    into.count = Number(into.count) + Number(row.count);
    if (row.minValue !== null && (into.minValue === null || row.minValue < into.minValue)) {
      into.minValue = row.minValue;
      into.minStep = row.minStep;
      into.minTs = row.minTs;
    }
    if (row.maxValue !== null && (into.maxValue === null || row.maxValue > into.maxValue)) {
      into.maxValue = row.maxValue;
      into.maxStep = row.maxStep;
      into.maxTs = row.maxTs;
    }
  }
  return merged;
}

export async function readHistory(sql: Sql, q: HistoryQuery): Promise<MetricSeries> {
  const series = (totalPoints: number, sampled: boolean, bucketSteps: number | null, points: Point[]): MetricSeries => ({
    runId: q.runId,
    key: q.key,
    totalPoints,
    sampled,
    bucketSteps,
    points,
  });
  const bounds = await seriesBounds(sql, q.runId, q.keyId);
  if (!bounds) return series(0, false, null, []);
  const lo = Math.max(q.fromStep ?? bounds.first, bounds.first);
  const hi = Math.min(q.toStep ?? bounds.last, bounds.last);
  if (lo > hi) return series(0, false, null, []);
  const range = { runId: q.runId, keyId: q.keyId, fromStep: lo, toStep: hi };
  // The whole series needs no edge handling: no point lies outside its first and last step.
  const whole = lo === bounds.first && hi === bounds.last;

  const count = whole ? await summaryCount(sql, q.runId, q.keyId) : await countPointsUpTo(sql, range, q.maxPoints + 1);
  if (count <= q.maxPoints) {
    const rows = await allPoints(sql, range);
    return series(
      whole ? count : rows.length,
      false,
      null,
      rows.map((r) => ({ step: r.step, timestamp: r.ts, value: r.value })),
    );
  }

  const budget = Math.floor(q.maxPoints / 2);
  const level = ROLLUP_LEVELS.find((l) => bucketOf(hi, 4 ** l) - bucketOf(lo, 4 ** l) + 1 <= budget);
  // Levels are 4x apart, so the first that fits may use as little as a quarter of the budget:
  // read the level below instead and merge every `merge` of its buckets into one.
  const { readLevel, merge } = finerLevel(level, lo, hi, budget);
  const width = level === undefined ? 0 : 4 ** readLevel * merge;
  const firstFull = whole ? bucketOf(lo, width) : Math.ceil(lo / width);
  const lastFull = whole ? bucketOf(hi, width) : bucketOf(hi + 1, width) - 1;
  if (level === undefined || firstFull > lastFull) {
    const rows = await scanExtremes(sql, range, budget);
    return series(
      whole ? count : await countPoints(sql, range),
      true,
      null,
      rows.map((r) => ({ step: r.step, timestamp: r.ts, value: r.value })),
    );
  }

  // Rollups cover only folded points: fold this series' queued ones first, so no bucket misses a point.
  if (bounds.pending) await foldSeries(sql, q.runId, q.keyId);
  const parts: BucketExtremes[] = [];
  if (lo < firstFull * width) parts.push(await rangeExtremes(sql, q.runId, q.keyId, lo, firstFull * width - 1));
  parts.push(...mergeBuckets(await rollupBuckets(sql, q.runId, q.keyId, readLevel, firstFull * merge, (lastFull + 1) * merge - 1), merge));
  if ((lastFull + 1) * width <= hi) parts.push(await rangeExtremes(sql, q.runId, q.keyId, (lastFull + 1) * width, hi));
  const total = whole ? count : parts.reduce((sum, p) => sum + Number(p.count), 0);
  return series(total, true, width, parts.flatMap(extremesToPoints));
}
