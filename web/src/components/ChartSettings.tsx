// How charts are drawn, shared by every chart of a page and kept in the URL (so a link opens
// the same view): smoothing, log y axis, and what the x axis measures.
import { setQuery, useLocation } from '../router';
import type { PlotOptions, XMode } from './Plot';

export type ChartSettings = Omit<PlotOptions, 'yLabel'>;

const X_MODES: { value: XMode; label: string }[] = [
  { value: 'step', label: 'step' },
  { value: 'wall', label: 'wall time' },
  { value: 'relative', label: 'time since start' },
];

export function useChartSettings(): ChartSettings {
  const { query } = useLocation();
  const smoothing = Math.min(0.99, Math.max(0, Number(query.get('smooth') ?? 0) || 0));
  const x = query.get('x');
  return { smoothing, logY: query.get('logy') === '1', xMode: x === 'wall' || x === 'relative' ? x : 'step' };
}

export function ChartSettingsBar({ settings }: { settings: ChartSettings }) {
  return (
    <div className="chart-settings" data-testid="chart-settings">
      <label title="Exponential moving average; the raw line stays faint behind">
        Smoothing
        <input
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          value={settings.smoothing}
          onChange={(e) => setQuery({ smooth: Number(e.target.value) > 0 ? e.target.value : '' })}
          name="smoothing"
        />
        <span className="small num smoothing-value">{settings.smoothing.toFixed(2)}</span>
      </label>
      <label>
        <input type="checkbox" checked={settings.logY} onChange={(e) => setQuery({ logy: e.target.checked ? '1' : '' })} name="log-y" /> log y
      </label>
      <label>
        x
        <select value={settings.xMode} onChange={(e) => setQuery({ x: e.target.value === 'step' ? '' : e.target.value })} name="x-axis">
          {X_MODES.map((m) => (
            <option key={m.value} value={m.value}>
              {m.label}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
