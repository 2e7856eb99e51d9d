// The dashboard's chart arithmetic as pure functions: smoothing, grouping, axis ticks, run
// colours, and the label wrapping of lineage nodes and table headers.
import { describe, expect, it } from 'vitest';
import { headerLines, wrapLabel } from '../../web/src/text.js';
import { runColor, valueColors } from '../../web/src/plot/colors.js';
import { elapsedTicks, fmtElapsed, linearTicks, logTicks } from '../../web/src/plot/scale.js';
import { aggregate, ema } from '../../web/src/plot/smooth.js';

describe('ema', () => {
  it('starts unbiased, smooths, and keeps gaps and NaN as they are', () => {
    expect(ema([5, 5, 5], 0.9)).toEqual([5, 5, 5].map(() => expect.closeTo(5, 10)));
    const s = ema([0, 10, 0, 10, null, Number.NaN, 0], 0.6) as number[];
    expect(s[0]).toBe(0);
    expect(s[1]).toBeCloseTo(6.25, 10); // (0.4 * 10) / (1 - 0.36)
    expect(s[4]).toBeNull();
    expect(s[5]).toBeNaN();
    expect(Math.max(...(s.filter((v) => Number.isFinite(v)) as number[]))).toBeLessThan(10);
  });
});

describe('aggregate', () => {
  it('gives mean, min and max across runs on a shared grid, each run only within its own range', () => {
    const agg = aggregate(
      [
        { x: [0, 10], y: [0, 10] },
        { x: [0, 5], y: [2, 2] },
      ],
      3,
    );
    expect(agg.x).toEqual([0, 5, 10]);
    expect(agg.count).toEqual([2, 2, 1]);
    expect(agg.mean).toEqual([1, 3.5, 10]);
    expect(agg.min).toEqual([0, 2, 10]);
    expect(agg.max).toEqual([2, 5, 10]);
  });
});

describe('ticks', () => {
  it('are round numbers, decades on a log axis, and short durations', () => {
    expect(linearTicks(0, 1, 5).map((t) => t.label)).toEqual(['0', '0.2', '0.4', '0.6', '0.8', '1']);
    expect(logTicks(0.0009, 3, 6).map((t) => t.label)).toEqual(['0.001', '0.01', '0.1', '1']);
    expect(elapsedTicks(0, 7200, 4).map((t) => t.label)).toEqual(['0s', '30m', '1h', '1h 30m', '2h']);
    expect(fmtElapsed(93_784)).toBe('26h 3m');
  });
});

describe('colours', () => {
  it('keep a run its colour, and spread a param over a ramp or a palette', () => {
    expect(runColor('UnVuOjE=')).toBe(runColor('UnVuOjE='));
    expect(runColor('UnVuOjE=')).not.toBe(runColor('UnVuOjI='));
    const lr = valueColors(['0.1', '0.01', '0.001', null]);
    expect(lr('0.1')).not.toBe(lr('0.001'));
    expect(lr(null)).toBe('#94a3b8');
    const opt = valueColors(['adam', 'sgd']);
    expect(opt('adam')).not.toBe(opt('sgd'));
  });
});

describe('labels', () => {
  it('wrap at separators and never lose a character', () => {
    const label = 'customer-clickstream-sessions@2026-09-01T00:00:00Z-rebuild-3';
    const lines = wrapLabel(label, 24);
    expect(lines.join('')).toBe(label);
    expect(lines.every((l) => l.length <= 24)).toBe(true);
    expect(headerLines('learning_rate')).toEqual(['learning_', 'rate']);
    expect(headerLines('optimizer')).toEqual(['optimizer']);
  });
});
