// A run's metrics on its page: one chart per key, loaded with the run (one round trip) as a
// downsample, then kept live. Each series resumes after its own last step (an evaluation metric
// logged every 1,000 steps does not drag the loss back to its start), and live points are merged
// at the downsample's density, so the page never receives or holds a flood of raw points.
import { useEffect, useMemo, useState } from 'react';
import { gql, type LiveState, metricNumber, type Subscription, subscribe } from '../api';
import { type ChartSettings, ChartSettingsBar, useChartSettings } from '../components/ChartSettings';
import { Plot, type PlotSeries } from '../components/Plot';
import { Card, LiveDot, Loading } from '../components/ui';
import { fmtNumber } from '../format';
import { emptySeries, keyedGroups, mergePoint, resumePlan, type Series, seriesFrom } from '../live-series';
import { PALETTE } from '../plot/colors';
import {
  MetricHistoryDocument,
  MetricLoggedDocument,
  type MetricLoggedSubscription,
  type RunQuery,
  RunMetricKeysDocument,
  type SeriesFieldsFragment,
} from '../generated/graphql';
import { chartPoints } from './run-query';

/** A metric series as queried; its times (milliseconds) are left out where the chart does not need them. */
export type SeriesData = Omit<SeriesFieldsFragment, 'timestampsMs'> & { timestampsMs?: number[] | undefined };

export function toSeries(h: SeriesData): Series {
  return seriesFrom({
    steps: h.steps,
    values: h.values.map(metricNumber),
    times: h.timestampsMs,
    sampled: h.sampled,
    bucketSteps: h.bucketSteps,
  });
}

export async function loadHistory(id: string, key: string, maxPoints: number, range: [number, number] | null): Promise<Series> {
  const data = await gql(MetricHistoryDocument, { id, key, max: maxPoints, from: range?.[0] ?? null, to: range?.[1] ?? null });
  if (!data.run) throw new Error(`run ${id} is gone (or you may no longer see it)`);
  return toSeries(data.run.metricHistory);
}

/** A metric's summary as the run query gives it. */
export type Summary = Pick<NonNullable<RunQuery['run']>['metrics'][number], 'key' | 'last' | 'lastStep' | 'lastTimestamp'>;

// Keys first logged behind the others appear only through a poll while the run is running.
const NEW_KEYS_POLL_MS = 10_000;

function worst(states: Iterable<LiveState>): LiveState {
  let result: LiveState = { state: 'live' };
  for (const s of states) {
    if (s.state === 'failed') return s;
    if (s.state === 'reconnecting') result = s;
  }
  return result;
}

/**
 * Holds the series and the subscriptions that feed them. A series that grows past twice the
 * chart's points (a long live run) is read again as a downsample; points that arrive while it
 * is read are merged again afterwards.
 */
