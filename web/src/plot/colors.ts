// Colours of runs and groups: each run keeps its colour whatever else is on the chart (it
// comes from the run's id), and colouring by a param spreads its values over a palette.

export const PALETTE = [
  '#4f46e5',
  '#e11d48',
  '#059669',
  '#d97706',
  '#0891b2',
  '#7c3aed',
  '#db2777',
  '#65a30d',
  '#2563eb',
  '#ea580c',
  '#0d9488',
  '#9333ea',
  '#ca8a04',
  '#dc2626',
  '#0284c7',
  '#16a34a',
  '#c026d3',
  '#b45309',
  '#475569',
  '#be123c',
];

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A run's colour, from its id alone: the same on every chart, whichever runs are shown. */
export function runColor(id: string): string {
  const h = hash(id);
  const hue = (h % 3600) / 10;
  const light = [40, 48, 34][(h >>> 12) % 3];
  return `hsl(${hue.toFixed(1)} ${62 + ((h >>> 16) % 20)}% ${light}%)`;
}

// Viridis stops, from low to high.
const RAMP = ['#440154', '#3b528b', '#21918c', '#5ec962', '#c8b00f'];

function ramp(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const a = RAMP[i]!;
  const b = RAMP[i + 1]!;
  const mix = (k: number) => Math.round(parseInt(a.slice(k, k + 2), 16) * (1 - (x - i)) + parseInt(b.slice(k, k + 2), 16) * (x - i));
  return `rgb(${mix(1)}, ${mix(3)}, ${mix(5)})`;
}

/**
 * A colour per distinct value: a ramp from low to high when every value is a number (a
 * learning rate, a depth), else a palette in sorted order; missing values are grey.
 */
export function valueColors(values: readonly (string | null)[]): (value: string | null) => string {
  const present = [...new Set(values.filter((v): v is string => v !== null && v !== ''))];
  const numeric = present.length > 0 && present.every((v) => Number.isFinite(Number(v)));
  if (numeric && present.length > 2) {
    const nums = present.map(Number);
    const positive = nums.every((n) => n > 0) && Math.max(...nums) / Math.min(...nums) > 20;
    const f = (n: number) => (positive ? Math.log10(n) : n);
    const lo = Math.min(...nums.map(f));
    const hi = Math.max(...nums.map(f));
    return (v) => (v === null || v === '' ? '#94a3b8' : ramp(hi > lo ? (f(Number(v)) - lo) / (hi - lo) : 0.5));
  }
  const sorted = present.sort((a, b) => (numeric ? Number(a) - Number(b) : a.localeCompare(b)));
  const index = new Map(sorted.map((v, i) => [v, i]));
  return (v) => (v === null || v === '' ? '#94a3b8' : PALETTE[index.get(v)! % PALETTE.length]!);
}
