// Axis scales and ticks for the charts: linear, log (base 10), wall-clock time and elapsed
// time, each with labels short enough for a 400-pixel panel.

export interface Tick {
  value: number;
  label: string;
}

export interface Scale {
  min: number;
  max: number;
  log: boolean;
  /** Value to a fraction 0..1 along the axis. */
  frac(v: number): number;
  /** Fraction to value. */
  value(f: number): number;
}

export function linearScale(min: number, max: number): Scale {
  const span = max - min || 1;
  return { min, max, log: false, frac: (v) => (v - min) / span, value: (f) => min + f * span };
}

export function logScale(min: number, max: number): Scale {
  const lo = Math.log10(min);
  const span = Math.log10(max) - lo || 1;
  return { min, max, log: true, frac: (v) => (v > 0 ? (Math.log10(v) - lo) / span : Number.NaN), value: (f) => 10 ** (lo + f * span) };
}

/** Pads a data range so lines do not touch the frame; a flat series gets a range around it. */
export function padRange(min: number, max: number, log: boolean): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return log ? [1, 10] : [0, 1];
  if (log) {
    if (min === max) return [min / 2, max * 2];
    const f = (max / min) ** 0.04;
    return [min / f, max * f];
  }
  if (min === max) {
    const d = Math.abs(min) * 0.1 || 1;
    return [min - d, max + d];
  }
  const d = (max - min) * 0.04;
  return [min - d, max + d];
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag;
}

export function fmtTick(v: number, step: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e6 || abs < 1e-4) return v.toExponential(step >= abs / 10 ? 0 : 1).replace('e+', 'e');
  if (abs >= 1000 && step >= 1000) return `${+(v / 1000).toFixed(Math.max(0, -Math.floor(Math.log10(step / 1000))))}k`;
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + (step / 10 ** Math.floor(Math.log10(step)) === 2.5 ? 1 : 0));
  const text = v.toFixed(Math.min(decimals, 10));
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

export function linearTicks(min: number, max: number, count: number): Tick[] {
  const step = niceStep(max - min, count);
  const ticks: Tick[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step)
    ticks.push({ value: v, label: fmtTick(Math.abs(v) < step * 1e-9 ? 0 : v, step) });
  return ticks;
}

export function logTicks(min: number, max: number, count: number): Tick[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const decades = hi - lo;
  const mults = decades <= count / 3 ? [1, 2, 5] : [1];
  const every = Math.max(1, Math.ceil(decades / count));
  const ticks: Tick[] = [];
  for (let e = lo; e <= hi; e += every) {
    for (const m of mults) {
      const v = m * 10 ** e;
      if (v >= min && v <= max) ticks.push({ value: v, label: e >= 4 || e <= -4 ? `${m}e${e}` : String(+v.toPrecision(3)) });
    }
  }
  return ticks.length >= 2 ? ticks : linearTicks(min, max, count);
}

const SECOND = 1000;
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800].map((s) => s * SECOND);

function timeStep(spanMs: number, count: number): number {
  const raw = spanMs / Math.max(1, count);
  return TIME_STEPS.find((s) => s >= raw) ?? Math.ceil(raw / (86400 * SECOND)) * 86400 * SECOND;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Wall-clock ticks (ms since epoch), labelled in the browser's time zone. */
export function timeTicks(min: number, max: number, count: number): Tick[] {
  const step = timeStep(max - min, count);
  const offset = new Date(min).getTimezoneOffset() * 60 * SECOND;
  const ticks: Tick[] = [];
  const first = Math.ceil((min - offset) / step) * step + offset;
  for (let v = first; v <= max; v += step) {
    const d = new Date(v);
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    const label =
      step < 60 * SECOND
        ? `${hm}:${pad(d.getSeconds())}`
        : step < 86400 * SECOND
          ? d.getHours() === 0 && d.getMinutes() === 0
            ? `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })}`
            : hm
          : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
    ticks.push({ value: v, label });
  }
  return ticks;
}

/** A duration in seconds, short: 45s, 12m, 1h 30m, 2d 4h. */
export function fmtElapsed(seconds: number): string {
  const s = Math.round(seconds);
  if (Math.abs(s) < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

/** Elapsed-time ticks (seconds since the run started). */
export function elapsedTicks(min: number, max: number, count: number): Tick[] {
  const step = timeStep((max - min) * SECOND, count) / SECOND;
  const ticks: Tick[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max; v += step) ticks.push({ value: v, label: fmtElapsed(v) });
  return ticks;
}