function useLiveSeries(runId: string, initial: Summary[], histories: SeriesData[], running: boolean) {
  const [series, setSeries] = useState<Map<string, Series>>(() => new Map());
  const [state, setState] = useState<LiveState>({ state: 'live' });
  // The subscriptions restart when the run, its running state or its set of metric keys changes,
  // seeded from the summaries and histories of that moment: a re-fetched summary alone keeps them.
  const seedKey = JSON.stringify([runId, running, initial.map((m) => m.key)]);
  const [seed, setSeed] = useState({ key: seedKey, runId, running, initial, histories });
  if (seed.key !== seedKey) setSeed({ key: seedKey, runId, running, initial, histories });

  useEffect(() => {
    const { runId, running, initial, histories } = seed;
    let cancelled = false;
    const store = new Map<string, Series>();
    const subs: Subscription[] = [];
    const states = new Map<number, LiveState>();
    const reloading = new Map<string, { step: number; value: number | null; time: number }[]>();
    const max = chartPoints();
    let pending = false;
    const render = () => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        if (!cancelled) setSeries(new Map(store));
      });
    };

    const reload = (key: string) => {
      if (reloading.has(key)) return;
      reloading.set(key, []);
      void loadHistory(runId, key, max, null).then(
        (fresh) => {
          const late = reloading.get(key) ?? [];
          reloading.delete(key);
          if (cancelled) return;
          for (const p of late) mergePoint(fresh, p.step, p.value, p.time);
          store.set(key, fresh);
          render();
        },
        () => reloading.delete(key),
      );
    };

    const onBatch = (batch: MetricLoggedSubscription['metricLogged']) => {
      for (const p of batch.points) {
        let s = store.get(p.key);
        if (!s) store.set(p.key, (s = emptySeries()));
        const point = { step: p.step, value: metricNumber(p.value), time: Date.parse(p.timestamp) };
        if (mergePoint(s, point.step, point.value, point.time)) reloading.get(p.key)?.push(point);
        if (s.steps.length > 2 * max) reload(p.key);
      }
      render();
    };

    const open = (since: number, keys: string[] | null) => {
      const id = subs.length;
      let resume = since;
      subs.push(
        subscribe(
          MetricLoggedDocument,
          () => ({ runId, since: resume, keys }),
          (data) => {
            resume = data.metricLogged.resumeFromStep;
            onBatch(data.metricLogged);
          },
          (s) => {
            states.set(id, s);
            if (!cancelled) setState(worst(states.values()));
          },
        ),
      );
    };

    const sinceOf = (keys: { key: string; lastStep: number }[]) => new Map(keys.map((m) => [m.key, Math.max(m.lastStep, store.get(m.key)?.lastStep ?? 0)]));

    for (const h of histories) store.set(h.key, toSeries(h));
    for (const m of initial) {
      const s = store.get(m.key) ?? emptySeries();
      // A downsample keeps each bucket's extremes, not necessarily the latest point: the summary has it.
      mergePoint(s, m.lastStep, metricNumber(m.last), Date.parse(m.lastTimestamp));
      store.set(m.key, s);
    }
    setSeries(new Map(store));
    const plan = resumePlan(sinceOf(initial));
    open(plan.all, null);
    for (const g of plan.groups) open(g.since, g.keys);

    // A key first logged below the others' steps is outside the unfiltered subscription's range.
    const poll = running
      ? setInterval(() => {
          void gql(RunMetricKeysDocument, { id: runId }).then(
            async (d) => {
              const fresh = d.run?.metrics.filter((m) => !store.has(m.key)) ?? [];
              for (const m of fresh) store.set(m.key, await loadHistory(runId, m.key, max, null));
              if (cancelled || fresh.length === 0) return;
              for (const g of keyedGroups(sinceOf(fresh))) open(g.since, g.keys);
              render();
            },
            () => {},
          );
        }, NEW_KEYS_POLL_MS)
      : null;

    return () => {
      cancelled = true;
      if (poll) clearInterval(poll);
      for (const s of subs) s.stop();
    };
  }, [seed]);

  return { series, state };
}

export function LiveMetrics({
  runId,
  startedAt,
  initial,
  histories,
  running,
}: {
  runId: string;
  startedAt: string;
  initial: Summary[];
  histories: SeriesData[] | null;
  running: boolean;
}) {
  const settings = useChartSettings();
  if (!histories) return <Loading what="Loading metrics" />;
  return <LiveCharts runId={runId} startedAt={Date.parse(startedAt)} initial={initial} histories={histories} running={running} settings={settings} />;
}

function LiveCharts({
  runId,
  startedAt,
  initial,
  histories,
  running,
  settings,
}: {
  runId: string;
  startedAt: number;
  initial: Summary[];
  histories: SeriesData[];
  running: boolean;
  settings: ChartSettings;
}) {
  const { series, state } = useLiveSeries(runId, initial, histories, running);
  const keys = [...series.keys()].sort();
  return (
    <Card
      title="Metrics"
      actions={
        <>
          <ChartSettingsBar settings={settings} />
          <span className="muted small">
            <LiveDot state={state} />
          </span>
        </>
      }
    >
      {keys.length === 0 ? (
        <p className="muted">No metrics logged yet; they appear here as the run logs them.</p>
      ) : (
        <div className="charts">
          {keys.map((key, i) => (
            <MetricChart
              key={key}
              runId={runId}
              metricKey={key}
              live={series.get(key)!}
              color={PALETTE[i % PALETTE.length]!}
              settings={settings}
              startedAt={startedAt}
            />
          ))}
        </div>
      )}
      <p className="muted small hint">Hover for values; drag across a chart to zoom (a finer downsample is read), double-click to reset.</p>
    </Card>
  );
}

