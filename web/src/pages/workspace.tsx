// The runs page's chart view, as W&B workspaces and Aim's metrics explorer have it: every
// metric of the project as a panel overlaying the runs in view (up to 100: the runs chosen in
// the table, else the first of the filter and sort), each run in a colour of its own (or by a
// param), hidden or shown one by one, or grouped into a mean line and a min-max band. Panels
// read their series when they scroll into view, several panels a request (metricHistories).
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { gql } from '../api';
import { HistoriesDocument } from '../generated/graphql';
import { type ChartSettings, ChartSettingsBar, useChartSettings } from '../components/ChartSettings';
import { Plot, type PlotSeries } from '../components/Plot';
import { ErrorBox, StatusBadge } from '../components/ui';
import { fmtNumber } from '../format';
import type { Series } from '../live-series';
import { runColor, valueColors } from '../plot/colors';
import { aggregate } from '../plot/smooth';
import { Link, enc, setQuery, useLocation } from '../router';
import { toSeries } from './run-metrics';
import { cellValue, type RunRow } from './runs-query';

/** Runs a panel overlays at most (the runs page hands over no more). */
const MAX_RUNS = 100;
// Points per series in a panel: a panel is about 400 pixels wide.
const PANEL_POINTS = 400;
const TOTAL_POINTS = 1_000_000;

// Six significant digits are more than a panel can show, and about half the bytes of a value.
// The points' times are two fifths of the bytes: a panel reads them only when the x axis is
// time, or when first hovered (the readout gives each point's time). See Histories in
// web/src/operations/runs.graphql.

/** Per "times:key" (times "t" or "-"), each run's series. */
type Loaded = Map<string, Map<string, Series>>;
const entry = (key: string, times: boolean) => `${times ? 't' : '-'}:${key}`;

/**
 * Series of the runs per metric key, read when a panel asks and kept until the runs change.
 * Keys asked for in the same tick go in one request (as many as fit the server's bound on
 * points per request), with or without the points' times.
 */
function useHistories(runIds: string[]) {
  const signature = JSON.stringify(runIds);
  // The caller's array is new on each render: the requests below follow the ids it holds.
  const ids = useMemo(() => JSON.parse(signature) as string[], [signature]);
  const [loaded, setLoaded] = useState<{ signature: string; data: Loaded; error: Error | null }>({ signature, data: new Map(), error: null });
  const pending = useRef<{ signature: string; asked: Set<string>; queue: Map<boolean, string[]>; timer: ReturnType<typeof setTimeout> | null }>({
    signature,
    asked: new Set(),
    queue: new Map(),
    timer: null,
  });
  if (pending.current.signature !== signature) {
    if (pending.current.timer) clearTimeout(pending.current.timer);
    pending.current = { signature, asked: new Set(), queue: new Map(), timer: null };
  }
  const fetchKeys = useCallback(
    (keys: string[], times: boolean) =>
      gql(HistoriesDocument, { ids, keys, max: PANEL_POINTS, times }).then(
        (d) =>
          setLoaded((current) => {
            if (pending.current.signature !== signature) return current;
            const data: Loaded = current.signature === signature ? new Map(current.data) : new Map();
            // Run by run, then key by key, as the API orders them.
            keys.forEach((key, k) => data.set(entry(key, times), new Map(ids.map((id, r) => [id, toSeries(d.metricHistories[r * keys.length + k]!)]))));
            return { signature, data, error: null };
          }),
        (error: Error) => setLoaded((current) => ({ ...current, error })),
      ),
    [signature, ids],
  );
  const request = useCallback(
    (key: string, times: boolean) => {
      const p = pending.current;
      if (p.signature !== signature || p.asked.has(entry(key, times)) || ids.length === 0) return;
      p.asked.add(entry(key, times));
      p.queue.set(times, [...(p.queue.get(times) ?? []), key]);
      p.timer ??= setTimeout(() => {
        p.timer = null;
        const perRequest = Math.max(1, Math.min(50, Math.floor(TOTAL_POINTS / (ids.length * PANEL_POINTS))));
        for (const [withTimes, keys] of p.queue) {
          for (let i = 0; i < keys.length; i += perRequest) void fetchKeys(keys.slice(i, i + perRequest), withTimes);
        }
        p.queue.clear();
      }, 0);
    },
    [signature, ids, fetchKeys],
  );
  const data = loaded.signature === signature ? loaded.data : null;
  /** A key's series, with times when they are loaded (and only with them when `times`). */
  const get = useCallback((key: string, times: boolean) => data?.get(entry(key, true)) ?? (times ? undefined : data?.get(entry(key, false))) ?? null, [data]);
  return { get, error: loaded.error, request };
}

