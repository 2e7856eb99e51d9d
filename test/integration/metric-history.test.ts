// metricHistory downsamples long series but always keeps each bucket's extremes.
import { beforeAll, describe, expect, it } from 'vitest';
import { LogBatchDocument, MetricHistoryDocument } from '../generated/graphql.js';
import { newProject, newRun } from '../support/factories.js';
import { useServer } from '../support/server.js';

const server = useServer();
const TOTAL = 100_000;
let runId: string;
// A noisy descending curve with one spike up and one spike down at known steps.
const valueAt = (step: number) => (step === 61_234 ? 50 : step === 7_777 ? -50 : Math.sin(step / 500) + 10 - step / 20_000);

beforeAll(async () => {
  const { client } = server();
  runId = (await newRun(client, await newProject(client, 'history'))).id;
  for (let start = 0; start < TOTAL; start += 10_000) {
    const metrics = Array.from({ length: 10_000 }, (_, i) => ({ key: 'loss', value: valueAt(start + i), step: start + i }));
    await client.data(LogBatchDocument, { input: { runId, metrics } });
  }
}, 180_000);

/** The parallel lists are the same points as `points`, in the same order. */
function expectColumnsMatchPoints(series: {
  points: { step: number; timestamp: string; value: unknown }[];
  steps: number[];
  values: unknown[];
  timestamps: string[];
}) {
  expect(series.points.map((p) => [p.step, p.value, p.timestamp])).toEqual(series.steps.map((step, i) => [step, series.values[i], series.timestamps[i]]));
  expect([series.values.length, series.timestamps.length]).toEqual([series.steps.length, series.steps.length]);
}

describe('metricHistory on 100,000 points', () => {
  it('returns at most maxPoints, in step order, including the global min and max', async () => {
    const { client } = server();
    for (const maxPoints of [1000, 333, 2]) {
      const { run } = await client.data(MetricHistoryDocument, { id: runId, key: 'loss', maxPoints });
      const series = run!.metricHistory;
      expect(series.totalPoints).toBe(TOTAL);
      expect(series.sampled).toBe(true);
      expect(series.points.length).toBeLessThanOrEqual(maxPoints);
      expect(series.points.length).toBeGreaterThan(maxPoints / 8);
      const steps = series.points.map((p) => p.step);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      expect(series.points).toContainEqual(expect.objectContaining({ step: 61_234, value: 50 }));
      expect(series.points).toContainEqual(expect.objectContaining({ step: 7_777, value: -50 }));
      expectColumnsMatchPoints(series);
    }
  });

  it('keeps the true min and max of every bucket', async () => {
    const { client } = server();
    for (const [maxPoints, fromStep, toStep] of [
      [200, null, null],
      [1000, null, null],
      [300, 12_345, 87_654], // a range whose ends cut buckets in half
    ] as const) {
      const { run } = await client.data(MetricHistoryDocument, { id: runId, key: 'loss', maxPoints, fromStep, toStep });
      const series = run!.metricHistory;
      const width = series.bucketSteps!;
      expect(width).toBeGreaterThan(0);
      const lo = fromStep ?? 0;
      const hi = toStep ?? TOTAL - 1;
      expect(series.totalPoints).toBe(hi - lo + 1);
      expect(series.points.length).toBeLessThanOrEqual(maxPoints);
      for (let start = Math.floor(lo / width) * width; start <= hi; start += width) {
        const steps: number[] = [];
        for (let step = Math.max(start, lo); step <= Math.min(start + width - 1, hi); step += 1) steps.push(step);
        const values = steps.map(valueAt);
        const returned = series.points.filter((p) => p.step >= steps[0]! && p.step <= steps.at(-1)!).map((p) => p.value as number);
        expect(Math.min(...returned)).toBe(Math.min(...values));
        expect(Math.max(...returned)).toBe(Math.max(...values));
      }
    }
  });

  it('fills at least half of maxPoints when sampling (the rollup levels are 4x apart; buckets of the level below are merged)', async () => {
    const { client } = server();
    for (const maxPoints of [200, 333, 500, 1000, 2000, 5000]) {
      const { run } = await client.data(MetricHistoryDocument, { id: runId, key: 'loss', maxPoints });
      const series = run!.metricHistory;
      expect(series.points.length).toBeLessThanOrEqual(maxPoints);
      expect(series.points.length, `maxPoints ${maxPoints}`).toBeGreaterThanOrEqual(maxPoints / 2);
    }
    // The case reported: 6,000 steps asked as 500 points answered 188.
    const short = (await newRun(client, await newProject(client, 'history-6k'))).id;
    const metrics = Array.from({ length: 6000 }, (_, step) => ({ key: 'acc', value: valueAt(step), step }));
    await client.data(LogBatchDocument, { input: { runId: short, metrics: metrics.slice(0, 3000) } });
    await client.data(LogBatchDocument, { input: { runId: short, metrics: metrics.slice(3000) } });
    const { run } = await client.data(MetricHistoryDocument, { id: short, key: 'acc', maxPoints: 500 });
    expect(run!.metricHistory.points.length).toBeGreaterThanOrEqual(250);
    expect(run!.metricHistory.points.length).toBeLessThanOrEqual(500);
  });

  it('returns every point of a short range unsampled', async () => {
    const { client } = server();
    const { run } = await client.data(MetricHistoryDocument, { id: runId, key: 'loss', fromStep: 100, toStep: 199, maxPoints: 1000 });
    expect(run!.metricHistory.sampled).toBe(false);
    expect(run!.metricHistory.points.map((p) => p.step)).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i));
  });

  it('returns an empty series for a key the run never logged', async () => {
    const { client } = server();
    const { run } = await client.data(MetricHistoryDocument, { id: runId, key: 'never-logged' });
    expect(run!.metricHistory).toMatchObject({ totalPoints: 0, points: [] });
  });
});

