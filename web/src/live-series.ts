// A metric series as the run page holds it: the server's downsample (or every point), then
// live points merged in at the same density, so a live feed never turns a downsample back
// into raw points. Also which subscriptions resume which series.

/** The points a chart holds for one key, in step order. */
export interface Series {
  steps: number[];
  values: (number | null)[];
  /** Wall-clock milliseconds of each point, when asked for (same order as steps). */
  times: number[];
  /** True when the server dropped points to fit the chart. */
  sampled: boolean;
  /** Steps per bucket of the downsample (each bucket keeps its lowest and highest point); 1 when raw. */
  bucket: number;
  /** The latest point logged, which a bucket's extremes may not include. */
  lastStep: number | null;
  lastValue: number | null;
}

export function emptySeries(): Series {
  return { steps: [], values: [], times: [], sampled: false, bucket: 1, lastStep: null, lastValue: null };
}

/** A series as the history read gave it (`bucketSteps` null with `sampled` means buckets by point count). */
export function seriesFrom(h: { steps: number[]; values: (number | null)[]; times?: number[]; sampled: boolean; bucketSteps: number | null }): Series {
  const n = h.steps.length;
  let bucket = 1;
  if (h.sampled) bucket = h.bucketSteps ?? Math.max(1, Math.ceil(((h.steps[n - 1] ?? 0) - (h.steps[0] ?? 0) + 1) / Math.max(1, n / 2)));
  return {
    steps: h.steps,
    values: h.values,
    times: h.times ?? [],
    sampled: h.sampled,
    bucket,
    lastStep: n ? h.steps[n - 1]! : null,
    lastValue: n ? (h.values[n - 1] ?? null) : null,
  };
}

const lower = (a: number | null, b: number | null) => (a === null ? false : b === null ? true : a < b || Number.isNaN(b));

/**
 * Adds one point. A point after the series' end is appended; in a downsampled series each
 * bucket keeps its lowest and highest point, as the server's downsample does, and the open
 * bucket (the tail) also its newest point, so the line reaches the latest step. A point at the
 * last step replaces it (a later timestamp of the same step); older steps are already drawn.
 * Returns true when the series changed.
 */
export function mergePoint(s: Series, step: number, value: number | null, time: number): boolean {
  const n = s.steps.length;
  const last = n ? s.steps[n - 1]! : -Infinity;
  if (step < last) return false;
  if (s.lastStep === null || step >= s.lastStep) {
    s.lastStep = step;
    s.lastValue = value;
  }
  if (step === last) {
    s.values[n - 1] = value;
    if (s.times.length === n) s.times[n - 1] = time;
    return true;
  }
  const keepTimes = s.times.length === n;
  if (s.bucket > 1 && n > 0) {
    const tail = Math.floor(last / s.bucket);
    let first = n;
    while (first > 0 && Math.floor(s.steps[first - 1]! / s.bucket) === tail) first -= 1;
    // The tail bucket is closed by a point past it (keep its extremes) or still open (keep its
    // extremes now; the new point is its newest).
    if (n - first > 2) keepExtremes(s, first, keepTimes);
  }
  s.steps.push(step);
  s.values.push(value);
  if (keepTimes) s.times.push(time);
  return true;
}

/** Reduces the points from index `first` to the end to the lowest and highest, in step order. */
function keepExtremes(s: Series, first: number, keepTimes: boolean) {
  let lo = first;
  let hi = first;
  for (let i = first; i < s.steps.length; i += 1) {
    if (lower(s.values[i]!, s.values[lo]!)) lo = i;
    if (lower(s.values[hi]!, s.values[i]!)) hi = i;
  }
  const keep = [...new Set([lo, hi])].sort((a, b) => a - b);
  const steps = keep.map((i) => s.steps[i]!);
  const values = keep.map((i) => s.values[i]!);
  const times = keep.map((i) => s.times[i]!);
  s.steps.length = first;
  s.values.length = first;
  s.steps.push(...steps);
  s.values.push(...values);
  if (keepTimes) {
    s.times.length = first;
    s.times.push(...times);
  }
}

/**
 * Which subscriptions resume the series: each key resumes from its own last step. The keys
 * at the highest step share one subscription without a key filter, which also brings keys
 * first logged while the page is open; keys further behind (an evaluation metric on its own
 * counter) get subscriptions of their own (see keyedGroups).
 */
export function resumePlan(since: ReadonlyMap<string, number>, options: GroupOptions = {}): { all: number; groups: { since: number; keys: string[] }[] } {
  let all = 0;
  for (const s of since.values()) all = Math.max(all, s);
  return { all, groups: keyedGroups(new Map([...since].filter(([, s]) => s < all)), options) };
}

interface GroupOptions {
  maxGroups?: number;
  maxKeys?: number;
}

/**
 * Keys grouped by resume step into at most `maxGroups` subscriptions of at most `maxKeys`
 * keys; a merged group resumes at its lowest step (points a series already holds are skipped).
 */
export function keyedGroups(since: ReadonlyMap<string, number>, options: GroupOptions = {}): { since: number; keys: string[] }[] {
  const maxGroups = options.maxGroups ?? 8;
  const maxKeys = options.maxKeys ?? 50;
  const sorted = [...since].sort((a, b) => a[1] - b[1]);
  const distinct = [...new Set(sorted.map(([, s]) => s))];
  // Steps split into at most maxGroups runs of neighbouring values.
  const per = Math.max(1, Math.ceil(distinct.length / maxGroups));
  const groupOf = new Map(distinct.map((s, i) => [s, Math.floor(i / per)]));
  const groups: { since: number; keys: string[] }[] = [];
  for (const [key, s] of sorted) {
    const g = groupOf.get(s)!;
    const group = groups[g] ?? (groups[g] = { since: s, keys: [] });
    group.keys.push(key);
  }
  return groups.filter(Boolean).flatMap((g) => chunk(g.keys, maxKeys).map((keys) => ({ since: g.since, keys })));
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
