// One run: everything it logged, and a live chart per metric that resumes without a gap after
// a dropped connection (metricLogged with sinceStep) and refetches a finer downsample on zoom.
import { useEffect, useMemo, useRef, useState } from 'react';
import { gql, metricNumber, subscribe } from '../api';
import { useQuery } from '../hooks';
import { Link, enc } from '../router';
import { Chart, PALETTE } from '../components/Chart';
import { AliasBadges, Card, ErrorBox, KeyValues, Loading, PageHeader, StatusBadge } from '../components/ui';
import { fmtBytes, fmtDuration, fmtNumber, fmtTime, shortDigest } from '../format';

const RUN_QUERY = `query Run($id: ID!) {
  run(id: $id) {
    id name status user seed group notes startedAt endedAt durationSeconds deletedAt clientRunId
    project { name }
    parent { id name }
    params { key value } tags { key value } environment
    codeVersion { repository commit branch dirty diff { downloadUrl sizeBytes } }
    inputs { role createdAt
      datasetVersion { id version digest rowCount coverageStart coverageEnd sourceUri quarantine { reason by at } dataset { name } }
      modelVersion { id version model { name } } }
    artifacts { id name kind sizeBytes digest downloadUrl mediaType }
    modelVersions { id version aliases model { name } }
    metrics { key last lastStep count min max }
  }
}`;

interface RunData {
  run: null | {
    id: string;
    name: string;
    status: string;
    user: string | null;
    seed: string | null;
    group: string | null;
    notes: string | null;
    startedAt: string;
    endedAt: string | null;
    durationSeconds: number;
    deletedAt: string | null;
    clientRunId: string | null;
    project: { name: string };
    parent: { id: string; name: string } | null;
    params: { key: string; value: string }[];
    tags: { key: string; value: string }[];
    environment: unknown;
    codeVersion: { repository: string; commit: string; branch: string | null; dirty: boolean; diff: { downloadUrl: string; sizeBytes: number } | null } | null;
    inputs: {
      role: string;
      createdAt: string;
      datasetVersion: {
        id: string;
        version: string;
        digest: string;
        rowCount: number | null;
        coverageStart: string | null;
        coverageEnd: string | null;
        sourceUri: string | null;
        quarantine: { reason: string; by: string | null; at: string } | null;
        dataset: { name: string };
      } | null;
      modelVersion: { id: string; version: number; model: { name: string } } | null;
    }[];
    artifacts: { id: string; name: string; kind: string; sizeBytes: number; digest: string; downloadUrl: string; mediaType: string }[];
    modelVersions: { id: string; version: number; aliases: string[]; model: { name: string } }[];
    metrics: { key: string; last: number | string; lastStep: number; count: number; min: number | string | null; max: number | string | null }[];
  };
}

/** The points a chart holds for one key, in step order. */
interface Series {
  steps: number[];
  values: (number | null)[];
  sampled: boolean;
}

const HISTORY = `query($id: ID!, $key: String!, $max: Int, $from: SafeInt, $to: SafeInt) {
  run(id: $id) { metricHistory(key: $key, maxPoints: $max, fromStep: $from, toStep: $to) { sampled totalPoints points { step value } } }
}`;
interface HistoryData {
  run: { metricHistory: { sampled: boolean; totalPoints: number; points: { step: number; value: number | string }[] } };
}

export async function loadHistory(id: string, key: string, maxPoints: number, range: [number, number] | null): Promise<Series> {
  const data = await gql<HistoryData>(HISTORY, { id, key, max: maxPoints, from: range?.[0] ?? null, to: range?.[1] ?? null });
  const h = data.run.metricHistory;
  return { steps: h.points.map((p) => p.step), values: h.points.map((p) => metricNumber(p.value)), sampled: h.sampled };
}

const chartPoints = () => Math.min(4000, Math.max(400, Math.round(window.innerWidth * 1.5)));