describe('rollups under retries, NaN and out-of-order steps', () => {
  it('match a direct computation over the raw points', async () => {
    const { client } = server();
    const run = (await newRun(client, await newProject(client, 'rollups'))).id;
    const stamp = '2026-11-01T00:00:00.000Z';
    // Steps arrive out of order, some twice (a retry), some as NaN.
    const points = Array.from({ length: 3000 }, (_, i) => {
      const step = (i * 7919) % 3000;
      return { key: 'acc', value: step % 97 === 0 ? 'NaN' : Math.cos(step) * step, step, timestamp: stamp };
    });
    for (let i = 0; i < points.length; i += 700) {
      const batch = points.slice(i, i + 700);
      await client.data(LogBatchDocument, { input: { runId: run, metrics: batch } });
      await client.data(LogBatchDocument, { input: { runId: run, metrics: batch.slice(0, 50) } });
    }
    const { run: read } = await client.data(MetricHistoryDocument, { id: run, key: 'acc', maxPoints: 100 });
    const series = read!.metricHistory;
    expect(series.totalPoints).toBe(3000);
    expectColumnsMatchPoints(series);
    // Unsampled, the NaN points come back too, as "NaN" in `values` as in `points`.
    const { run: whole } = await client.data(MetricHistoryDocument, { id: run, key: 'acc', maxPoints: 100_000 });
    expectColumnsMatchPoints(whole!.metricHistory);
    expect(whole!.metricHistory.values.filter((v) => v === 'NaN')).toHaveLength(31);
    const width = series.bucketSteps!;
    for (let start = 0; start < 3000; start += width) {
      const values: number[] = [];
      for (let step = start; step < Math.min(start + width, 3000); step += 1) if (step % 97 !== 0) values.push(Math.cos(step) * step);
      const returned = series.points.filter((p) => p.step >= start && p.step < start + width).map((p) => p.value as number);
      expect(Math.min(...returned)).toBe(Math.min(...values));
      expect(Math.max(...returned)).toBe(Math.max(...values));
    }
  });
});

