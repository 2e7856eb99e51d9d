// Incident desk: pick a dataset version (or a commit, or any node by id), see every model
// version downstream with its aliases now and at a chosen instant, and quarantine the data.
import { type FormEvent, useState } from 'react';
import {
  ImpactDocument,
  IncidentTargetDocument,
  LookupCodeCommitDocument,
  LookupDatasetVersionDocument,
  QuarantineDatasetVersionDocument,
} from '../generated/graphql';
import { useChangedAt, useMutation, useQuery } from '../hooks';
import { Link, enc, setQuery, useLocation } from '../router';
import { AliasBadges, Card, ErrorBox, Loading, PageHeader, QuarantineMark, RelativeTime, RunLink } from '../components/ui';
import { fmtTime, fromLocalInput, shortDigest, toLocalInput } from '../format';

export function IncidentPage() {
  const { query } = useLocation();
  const id = query.get('id');
  const at = query.get('at');
  const [dataset, setDataset] = useState(query.get('dataset') ?? '');
  const [version, setVersion] = useState(query.get('version') ?? '');
  const [repo, setRepo] = useState('');
  const [commit, setCommit] = useState('');
  const [lookupError, setLookupError] = useState<Error | null>(null);
  const lookupDataset = useMutation(LookupDatasetVersionDocument);
  const lookupCommit = useMutation(LookupCodeCommitDocument);

  const pickDataset = async (event: FormEvent) => {
    event.preventDefault();
    const data = await lookupDataset.run({ d: dataset.trim(), v: version.trim() });
    if (data?.datasetVersion) setQuery({ id: data.datasetVersion.id }, { replace: false });
    else setLookupError(new Error(data ? `no version ${version} of dataset ${dataset} (or you may not see it)` : 'lookup failed'));
  };
  const pickCommit = async (event: FormEvent) => {
    event.preventDefault();
    const data = await lookupCommit.run({ r: repo.trim(), c: commit.trim() });
    if (data?.codeCommit) setQuery({ id: data.codeCommit.id }, { replace: false });
    else setLookupError(new Error(data ? `no run reported commit ${commit} of ${repo}` : 'lookup failed'));
  };
  // A lookup error belongs to the search that failed: forget it when another node is shown.
  const [errorFor, setErrorFor] = useState(id);
  if (errorFor !== id) {
    setErrorFor(id);
    setLookupError(null);
  }

  return (
    <div className="page">
      <PageHeader title="Incident" sub="Which models did this data (or code) reach, and what served it then?" />
      <div className="columns">
        <Card title="Dataset version">
          <LookupForm
            fields={[
              ['dataset', 'dataset name', dataset, setDataset],
              ['version', 'version', version, setVersion],
            ]}
            onSubmit={pickDataset}
          />
        </Card>
        <Card title="Commit">
          <LookupForm
            fields={[
              ['repository', 'repository', repo, setRepo],
              ['commit', 'commit sha', commit, setCommit],
            ]}
            onSubmit={pickCommit}
          />
        </Card>
      </div>
      <ErrorBox error={lookupError ?? lookupDataset.error ?? lookupCommit.error} />
      {id && <ImpactView id={id} at={at} />}
    </div>
  );
}

/** Two inputs that name a node (dataset and version, repository and commit) and a submit button. */
function LookupForm({ fields, onSubmit }: { fields: [string, string, string, (v: string) => void][]; onSubmit: (e: FormEvent) => void }) {
  return (
    <form className="row" onSubmit={onSubmit}>
      {fields.map(([name, placeholder, value, set], i) => (
        <input
          key={name}
          name={name}
          placeholder={placeholder}
          value={value}
          onChange={(e) => set(e.target.value)}
          className={i > 0 ? 'narrow-w' : undefined}
        />
      ))}
      <button type="submit" disabled={fields.some(([, , value]) => !value)}>
        Show impact
      </button>
    </form>
  );
}

function ImpactView({ id, at }: { id: string; at: string | null }) {
  const target = useQuery(IncidentTargetDocument, { id });
  // "Now" is taken when the node or the instant changes (e.g. back to now), not on every render.
  const openedAt = useChangedAt(JSON.stringify([id, at]));
  const impact = useQuery(ImpactDocument, { id, at, aliasesAt: at ?? new Date(openedAt).toISOString() });
  const node = target.data?.node;
  const [reason, setReason] = useState('');
  const quarantine = useMutation(QuarantineDatasetVersionDocument);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await quarantine.run({ i: { id, reason } })) {
      setReason('');
      target.refetch();
      impact.refetch();
    }
  };
  return (
    <>
      <ErrorBox error={target.error ?? impact.error} />
      {node && (
        <Card
          title={
            node.__typename === 'DatasetVersion' ? (
              <>
                {node.dataset.name}@{node.version} <code className="small">{shortDigest(node.digest)}</code>
              </>
            ) : node.__typename === 'CodeCommit' ? (
              <>
                {node.repository} <code>{node.commit.slice(0, 10)}</code>
              </>
            ) : (
              node.__typename
            )
          }
          actions={
            <Link className="button ghost" to={`/lineage/${enc(id)}?dir=DOWNSTREAM${at ? `&at=${enc(at)}` : ''}`}>
              Lineage
            </Link>
          }
        >
          {node.__typename === 'DatasetVersion' &&
            (node.quarantine ? (
              <div className="blocked" data-testid="quarantined">
                <strong>Quarantined</strong> <RelativeTime iso={node.quarantine.at} /> by {node.quarantine.by ?? 'unknown'}: {node.quarantine.reason}
              </div>
            ) : (
              <form className="row" onSubmit={submit}>
                <input placeholder="What is wrong with this data?" value={reason} onChange={(e) => setReason(e.target.value)} name="quarantine-reason" />
                <button type="submit" className="danger" disabled={!reason.trim() || quarantine.busy}>
                  Quarantine
                </button>
              </form>
            ))}
          <ErrorBox error={quarantine.error} />
        </Card>
      )}
      <Card
        title="Model versions downstream"
        actions={
          <label className="small">
            Aliases at{' '}
            <input
              type="datetime-local"
              step={1}
              value={toLocalInput(at)}
              onChange={(e) => setQuery({ at: fromLocalInput(e.target.value) })}
              data-testid="impact-at"
            />
            {at && (
              <button type="button" className="ghost small" onClick={() => setQuery({ at: '' })}>
                Now
              </button>
            )}
          </label>
        }
      >
        {impact.loading && !impact.data && <Loading />}
        {impact.data && impact.data.impact.length === 0 && <p className="muted">No model version is downstream{at ? ' at that instant' : ''}.</p>}
        {impact.data && impact.data.impact.length > 0 && (
          <table className="table" data-testid="impact">
            <thead>
              <tr>
                <th>Model version</th>
                <th>Project</th>
                <th>Aliases now</th>
                <th>Aliases {at ? `at ${fmtTime(at)}` : 'then'}</th>
                <th>Trained by run</th>
              </tr>
            </thead>
            <tbody>
              {impact.data.impact.map((v) => (
                <tr key={v.id}>
                  <td className="strong">
                    <Link to={`/models/${enc(v.model.name)}`}>
                      {v.model.name} v{v.version}
                    </Link>{' '}
                    <QuarantineMark version={v} />
                  </td>
                  <td>{v.model.project.name}</td>
                  <td>
                    <AliasBadges aliases={v.aliases} />
                  </td>
                  <td>
                    <AliasBadges aliases={v.aliasesAt} />
                  </td>
                  <td>
                    <RunLink run={v.run} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}
