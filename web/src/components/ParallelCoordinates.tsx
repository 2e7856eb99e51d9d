// Parallel coordinates in plain SVG: one vertical axis per param (numeric when every value
// parses as a number, else categorical) and the target metric last; one line per run. The
// chart takes the width of its card; lines are drawn first and the tick labels over them on a
// white halo, on the outer side of the first and last axes, so no line crosses a label.
import { useEffect, useRef, useState } from 'react';

export interface Axis {
  label: string;
  values: (string | number | null)[];
  isTarget?: boolean;
}

const HEIGHT = 300;
const TOP = 40;
const BOTTOM = HEIGHT - 24;
const SIDE = 90;

function scaleOf(axis: Axis) {
  const present = axis.values.filter((v): v is string | number => v !== null && v !== '');
  const numeric = present.length > 0 && present.every((v) => Number.isFinite(Number(v)));
  if (numeric) {
    const nums = present.map(Number);
    const min = Math.min(...nums);
    const max = Math.max(...nums);
    const y = (v: string | number) => (max === min ? (TOP + BOTTOM) / 2 : BOTTOM - ((Number(v) - min) / (max - min)) * (BOTTOM - TOP));
    return { y, ticks: [...new Set([min, max])].map((t) => ({ label: Number(t.toPrecision(4)).toString(), y: y(t) })) };
  }
  const cats = [...new Set(present.map(String))].sort();
  const y = (v: string | number) => (cats.length === 1 ? (TOP + BOTTOM) / 2 : TOP + (cats.indexOf(String(v)) * (BOTTOM - TOP)) / (cats.length - 1));
  return { y, ticks: cats.map((c) => ({ label: c, y: y(c) })) };
}

export function ParallelCoordinates({ runs, axes }: { runs: { name: string; color: string }[]; axes: Axis[] }) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = box.current!;
    const resize = new ResizeObserver(() => setWidth(el.clientWidth));
    resize.observe(el);
    setWidth(el.clientWidth);
    return () => resize.disconnect();
  }, []);
  if (axes.length < 2) return <p className="muted">The runs share every param: nothing to spread out.</p>;
  // The card's width, unless the axes need more room than it has (then it scrolls).
  const w = Math.max(width, axes.length * 110 + 2 * SIDE);
  const x = (i: number) => SIDE + (i * (w - 2 * SIDE)) / (axes.length - 1);
  const scales = axes.map(scaleOf);
  // Ticks sit outside the plot on the first and last axes, to the right of the others.
  const tickSide = (i: number) => (i === 0 ? -1 : 1);
  return (
    <div className="scroll-x parallel-box" ref={box}>
      {width > 0 && (
        <svg width={w} height={HEIGHT} className="parallel" data-testid="parallel-coordinates">
          <title>Parallel coordinates of the runs' params</title>
          {axes.map((axis, i) => (
            <line key={`${axis.isTarget ? 'target' : 'param'}:${axis.label}`} x1={x(i)} x2={x(i)} y1={TOP} y2={BOTTOM} stroke="#cbd5e1" />
          ))}
          {runs.map((run, r) => {
            const points = axes.map((axis, i) => {
              const v = axis.values[r];
              return v === null || v === undefined || v === '' ? null : `${x(i)},${scales[i]!.y(v)}`;
            });
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: each axis's values are indexed by the run's position, so the position is the run's identity here (names may repeat)
              <polyline key={run.name + r} points={points.filter(Boolean).join(' ')} fill="none" stroke={run.color} strokeWidth={2} opacity={0.85}>
                <title>{run.name}</title>
              </polyline>
            );
          })}
          {axes.map((axis, i) => (
            <g key={axis.label} className="parallel-axis">
              <text x={x(i)} y={18} textAnchor="middle" className={axis.isTarget ? 'axis-label target' : 'axis-label'}>
                {axis.label}
              </text>
              {scales[i]!.ticks.map((t) => (
                <text
                  key={t.label}
                  x={x(i) + tickSide(i) * 7}
                  y={t.y + 4}
                  textAnchor={tickSide(i) < 0 ? 'end' : 'start'}
                  className="tick"
                  data-testid="parallel-tick"
                >
                  {t.label}
                </text>
              ))}
            </g>
          ))}
        </svg>
      )}
    </div>
  );
}