describe('rollup levels as a series grows', () => {
  // A series keeps levels 2 up to the first at which it fits in one bucket. Each batch below
  // moves that top level (up by one, by several at once, downward through negative steps, or
  // not at all for a retry). Points are queued by logBatch and folded later: folded after
  // every batch, or all at once at the end, each stored bucket must equal a direct
  // computation over the raw points, with no level missing and none above the top.
  const batches: { steps: number[]; nan?: boolean }[] = [
    { steps: [1000, 1003, 1001] },
    { steps: [1010, 1020, 1015] },
    { steps: [1100, 990] },
    { steps: [70_000, 5000, 1_000_000] },
    { steps: [1010, 1020, 1015] }, // a retry: nothing new
    { steps: [-5, -70] },
    { steps: [3_000_000, 3_000_001], nan: true },
    { steps: Array.from({ length: 500 }, (_, i) => 2_000_000 - i * 37) },
  ];

  async function storedAndExpected(databaseId: number) {
    const { sql } = server().app.db;
    return Promise.all(
      [
        `SELECT r.level, r.bucket, r.count, r.min_value, r.min_step, r.max_value, r.max_step
         FROM metric_rollups r JOIN metric_keys k ON k.id = r.key_id
         WHERE k.name = 'grow' AND r.run_id = $1 ORDER BY 1, 2`,
        `WITH pts AS (SELECT p.* FROM metric_points p JOIN metric_keys k ON k.id = p.key_id WHERE k.name = 'grow' AND p.run_id = $1),
              top AS (SELECT COALESCE((SELECT min(l) FROM generate_series(2, 11) l WHERE (min(step) >> (2 * l)) = (max(step) >> (2 * l))), 11) AS t FROM pts)
         SELECT l AS level, step >> (2 * l) AS bucket, count(*)::int8 AS count,
                (array_agg(value ORDER BY value) FILTER (WHERE value <> 'NaN'))[1] AS min_value,
                (array_agg(step ORDER BY value) FILTER (WHERE value <> 'NaN'))[1] AS min_step,
                (array_agg(value ORDER BY value DESC) FILTER (WHERE value <> 'NaN'))[1] AS max_value,
                (array_agg(step ORDER BY value DESC) FILTER (WHERE value <> 'NaN'))[1] AS max_step
         FROM pts, top, generate_series(2, top.t) l GROUP BY 1, 2 ORDER BY 1, 2`,
      ].map((text) => sql.query(text, [databaseId])),
    );
  }

  for (const foldEach of [true, false]) {
    it(`keeps exactly the levels the span needs, each equal to the raw points (folded ${foldEach ? 'after every batch' : 'once at the end'})`, async () => {
      const { client, app } = server();
      // Folding only when the test says so: the background folder would fold between batches.
      if (!foldEach) await app.services.metrics.stop();
      const runId = (await newRun(client, await newProject(client, 'levels'))).id;
      const databaseId = Number(Buffer.from(runId, 'base64').toString().split(':')[1]);
      // Distinct values, so each extreme names one point.
      let n = 0;
      for (const batch of batches) {
        const metrics = batch.steps.map((step) => ({
          key: 'grow',
          step,
          value: batch.nan ? 'NaN' : Math.sin(step) * 1000 + (n++ % 7) / 1e6,
          timestamp: '2026-11-01T00:00:00.000Z',
        }));
        await client.data(LogBatchDocument, { input: { runId, metrics } });
        if (!foldEach) continue;
        await app.services.metrics.foldRollups();
        const [stored, expected] = await storedAndExpected(databaseId);
        expect(stored!.length).toBeGreaterThan(0);
        expect(stored).toEqual(expected);
      }
      await app.services.metrics.foldRollups();
      const [stored, expected] = await storedAndExpected(databaseId);
      expect(stored).toEqual(expected);
      const queued = await app.db.sql.query('SELECT 1 FROM metric_rollup_pending WHERE run_id = $1', [databaseId]);
      expect(queued).toEqual([]);
    });
  }
});

describe('the rollup queue', () => {
  it('queues each inserted point once, and a history read folds its series before using the rollups', async () => {
    const { client, app } = server();
    // A folder that never runs on its own: only the read may fold.
    await app.services.metrics.stop();
    const runId = (await newRun(client, await newProject(client, 'queue'))).id;
    const databaseId = Number(Buffer.from(runId, 'base64').toString().split(':')[1]);
    const metrics = Array.from({ length: 4000 }, (_, step) => ({
      key: 'queued',
      step,
      value: step === 2500 ? 99 : step === 333 ? -99 : Math.sin(step),
      timestamp: '2026-11-01T00:00:00.000Z',
    }));
    const batchId = 'once';
    await client.data(LogBatchDocument, { input: { runId, metrics, batchId } });
    await client.data(LogBatchDocument, { input: { runId, metrics, batchId } }); // a retry with the same id
    await client.data(LogBatchDocument, { input: { runId, metrics: metrics.slice(0, 100) } }); // points already stored
    const [queued] = await app.db.sql.query<{ points: number }>(
      'SELECT coalesce(sum(cardinality(steps)), 0)::int AS points FROM metric_rollup_pending WHERE run_id = $1',
      [databaseId],
    );
    expect(queued!.points).toBe(4000);

    const { run } = await client.data(MetricHistoryDocument, { id: runId, key: 'queued', maxPoints: 100 });
    const series = run!.metricHistory;
    expect(series).toMatchObject({ totalPoints: 4000, sampled: true });
    expect(series.points).toContainEqual(expect.objectContaining({ step: 2500, value: 99 }));
    expect(series.points).toContainEqual(expect.objectContaining({ step: 333, value: -99 }));
    const left = await app.db.sql.query('SELECT 1 FROM metric_rollup_pending WHERE run_id = $1', [databaseId]);
    expect(left).toEqual([]);
    const [folded] = await app.db.sql.query<{ count: number }>('SELECT sum(count)::int AS count FROM metric_rollups WHERE run_id = $1 AND level = 2', [
      databaseId,
    ]);
    expect(folded!.count).toBe(4000);
  });
});
