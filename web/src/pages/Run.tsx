// One run: everything it logged, and a live chart per metric that resumes without a gap after
// a dropped connection (metricLogged with sinceStep) and refetches a finer downsample on zoom.
import { RunDocument } from '../generated/graphql';
import { useQuery } from '../hooks';
import { Link, enc } from '../router';
import { LiveMetrics } from './run-metrics';
import { runVariables } from './run-query';
import { DeleteRestoreButton, NotesEditor, type RunPatch, TagsEditor } from './run-edit';
import { RunMedia } from './run-media';
import { ReproduceCard } from './run-reproduce';
import { AliasBadges, Card, ErrorBox, KeyValues, Loading, PageHeader, QuarantineMark, RelativeTime, StatusBadge } from '../components/ui';
import { fmtBytes, fmtDuration, fmtNumber, fmtTime, shortDigest } from '../format';

export function RunPage({ id }: { id: string }) {
  const q = useQuery(RunDocument, runVariables(id));
  const run = q.data?.run;
  // An edit changes a few fields: patched in place, so the charts keep their live state.
  const patch = (changed: RunPatch) => q.setData((d) => (d?.run ? { run: { ...d.run, ...changed } } : d));
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
                <Link to={`/projects/${enc(run.project.name)}/runs`}>{run.project.name}</Link> · {run.user ?? 'unknown user'} · started{' '}
                <RelativeTime iso={run.startedAt} /> · {fmtDuration(run.durationSeconds)}
                {run.parent && (
                  <>
                    {' '}
                    · child of <Link to={`/runs/${enc(run.parent.id)}`}>{run.parent.name}</Link>
                  </>
                )}
              </>
            }
            actions={
              <>
                <Link className="button ghost" to={`/lineage/${enc(run.id)}`}>
                  Lineage
                </Link>
                <DeleteRestoreButton runId={run.id} deleted={!!run.deletedAt} onDone={patch} />
              </>
            }
          />
          <LiveMetrics runId={run.id} startedAt={run.startedAt} initial={run.metrics} histories={run.metricHistories} running={run.status === 'RUNNING'} />
          <RunMedia runId={run.id} keys={run.mediaKeys} />
          <div className="columns">
            <Card title="Params">
              <KeyValues items={run.params.map((p) => ({ key: p.key, value: <code>{p.value}</code> }))} />
            </Card>
            <Card title="Tags">
              <TagsEditor runId={run.id} tags={run.tags} onSaved={patch} />
            </Card>
            <Card title="Run">
              <KeyValues
                items={[
                  { key: 'id', value: <code>{run.id}</code> },
                  { key: 'seed', value: run.seed ?? '—' },
                  { key: 'group', value: run.group ?? '—' },
                  { key: 'client run id', value: run.clientRunId ?? '—' },
                  { key: 'ended', value: run.endedAt ? <RelativeTime iso={run.endedAt} /> : '—' },
                ]}
              />
            </Card>
            <Card title="Notes">
              <NotesEditor runId={run.id} notes={run.notes} onSaved={patch} />
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
                    // biome-ignore lint/suspicious/noArrayIndexKey: a run's inputs are a fixed list from one answer, never reordered (a version may appear in two roles)
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
                      <AliasBadges aliases={v.aliases} /> <QuarantineMark version={v} />
                    </li>
                  ))}
                </ul>
              )}
            </Card>
          </div>
          <ReproduceCard run={run} />
          <Card title="Environment">
            {run.environment ? <pre className="json">{JSON.stringify(run.environment, null, 2)}</pre> : <p className="muted">not recorded</p>}
          </Card>
        </>
      )}
    </div>
  );
}
