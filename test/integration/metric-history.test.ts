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

describe('metricHistory on 100,000 points', () => {
  it('returns at most maxPoints, in step order, including the global min and max', async () => {
    const { client } = server();
    for (const maxPoints of [1000, 333, 2]) {
      const { run } = await client.data(MetricHistoryDocument, { id: runId, key: 'loss', maxPoints });
      const series = run!.metricHistory;
      expect(series.totalPoints).toBe(TOTAL);
      expect(series.sampled).toBe(true);
      expect(series.points.length).toBeLessThanOrEqual(maxPoints);
      expect(series.points.length).toBeGreaterThan(maxPoints / 2 - 1);
      const steps = series.points.map((p) => p.step);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      expect(series.points).toContainEqual(expect.objectContaining({ step: 61_234, value: 50 }));
      expect(series.points).toContainEqual(expect.objectContaining({ step: 7_777, value: -50 }));
    }
  });

  it('keeps the true min and max of every bucket', async () => {
    const { client } = server();
    const { run } = await client.data(MetricHistoryDocument, { id: runId, key: 'loss', maxPoints: 200 });
    const points = run!.metricHistory.points;
    // 100 buckets of 1,000 consecutive steps: each pair of returned points is one bucket's extremes.
    for (let bucket = 0; bucket < 100; bucket += 1) {
      const inBucket = points.filter((p) => Math.floor(p.step / 1000) === bucket).map((p) => p.value as number);
      let min = Infinity;
      let max = -Infinity;
      for (let step = bucket * 1000; step < (bucket + 1) * 1000; step += 1) {
        min = Math.min(min, valueAt(step));
        max = Math.max(max, valueAt(step));
      }
      expect(Math.min(...inBucket)).toBeCloseTo(min, 10);
      expect(Math.max(...inBucket)).toBeCloseTo(max, 10);
    }
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
