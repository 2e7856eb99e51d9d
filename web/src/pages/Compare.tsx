// Runs side by side: params and latest metrics in one column per run (names as logged), the
// differing rows marked, one metric overlaid (smoothing, log axis, x by step or time, hover
// readout), and parallel coordinates of the params against a chosen metric.
import { useEffect, useMemo, useState } from 'react';
import { gql, metricNumber } from '../api';
import { CompareDocument, CompareHistoriesDocument, type CompareQuery } from '../generated/graphql';
import { useQuery } from '../hooks';
import { setQuery, useLocation } from '../router';
import { ChartSettingsBar, useChartSettings } from '../components/ChartSettings';
import { ParallelCoordinates } from '../components/ParallelCoordinates';
import { Plot, type PlotSeries } from '../components/Plot';
import { Card, ErrorBox, Loading, PageHeader, RunLink } from '../components/ui';
import { fmtNumber } from '../format';
import { runColor } from '../plot/colors';
import { type SeriesData, toSeries, xValues } from './run-metrics';

type CompareRun = CompareQuery['compareRuns']['runs'][number];

export function ComparePage() {
  const { query } = useLocation();
  const ids = (query.get('ids') ?? '').split(',').filter(Boolean);
  const onlyDiff = query.get('diff') === '1';
  const q = useQuery(CompareDocument, { ids }, { skip: ids.length < 2 });
  const data = q.data?.compareRuns;
  const metricKeys = data?.metrics.map((m) => m.key) ?? [];
  const metric = query.get('metric') ?? metricKeys[0] ?? '';

  return (
    <div className="page">
      <PageHeader title="Compare runs" sub={data ? `${data.runs.length} runs` : undefined} />
      {ids.length < 2 && <div className="empty">Select two or more runs in a project's run table, then press Compare.</div>}
      <ErrorBox error={q.error} />
      {q.loading && !data && <Loading />}
      {data && (
        <>
          <Card
            title="Params and latest metrics"
            actions={
              <label className="small">
                <input type="checkbox" checked={onlyDiff} onChange={(e) => setQuery({ diff: e.target.checked ? '1' : '' })} /> only differences
              </label>
            }
          >
            <CompareTable data={data} onlyDiff={onlyDiff} />
          </Card>
          {metricKeys.length > 0 && (
            <>
              <Card
                title="Metric"
                actions={
                  <select value={metric} onChange={(e) => setQuery({ metric: e.target.value })} data-testid="compare-metric">
                    {metricKeys.map((k) => (
                      <option key={k}>{k}</option>
                    ))}
                  </select>
                }
              >
                <Overlay runs={data.runs} metric={metric} />
              </Card>
              <Card title={`Parallel coordinates: params against ${metric}`}>
                <ParallelCoordinates
                  runs={data.runs.map((r) => ({ name: r.name, color: runColor(r.id) }))}
                  axes={[
                    ...data.params.filter((p) => p.differs).map((p) => ({ label: p.key, values: p.values })),
                    { label: metric, values: data.metrics.find((m) => m.key === metric)?.values.map((v) => metricNumber(v)) ?? [], isTarget: true },
                  ]}
                />
              </Card>
            </>
          )}
        </>
      )}
    </div>
  );
}

/** One column per run, every value of a run in its column and aligned the same way. */
function CompareTable({ data, onlyDiff }: { data: CompareQuery['compareRuns']; onlyDiff: boolean }) {
  const runs = data.runs;
  const row = (kind: 'param' | 'metric', key: string, values: (string | number | null)[], differs: boolean) => (
    <tr
      key={`${kind}.${key}`}
      className={differs ? 'differs' : ''}
      data-param={kind === 'param' ? key : undefined}
      data-metric={kind === 'metric' ? key : undefined}
      data-differs={differs}
    >
      <th scope="row" title={key}>
        {differs && <span className="diff-mark" title="differs" />}
        {key}
      </th>
      {values.map((v, i) => (
        <td key={runs[i]!.id} data-run-id={runs[i]!.id}>
          {v === null ? <span className="muted">—</span> : kind === 'metric' ? fmtNumber(metricNumber(v)) : v}
        </td>
      ))}
    </tr>
  );
  return (
    <div className="scroll-x">
      <table className="table compare" data-testid="compare-table" style={{ minWidth: 200 + runs.length * 150 }}>
        <colgroup>
          <col className="compare-key" />
          {runs.map((r) => (
            <col key={r.id} />
          ))}
        </colgroup>
        <thead>
          <tr>
            <th />
            {runs.map((r) => (
              <th key={r.id} data-run-id={r.id} className="compare-run">
                <span className="swatch" style={{ background: runColor(r.id) }} />
                <RunLink run={r} />
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr className="section">
            <td colSpan={runs.length + 1}>Params</td>
          </tr>
          {data.params.filter((p) => !onlyDiff || p.differs).map((p) => row('param', p.key, p.values, p.differs))}
          <tr className="section">
            <td colSpan={runs.length + 1}>Metrics (latest)</td>
          </tr>
          {data.metrics.filter((m) => !onlyDiff || m.differs).map((m) => row('metric', m.key, m.values, m.differs))}
        </tbody>
      </table>
    </div>
  );
}

function Overlay({ runs, metric }: { runs: CompareRun[]; metric: string }) {
  const settings = useChartSettings();
  const [loaded, setLoaded] = useState<{ metric: string; series: SeriesData[] } | null>(null);
  const [error, setError] = useState<Error | null>(null);
  // The runs arrive as a new array on every answer: ask again only when the set of ids changes.
  const idsKey = JSON.stringify(runs.map((r) => r.id));
  useEffect(() => {
    let cancelled = false;
    gql(CompareHistoriesDocument, { ids: JSON.parse(idsKey) as string[], keys: [metric], max: 1000 }).then(
      (d) => !cancelled && setLoaded({ metric, series: d.metricHistories }),
      (e: Error) => !cancelled && setError(e),
    );
    return () => {
      cancelled = true;
    };
  }, [idsKey, metric]);
  const { xMode } = settings;
  const series = useMemo<PlotSeries[] | null>(() => {
    if (!loaded || loaded.metric !== metric) return null;
    return runs.map((r, i) => {
      const s = toSeries(loaded.series[i]!);
      return {
        id: r.id,
        label: r.name,
        color: runColor(r.id),
        x: xValues(s, xMode, Date.parse(r.startedAt)),
        y: s.values,
        steps: s.steps,
        times: s.times,
      };
    });
  }, [loaded, metric, runs, xMode]);
  // Plot redraws only when a setting's value changes, so a fresh object each render is fine.
  const options = { ...settings, yLabel: metric };
  if (error) return <ErrorBox error={error} />;
  if (!series) return <Loading />;
  return (
    <>
      <ChartSettingsBar settings={settings} />
      <Plot series={series} options={options} height={280} />
    </>
  );
}