/** What a run is coloured or grouped by: a param, a tag or an attribute. */
function fieldOptions(keys: { params: string[]; tags: string[] }) {
  return [
    { value: 'attributes.user', label: 'user' },
    { value: 'attributes.status', label: 'status' },
    { value: 'attributes.group', label: 'run group' },
    ...keys.params.map((k) => ({ value: `params.${k}`, label: `param ${k}` })),
    ...keys.tags.map((k) => ({ value: `tags.${k}`, label: `tag ${k}` })),
  ];
}

const cellText = (run: RunRow, field: string) => {
  const v = cellValue(run, field);
  return v === null ? null : String(v);
};

export function Workspace({
  runs,
  chosen,
  keys,
  loadingRuns,
}: {
  runs: RunRow[];
  /** True when the runs are the ones chosen in the table. */
  chosen: boolean;
  keys: { metrics: string[]; params: string[]; tags: string[] };
  loadingRuns: boolean;
}) {
  const settings = useChartSettings();
  const { query } = useLocation();
  const colorBy = query.get('color') ?? '';
  const groupBy = query.get('group') ?? '';
  const panelFilter = query.get('panels') ?? '';
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const shown = useMemo(() => runs.filter((r) => !hidden.has(r.id)), [runs, hidden]);

  const colorOf = useMemo(() => {
    if (!colorBy) return (run: RunRow) => runColor(run.id);
    const byValue = valueColors(runs.map((r) => cellText(r, colorBy)));
    return (run: RunRow) => byValue(cellText(run, colorBy));
  }, [runs, colorBy]);
  const groups = useMemo(() => {
    if (!groupBy) return null;
    const found = new Map<string, RunRow[]>();
    for (const r of shown) {
      const key = cellText(r, groupBy) ?? '(none)';
      found.set(key, [...(found.get(key) ?? []), r]);
    }
    const color = valueColors([...found.keys()]);
    const numeric = [...found.keys()].every((k) => Number.isFinite(Number(k)));
    return [...found].sort(([a], [b]) => (numeric ? Number(a) - Number(b) : a.localeCompare(b))).map(([key, members]) => ({ key, members, color: color(key) }));
  }, [shown, groupBy]);

  const runIds = useMemo(() => runs.map((r) => r.id), [runs]);
  const { get, error, request } = useHistories(runIds);
  const panels = keys.metrics.filter((k) => !panelFilter || k.toLowerCase().includes(panelFilter.toLowerCase()));
  const fields = fieldOptions(keys);
  const toggle = (id: string) =>
    setHidden((h) => {
      const next = new Set(h);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <div className="workspace" data-testid="workspace">
      <aside className="workspace-runs card" data-testid="workspace-runs">
        <div className="workspace-runs-head">
          <strong>
            {runs.length} run{runs.length === 1 ? '' : 's'}
          </strong>{' '}
          <span className="muted small">{chosen ? 'chosen in the table' : `first ${MAX_RUNS} in view${loadingRuns ? ' (loading…)' : ''}`}</span>
          <div className="row small">
            <button type="button" className="link" onClick={() => setHidden(new Set())}>
              show all
            </button>
            <button type="button" className="link" onClick={() => setHidden(new Set(runs.map((r) => r.id)))}>
              hide all
            </button>
          </div>
        </div>
        <ul className="plain workspace-run-list">
          {runs.map((r) => {
            const off = hidden.has(r.id);
            return (
              <li key={r.id} className={off ? 'off' : ''} data-testid="workspace-run" data-run-id={r.id}>
                <button
                  type="button"
                  className="eye"
                  aria-pressed={!off}
                  aria-label={`${off ? 'show' : 'hide'} ${r.name}`}
                  title={off ? 'show on the charts' : 'hide from the charts'}
                  onClick={() => toggle(r.id)}
                >
                  <span className="swatch" style={{ background: off ? '#e2e8f0' : colorOf(r) }} />
                </button>
                <Link to={`/runs/${enc(r.id)}`} className="name" title={r.name}>
                  {r.name}
                </Link>
                {colorBy ? <span className="muted small value">{cellText(r, colorBy) ?? '—'}</span> : <StatusBadge status={r.status} />}
              </li>
            );
          })}
        </ul>
      </aside>
      <div className="workspace-main">
        <div className="toolbar workspace-toolbar">
          <ChartSettingsBar settings={settings} />
          <label>
            Colour by
            <select value={colorBy} onChange={(e) => setQuery({ color: e.target.value })} name="color-by" data-testid="color-by">
              <option value="">run</option>
              {fields.map((f) => (
                <option key={f.value} value={f.value}>
                  {f.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Group
            <select value={groupBy} onChange={(e) => setQuery({ group: e.target.value })} name="chart-group" data-testid="chart-group">
              <option value="">no grouping</option>
              {fields.map((f) => (
                <option key={f.value} value={f.value}>
                  {f.label}
                </option>
              ))}
            </select>
          </label>
          <input
            placeholder="filter panels"
            defaultValue={panelFilter}
            onChange={(e) => setQuery({ panels: e.target.value })}
            name="panel-filter"
            className="narrow-w"
          />
        </div>
        {groups && (
          <div className="legend small" data-testid="chart-groups">
            {groups.map((g) => (
              <span key={g.key} className="legend-group">
                <span className="swatch" style={{ background: g.color }} />
                {g.key} <span className="muted">({g.members.length})</span>
              </span>
            ))}
            <span className="muted">mean line, min–max band</span>
          </div>
        )}
        <ErrorBox error={error} />
        {panels.length === 0 && <div className="empty">No metric {panelFilter ? `matches “${panelFilter}”` : 'logged yet'}.</div>}
        <div className="panel-grid" data-testid="panel-grid">
          {panels.map((key) => (
            <Panel
              key={key}
              metric={key}
              runs={shown}
              data={get(key, settings.xMode !== 'step')}
              request={request}
              settings={settings}
              colorOf={colorOf}
              groups={groups}
            />
          ))}
        </div>
      </div>
    </div>
  );
}

const xOf = (s: Series, run: RunRow, mode: ChartSettings['xMode']): ArrayLike<number> => {
  if (mode === 'step' || s.times.length !== s.steps.length) return s.steps;
  if (mode === 'wall') return s.times;
  const start = Date.parse(run.startedAt);
  return s.times.map((t) => (t - start) / 1000);
};

const Panel = memo(function Panel({
  metric,
  runs,
  data,
  request,
  settings,
  colorOf,
  groups,
}: {
  metric: string;
  runs: RunRow[];
  data: Map<string, Series> | null;
  request: (key: string, times: boolean) => void;
  settings: ChartSettings;
  colorOf: (run: RunRow) => string;
  groups: { key: string; members: RunRow[]; color: string }[] | null;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    const observer = new IntersectionObserver((entries) => setVisible(entries.some((e) => e.isIntersecting)), { rootMargin: '100px' });
    observer.observe(box.current!);
    return () => observer.disconnect();
  }, []);
  const { xMode } = settings;
  const timeAxis = xMode !== 'step';
  useEffect(() => {
    if (visible) request(metric, timeAxis);
  }, [visible, request, metric, timeAxis]);

  const series = useMemo<PlotSeries[] | null>(() => {
    if (!data) return null;
    if (groups) {
      return groups.flatMap((g) => {
        const members = g.members.flatMap((r) => {
          const s = data.get(r.id);
          return s?.steps.length ? [{ x: xOf(s, r, xMode), y: s.values }] : [];
        });
        if (members.length === 0) return [];
        const agg = aggregate(members);
        return [
          {
            id: `group:${g.key}`,
            label: `${g.key}`,
            color: g.color,
            x: agg.x,
            y: agg.mean,
            band: { lo: agg.min, hi: agg.max },
            detail: (i: number) => `mean of ${agg.count[i]}, min ${fmtNumber(agg.min[i])}, max ${fmtNumber(agg.max[i])}`,
          },
        ];
      });
    }
    return runs.flatMap((r) => {
      const s = data.get(r.id);
      if (!s || s.steps.length === 0) return [];
      return [{ id: r.id, label: r.name, color: colorOf(r), x: xOf(s, r, xMode), y: s.values, steps: s.steps, times: s.times.length ? s.times : undefined }];
    });
  }, [data, runs, xMode, colorOf, groups]);
  // Plot redraws only when a setting's value changes, so a fresh object each render is fine.
  const options = { ...settings, yLabel: metric };
  const sampled = data ? [...data.values()].some((s) => s.sampled) : false;
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: hovering only prefetches the points' times for the pointer readout; nothing is lost without it
    <div
      className="panel card"
      ref={box}
      data-testid="panel"
      data-key={metric}
      data-loaded={series ? 'yes' : 'no'}
      // The readout gives each point's time: read the times when the panel is first hovered.
      onMouseEnter={() => request(metric, true)}
    >
      <div className="metric-head">
        <strong title={metric}>{metric}</strong>
        <span className="muted small">
          {series
            ? `${series.length} ${groups ? 'group' : 'run'}${series.length === 1 ? '' : 's'}${sampled ? ' · downsampled' : ''}`
            : visible
              ? 'loading…'
              : ''}
        </span>
      </div>
      {series ? <Plot series={series} options={options} height={210} /> : <div className="plot-placeholder" style={{ height: 210 }} />}
    </div>
  );
});
