// Parallel coordinates in plain SVG: one vertical axis per param (numeric when every value
// parses as a number, else categorical) and the target metric last; one line per run.
export interface Axis {
  label: string;
  values: (string | number | null)[];
  isTarget?: boolean;
}

export function ParallelCoordinates({ runs, axes }: { runs: { name: string; color: string }[]; axes: Axis[] }) {
  if (axes.length < 2) return <p className="muted">The runs share every param: nothing to spread out.</p>;
  const width = Math.max(480, axes.length * 150);
  const height = 280;
  const top = 36;
  const bottom = height - 24;
  const x = (i: number) => 60 + (i * (width - 120)) / (axes.length - 1);
  const scales = axes.map((axis) => {
    const present = axis.values.filter((v): v is string | number => v !== null && v !== '');
    const numeric = present.length > 0 && present.every((v) => Number.isFinite(Number(v)));
    if (numeric) {
      const nums = present.map(Number);
      const min = Math.min(...nums);
      const max = Math.max(...nums);
      const y = (v: string | number) => (max === min ? (top + bottom) / 2 : bottom - ((Number(v) - min) / (max - min)) * (bottom - top));
      return { y, ticks: [...new Set([min, max])].map((t) => ({ label: Number(t.toPrecision(4)).toString(), y: y(t) })) };
    }
    const cats = [...new Set(present.map(String))].sort();
    const y = (v: string | number) => (cats.length === 1 ? (top + bottom) / 2 : top + (cats.indexOf(String(v)) * (bottom - top)) / (cats.length - 1));
    return { y, ticks: cats.map((c) => ({ label: c, y: y(c) })) };
  });
  return (
    <div className="scroll-x">
      <svg width={width} height={height} className="parallel" data-testid="parallel-coordinates">
        {axes.map((axis, i) => (
          <g key={axis.label}>
            <line x1={x(i)} x2={x(i)} y1={top} y2={bottom} stroke="#cbd5e1" />
            <text x={x(i)} y={16} textAnchor="middle" className={axis.isTarget ? 'axis-label target' : 'axis-label'}>
              {axis.label}
            </text>
            {scales[i]!.ticks.map((t) => (
              <text key={t.label} x={x(i) + 6} y={t.y + 4} className="tick">
                {t.label}
              </text>
            ))}
          </g>
        ))}
        {runs.map((run, r) => {
          const points = axes.map((axis, i) => {
            const v = axis.values[r];
            return v === null || v === undefined || v === '' ? null : `${x(i)},${scales[i]!.y(v)}`;
          });
          return (
            <polyline key={run.name + r} points={points.filter(Boolean).join(' ')} fill="none" stroke={run.color} strokeWidth={2} opacity={0.85}>
              <title>{run.name}</title>
            </polyline>
          );
        })}
      </svg>
    </div>
  );
}
