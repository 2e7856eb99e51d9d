// The dashboard's live-update rules, as pure functions: merging live points into a
// downsampled series, which subscriptions resume which series, and when a subscription retries.
import { describe, expect, it } from 'vitest';
import { HEALTHY_MS, permanentFailure, retryDelay } from '../../web/src/api.js';
import { emptySeries, keyedGroups, mergePoint, resumePlan, seriesFrom } from '../../web/src/live-series.js';

describe('mergePoint', () => {
  it('appends to a raw series, replaces the last step and ignores older steps', () => {
    const s = emptySeries();
    expect(mergePoint(s, 0, 1, 0)).toBe(true);
    expect(mergePoint(s, 1, 2, 0)).toBe(true);
    expect(mergePoint(s, 1, 3, 0)).toBe(true);
    expect(mergePoint(s, 0, 9, 0)).toBe(false);
    expect(s.steps).toEqual([0, 1]);
    expect(s.values).toEqual([1, 3]);
    expect(s.lastStep).toBe(1);
  });

  it('keeps a downsampled series at its density however many live points arrive', () => {
    const s = seriesFrom({ steps: [0, 15, 16, 31], values: [5, 1, 2, 8], sampled: true, bucketSteps: 16 });
    for (let step = 32; step < 32 + 16 * 100; step += 1) mergePoint(s, step, Math.sin(step), 0);
    // 2 points per bucket of 16 steps, plus at most one newest point in the open bucket.
    expect(s.steps.length).toBeLessThanOrEqual(2 * 102 + 1);
    expect(s.lastStep).toBe(32 + 16 * 100 - 1);
    // Each bucket keeps its true extremes.
    const bucket = (b: number) => s.steps.map((st, i) => [st, s.values[i]!] as const).filter(([st]) => Math.floor(st / 16) === b);
    const values = Array.from({ length: 16 }, (_, i) => Math.sin(32 + 16 * 10 + i));
    const kept = bucket(12).map(([, v]) => v);
    expect(Math.min(...kept)).toBe(Math.min(...values));
    expect(Math.max(...kept)).toBe(Math.max(...values));
    expect(s.steps).toEqual([...s.steps].sort((a, b) => a - b));
  });
});

describe('resumePlan', () => {
  it('resumes each series after its own last step, the furthest ones without a key filter', () => {
    const plan = resumePlan(
      new Map([
        ['loss', 199_999],
        ['lr', 199_999],
        ['val_auc', 499],
      ]),
    );
    expect(plan).toEqual({ all: 199_999, groups: [{ since: 499, keys: ['val_auc'] }] });
  });

  it('merges many distinct steps into a bounded number of subscriptions, each at its lowest step', () => {
    const since = new Map<string, number>(Array.from({ length: 120 }, (_, i) => [`k${i}`, i * 10]));
    const groups = keyedGroups(since, { maxGroups: 8, maxKeys: 10 });
    expect(new Set(groups.map((g) => g.since)).size).toBeLessThanOrEqual(8);
    expect(groups.every((g) => g.keys.length <= 10)).toBe(true);
    for (const g of groups) for (const k of g.keys) expect(since.get(k)!).toBeGreaterThanOrEqual(g.since);
    expect(groups.flatMap((g) => g.keys).sort()).toEqual([...since.keys()].sort());
  });
});

describe('subscription retries', () => {
  it('stops on errors a retry cannot fix and retries the others', () => {
    expect(permanentFailure([{ message: 'Project "x" not found', extensions: { code: 'NOT_FOUND' } }])).toMatch(/^NOT_FOUND/);
    expect(permanentFailure([{ message: 'no role', extensions: { code: 'FORBIDDEN' } }])).toMatch(/^FORBIDDEN/);
    expect(permanentFailure({ code: 4403, reason: 'Forbidden' })).toMatch(/4403/);
    expect(permanentFailure([{ message: 'database down', extensions: { code: 'UNAVAILABLE' } }])).toBeNull();
    expect(permanentFailure({ code: 1006, reason: '' })).toBeNull();
    expect(permanentFailure(new Error('socket hang up'))).toBeNull();
  });

  it('backs off from 250 ms to 30 s', () => {
    const mid = () => 1;
    expect(retryDelay(1, mid)).toBe(250);
    expect(retryDelay(2, mid)).toBe(500);
    expect(retryDelay(8, mid)).toBe(30_000);
    expect(retryDelay(50, mid)).toBe(30_000);
    expect(retryDelay(3, () => 0)).toBe(750);
    expect(HEALTHY_MS).toBeGreaterThanOrEqual(10_000);
  });
});