/** A series on the x axis asked for: steps, wall-clock ms, or seconds since the run started. */
export function xValues(s: Series, mode: ChartSettings['xMode'], startedAt: number): ArrayLike<number> {
  if (mode === 'step' || s.times.length !== s.steps.length) return s.steps;
  if (mode === 'wall') return s.times;
  return s.times.map((t) => (t - startedAt) / 1000);
}

/** The steps an x range covers, for reading a finer downsample of it. */
function stepRange(s: Series, x: ArrayLike<number>, range: [number, number]): [number, number] {
  if (x === s.steps || s.steps.length === 0) return [Math.floor(range[0]), Math.ceil(range[1])];
  let a = 0;
  while (a < x.length - 1 && x[a + 1]! <= range[0]) a += 1;
  let b = x.length - 1;
  while (b > 0 && x[b - 1]! >= range[1]) b -= 1;
  return [s.steps[a]!, s.steps[b]!];
}

function MetricChart({
  runId,
  metricKey,
  live,
  color,
  settings,
  startedAt,
}: {
  runId: string;
  metricKey: string;
  live: Series;
  color: string;
  settings: ChartSettings;
  startedAt: number;
}) {
  const [zoom, setZoom] = useState<{ range: [number, number]; steps: [number, number]; data: Series | null } | null>(null);
  // A zoom is a range of x in one x mode: another mode shows the whole series again.
  const { xMode } = settings;
  const [zoomMode, setZoomMode] = useState(xMode);
  if (zoomMode !== xMode) {
    setZoomMode(xMode);
    setZoom(null);
  }
  const shown = zoom?.data ?? live;
  const x = xValues(shown, xMode, startedAt);
  const onZoom = (range: [number, number] | null) => {
    if (!range) return setZoom(null);
    const steps = stepRange(shown, x, range);
    setZoom({ range, steps, data: null });
    void loadHistory(runId, metricKey, chartPoints(), steps).then((data) => setZoom((z) => (z && z.range === range ? { ...z, data } : z)));
  };
  // A new series object per update so the chart redraws; the live arrays are changed in place, so
  // their length and last point are what says they changed (the rule cannot see in-place changes).
  // biome-ignore lint/correctness/useExhaustiveDependencies(live.lastStep): version of the in-place live arrays (the latest point moved)
  // biome-ignore lint/correctness/useExhaustiveDependencies(live.lastValue): version of the in-place live arrays (the last step's value replaced)
  const plotSeries = useMemo<PlotSeries[]>(
    () => [
      {
        id: runId,
        label: metricKey,
        color,
        x: Array.from(xValues(shown, xMode, startedAt)),
        y: shown.values.slice(),
        steps: shown.steps.slice(),
        times: shown.times.slice(),
      },
    ],
    [runId, shown, shown.steps.length, metricKey, color, live.lastStep, live.lastValue, xMode, startedAt],
  );
  // Plot redraws only when a setting's value changes, so a fresh object each render is fine.
  const options = { ...settings, yLabel: metricKey };
  return (
    <div
      className="metric"
      data-testid="metric-chart"
      data-key={metricKey}
      data-points={live.steps.length}
      data-last-step={live.lastStep ?? ''}
      data-zoomed={zoom ? 'yes' : 'no'}
    >
      <div className="metric-head">
        <strong>{metricKey}</strong>
        <span className="muted small">
          {live.lastStep !== null && (
            <>
              step {live.lastStep.toLocaleString()} · {fmtNumber(live.lastValue)}
            </>
          )}
          {live.sampled && !zoom && ' · downsampled'}
          {zoom && (
            <>
              {' '}
              · steps {zoom.steps[0]}–{zoom.steps[1]} {zoom.data ? '' : '(loading)'}{' '}
              <button type="button" className="link" onClick={() => setZoom(null)}>
                reset
              </button>
            </>
          )}
        </span>
      </div>
      <Plot series={plotSeries} options={options} onZoom={onZoom} view={zoom ? zoom.range : null} height={200} />
    </div>
  );
}
