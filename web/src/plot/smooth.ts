// Smoothing and grouping of metric series for the charts: an exponential moving average that
// starts unbiased (as TensorBoard and W&B draw it), and a group's runs reduced to mean, min and
// max on a shared x grid.

/**
 * Exponential moving average with weight `w` (0 = raw, 0.99 = very smooth), debiased so the
 * first points are not pulled towards zero. NaN and infinite values pass through unsmoothed;
 * gaps (null) stay gaps.
 */
export function ema(y: ArrayLike<number | null>, w: number): (number | null)[] {
  const out: (number | null)[] = new Array(y.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < y.length; i += 1) {
    const v = y[i];
    if (v === null || v === undefined) {
      out[i] = null;
      continue;
    }
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * w + (1 - w) * v;
    n += 1;
    out[i] = last / (1 - w ** n);
  }
  return out;
}

export interface Aggregate {
  x: number[];
  mean: (number | null)[];
  min: (number | null)[];
  max: (number | null)[];
  /** Runs with a value at each x. */
  count: number[];
}

/**
 * Mean, min and max across runs at `points` evenly spaced x values over the runs' span; each
 * run is interpolated linearly between its points and counts only inside its own x range.
 */
export function aggregate(runs: { x: ArrayLike<number>; y: ArrayLike<number | null> }[], points = 200): Aggregate {
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of runs) {
    if (r.x.length === 0) continue;
    lo = Math.min(lo, r.x[0]!);
    hi = Math.max(hi, r.x[r.x.length - 1]!);
  }
  if (!Number.isFinite(lo)) return { x: [], mean: [], min: [], max: [], count: [] };
  const n = hi > lo ? points : 1;
  const x = Array.from({ length: n }, (_, i) => (n === 1 ? lo : lo + ((hi - lo) * i) / (n - 1)));
  const sum = new Float64Array(n);
  const count = new Array<number>(n).fill(0);
  const min = new Array<number | null>(n).fill(null);
  const max = new Array<number | null>(n).fill(null);
  for (const r of runs) {
    let j = 0;
    for (let i = 0; i < n; i += 1) {
      const xi = x[i]!;
      if (r.x.length === 0 || xi < r.x[0]! || xi > r.x[r.x.length - 1]!) continue;
      while (j < r.x.length - 1 && r.x[j + 1]! < xi) j += 1;
      const x0 = r.x[j]!;
      const y0 = r.y[j];
      const x1 = r.x[Math.min(j + 1, r.x.length - 1)]!;
      const y1 = r.y[Math.min(j + 1, r.x.length - 1)];
      if (y0 === null || y0 === undefined || !Number.isFinite(y0)) continue;
      const v = x1 > x0 && y1 !== null && y1 !== undefined && Number.isFinite(y1) && xi > x0 ? y0 + ((y1 - y0) * (xi - x0)) / (x1 - x0) : y0;
      sum[i] = sum[i]! + v;
      count[i] = count[i]! + 1;
      min[i] = min[i] === null ? v : Math.min(min[i]!, v);
      max[i] = max[i] === null ? v : Math.max(max[i]!, v);
    }
  }
  return { x, mean: Array.from(sum, (s, i) => (count[i] ? s / count[i]! : null)), min, max, count };
}