export function RunPage({ id }: { id: string }) {
  const q = useQuery<RunData>(RUN_QUERY, { id });
  const run = q.data?.run;
  return (
    <div className="page">
      <ErrorBox error={q.error} />
      {q.loading && !q.data && <Loading />}
      {q.data && !run && <div className="empty">No run with id {id} (or you may not see it).</div>}
      {run && (
        <>
          <PageHeader
            title={
              <>
                {run.name} <StatusBadge status={run.status} />
                {run.deletedAt && <span className="badge status-killed">deleted</span>}
              </>
            }
            sub={
              <>
                <Link to={`/projects/${enc(run.project.name)}/runs`}>{run.project.name}</Link> · {run.user ?? 'unknown user'} · started {fmtTime(run.startedAt)}{' '}
                · {fmtDuration(run.durationSeconds)}
                {run.parent && (
                  <>
                    {' '}
                    · child of <Link to={`/runs/${enc(run.parent.id)}`}>{run.parent.name}</Link>
                  </>
                )}
              </>
            }
            actions={
              <Link className="button ghost" to={`/lineage/${enc(run.id)}`}>
                Lineage
              </Link>
            }
          />
          <LiveMetrics runId={run.id} initial={run.metrics} />
          <div className="columns">
            <Card title="Params">
              <KeyValues items={run.params.map((p) => ({ key: p.key, value: <code>{p.value}</code> }))} />
            </Card>
            <Card title="Tags">
              <KeyValues items={run.tags.map((p) => ({ key: p.key, value: p.value }))} />
            </Card>
            <Card title="Run">
              <KeyValues
                items={[
                  { key: 'id', value: <code>{run.id}</code> },
                  { key: 'seed', value: run.seed ?? '—' },
                  { key: 'group', value: run.group ?? '—' },
                  { key: 'client run id', value: run.clientRunId ?? '—' },
                  { key: 'ended', value: fmtTime(run.endedAt) },
                  { key: 'notes', value: run.notes ?? '—' },
                ]}
              />
            </Card>
            <Card title="Code version">
              {run.codeVersion ? (
                <KeyValues
                  items={[
                    { key: 'repository', value: run.codeVersion.repository },
                    { key: 'commit', value: <code>{run.codeVersion.commit}</code> },
                    { key: 'branch', value: run.codeVersion.branch ?? '—' },
                    { key: 'working tree', value: run.codeVersion.dirty ? <span className="badge warn">dirty</span> : 'clean' },
                    ...(run.codeVersion.diff
                      ? [{ key: 'diff', value: <a href={run.codeVersion.diff.downloadUrl}>download ({fmtBytes(run.codeVersion.diff.sizeBytes)})</a> }]
                      : []),
                  ]}
                />
              ) : (
                <p className="muted">not recorded</p>
              )}
            </Card>
          </div>
          <Card title="Inputs">
            {run.inputs.length === 0 ? (
              <p className="muted">none logged</p>
            ) : (
              <table className="table">
                <thead>
                  <tr>
                    <th>Role</th>
                    <th>Input</th>
                    <th>Digest</th>
                    <th>Coverage</th>
                    <th className="num">Rows</th>
                  </tr>
                </thead>
                <tbody>
                  {run.inputs.map((i, n) => (
                    <tr key={n}>
                      <td>{i.role}</td>
                      {i.datasetVersion ? (
                        <>
                          <td>
                            <Link to={`/lineage/${enc(i.datasetVersion.id)}`}>
                              {i.datasetVersion.dataset.name}@{i.datasetVersion.version}
                            </Link>
                            {i.datasetVersion.quarantine && (
                              <span className="badge danger" title={i.datasetVersion.quarantine.reason}>
                                quarantined
                              </span>
                            )}
                          </td>
                          <td>
                            <code title={i.datasetVersion.digest}>{shortDigest(i.datasetVersion.digest)}</code>
                          </td>
                          <td>
                            {i.datasetVersion.coverageStart ? `${fmtTime(i.datasetVersion.coverageStart)} → ${fmtTime(i.datasetVersion.coverageEnd)}` : '—'}
                          </td>
                          <td className="num">{fmtNumber(i.datasetVersion.rowCount)}</td>
                        </>
                      ) : (
                        <>
                          <td>
                            <Link to={`/models/${enc(i.modelVersion!.model.name)}`}>
                              {i.modelVersion!.model.name} v{i.modelVersion!.version}
                            </Link>
                          </td>
                          <td />
                          <td />
                          <td />
                        </>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Card>
          <div className="columns">
            <Card title="Artifacts">
              {run.artifacts.length === 0 ? (
                <p className="muted">none</p>
              ) : (
                <table className="table">
                  <tbody>
                    {run.artifacts.map((a) => (
                      <tr key={a.id}>
                        <td>
                          <a href={a.downloadUrl} download={a.name.split('/').pop()}>
                            {a.name}
                          </a>
                        </td>
                        <td>
                          <span className="badge">{a.kind.toLowerCase()}</span>
                        </td>
                        <td className="num">{fmtBytes(a.sizeBytes)}</td>
                        <td>
                          <code title={a.digest}>{shortDigest(a.digest)}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Card>
            <Card title="Model versions">
              {run.modelVersions.length === 0 ? (
                <p className="muted">none registered</p>
              ) : (
                <ul className="plain">
                  {run.modelVersions.map((v) => (
                    <li key={v.id}>
                      <Link to={`/models/${enc(v.model.name)}`}>
                        {v.model.name} v{v.version}
                      </Link>{' '}
                      <AliasBadges aliases={v.aliases} />
                    </li>
                  ))}
                </ul>
              )}
            </Card>
          </div>
          <Card title="Environment">
            {run.environment ? <pre className="json">{JSON.stringify(run.environment, null, 2)}</pre> : <p className="muted">not recorded</p>}
          </Card>
        </>
      )}
    </div>
  );
}

interface Batch {
  metricLogged: { points: { key: string; step: number; value: number | string }[]; resumeFromStep: number; dropped: boolean; replay: boolean };
}

/**
 * One chart per metric key. The first load is a server-side downsample; then points arrive
 * over metricLogged. After a drop it resubscribes with sinceStep = the last resumeFromStep and
 * first discards its points at or past that step, as the API asks, so nothing is missed or doubled.
 */
function LiveMetrics({ runId, initial }: { runId: string; initial: { key: string; lastStep: number }[] }) {
  const [series, setSeries] = useState<Map<string, Series> | null>(null);
  const [state, setState] = useState<'live' | 'reconnecting'>('live');
  const store = useRef(new Map<string, Series>());
  const resume = useRef<number | null>(null);
  const initialKeys = useMemo(() => initial.map((m) => m.key).join('\u0000'), [initial]);

  useEffect(() => {
    let cancelled = false;
    let sub: { stop(): void } | null = null;
    const max = chartPoints();
    void Promise.all(initial.map(async (m) => [m.key, await loadHistory(runId, m.key, max, null)] as const)).then((loaded) => {
      if (cancelled) return;
      store.current = new Map(loaded);
      setSeries(new Map(store.current));
      // Points logged after the summaries were read come in the replay.
      resume.current = initial.length ? Math.min(...initial.map((m) => m.lastStep)) + 1 : 0;
      let pending = false;
      sub = subscribe<Batch>(
        `subscription($runId: ID!, $since: SafeInt) { metricLogged(runId: $runId, sinceStep: $since) { points { key step value } resumeFromStep dropped replay } }`,
        () => {
          const since = resume.current ?? 0;
          for (const s of store.current.values()) {
            let keep = s.steps.length;
            while (keep > 0 && s.steps[keep - 1]! >= since) keep -= 1;
            s.steps.length = keep;
            s.values.length = keep;
          }
          return { runId, since };
        },
        ({ metricLogged: batch }) => {
          for (const p of batch.points) {
            let s = store.current.get(p.key);
            if (!s) {
              s = { steps: [], values: [], sampled: false };
              store.current.set(p.key, s);
            }
            const last = s.steps.length ? s.steps[s.steps.length - 1]! : -Infinity;
            if (p.step > last) {
              s.steps.push(p.step);
              s.values.push(metricNumber(p.value));
            } else if (p.step === last) {
              s.values[s.values.length - 1] = metricNumber(p.value);
            }
          }
          resume.current = batch.resumeFromStep;
          // One render per frame however many batches arrive.
          if (!pending) {
            pending = true;
            requestAnimationFrame(() => {
              pending = false;
              if (!cancelled) setSeries(new Map(store.current));
            });
          }
        },
        setState,
      );
    });
    return () => {
      cancelled = true;
      sub?.stop();
    };
  }, [runId, initialKeys]);

  if (!series) return <Loading what="Loading metrics" />;
  const keys = [...series.keys()].sort();
  return (
    <Card
      title="Metrics"
      actions={
        <span className="muted small">
          <span className={`live-dot ${state}`} /> {state === 'live' ? 'live' : 'reconnecting…'} · drag to zoom, double-click to reset
        </span>
      }
    >
      {keys.length === 0 ? (
        <p className="muted">No metrics logged yet; they appear here as the run logs them.</p>
      ) : (
        <div className="charts">
          {keys.map((key, i) => (
            <MetricChart key={key} runId={runId} metricKey={key} live={series.get(key)!} color={PALETTE[i % PALETTE.length]!} />
          ))}
        </div>
      )}
    </Card>
  );
}

function MetricChart({ runId, metricKey, live, color }: { runId: string; metricKey: string; live: Series; color: string }) {
  const [zoom, setZoom] = useState<{ range: [number, number]; data: Series | null } | null>(null);
  const onZoom = (range: [number, number] | null) => {
    if (!range) return setZoom(null);
    setZoom({ range, data: null });
    void loadHistory(runId, metricKey, chartPoints(), range).then((data) => setZoom((z) => (z && z.range === range ? { range, data } : z)));
  };
  const shown = zoom?.data ?? live;
  // A new array identity per update so the chart redraws; the live arrays are appended in place.
  const chartSeries = useMemo(
    () => [{ label: metricKey, color, steps: shown.steps.slice(), values: shown.values.slice() }],
    [shown, shown.steps.length, metricKey, color, live.values[live.values.length - 1]],
  );
  const lastStep = live.steps.length ? live.steps[live.steps.length - 1]! : null;
  const lastValue = live.values.length ? live.values[live.values.length - 1] : null;
  return (
    <div
      className="metric"
      data-testid="metric-chart"
      data-key={metricKey}
      data-points={live.steps.length}
      data-last-step={lastStep ?? ''}
      data-zoomed={zoom ? 'yes' : 'no'}
    >
      <div className="metric-head">
        <strong>{metricKey}</strong>
        <span className="muted small">
          {lastStep !== null && (
            <>
              step {lastStep.toLocaleString()} · {fmtNumber(lastValue)}
            </>
          )}
          {live.sampled && !zoom && ' · downsampled'}
          {zoom && (
            <>
              {' '}
              · steps {zoom.range[0]}–{zoom.range[1]} {zoom.data ? '' : '(loading)'}{' '}
              <button className="link" onClick={() => setZoom(null)}>
                reset
              </button>
            </>
          )}
        </span>
      </div>
      <Chart series={chartSeries} onZoom={onZoom} height={200} />
    </div>
  );
}
