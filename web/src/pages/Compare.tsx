// Runs side by side: params with the differing ones marked, one metric overlaid, and
// parallel coordinates of the params against a chosen metric.
import { useEffect, useMemo, useState } from 'react';
import { metricNumber } from '../api';
import { useQuery } from '../hooks';
import { setQuery, useLocation } from '../router';
import { Chart, type ChartSeries, PALETTE } from '../components/Chart';
import { ParallelCoordinates } from '../components/ParallelCoordinates';
import { Card, ErrorBox, Loading, PageHeader, RunLink } from '../components/ui';
import { fmtNumber } from '../format';
import { loadHistory } from './run-metrics';
import { emptySeries } from '../live-series';

interface Data {
  compareRuns: {
    runs: { id: string; name: string; status: string; project: { name: string } }[];
    params: { key: string; values: (string | null)[]; differs: boolean }[];
    metrics: { key: string; values: (number | string | null)[]; differs: boolean }[];
  };
}

export function ComparePage() {
  const { query } = useLocation();
  const ids = (query.get('ids') ?? '').split(',').filter(Boolean);
  const onlyDiff = query.get('diff') === '1';
  const q = useQuery<Data>(
    `query($ids: [ID!]!) { compareRuns(ids: $ids) { runs { id name status project { name } } params { key values differs } metrics { key values differs } } }`,
    { ids },
    { skip: ids.length < 2 },
  );
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
            <div className="scroll-x">
              <table className="table compare" data-testid="compare-table">
                <thead>
                  <tr>
                    <th />
                    {data.runs.map((r, i) => (
                      <th key={r.id}>
                        <span className="swatch" style={{ background: PALETTE[i % PALETTE.length] }} />
                        <RunLink run={r} />
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  <tr className="section">
                    <td colSpan={data.runs.length + 1}>Params</td>
                  </tr>
                  {data.params
                    .filter((p) => !onlyDiff || p.differs)
                    .map((p) => (
                      <tr key={`p.${p.key}`} className={p.differs ? 'differs' : ''} data-param={p.key} data-differs={p.differs}>
                        <th>
                          {p.differs && <span className="diff-mark" title="differs" />}
                          {p.key}
                        </th>
                        {p.values.map((v, i) => (
                          <td key={i}>{v ?? <span className="muted">—</span>}</td>
                        ))}
                      </tr>
                    ))}
                  <tr className="section">
                    <td colSpan={data.runs.length + 1}>Metrics (latest)</td>
                  </tr>
                  {data.metrics
                    .filter((m) => !onlyDiff || m.differs)
                    .map((m) => (
                      <tr key={`m.${m.key}`} className={m.differs ? 'differs' : ''}>
                        <th>
                          {m.differs && <span className="diff-mark" title="differs" />}
                          {m.key}
                        </th>
                        {m.values.map((v, i) => (
                          <td key={i} className="num">
                            {fmtNumber(metricNumber(v))}
                          </td>
                        ))}
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
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
                  runs={data.runs.map((r, i) => ({ name: r.name, color: PALETTE[i % PALETTE.length]! }))}
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

function Overlay({ runs, metric }: { runs: { id: string; name: string }[]; metric: string }) {
  const [series, setSeries] = useState<ChartSeries[] | null>(null);
  const [range, setRange] = useState<[number, number] | null>(null);
  const key = runs.map((r) => r.id).join(',');
  useEffect(() => {
    let cancelled = false;
    void Promise.all(runs.map((r) => loadHistory(r.id, metric, 1000, range).catch(() => emptySeries()))).then((loaded) => {
      if (!cancelled) setSeries(loaded.map((s, i) => ({ label: runs[i]!.name, color: PALETTE[i % PALETTE.length]!, steps: s.steps, values: s.values })));
    });
    return () => {
      cancelled = true;
    };
  }, [key, metric, range]);
  const shown = useMemo(() => series, [series]);
  if (!shown) return <Loading />;
  return <Chart series={shown} onZoom={setRange} height={260} />;
}
