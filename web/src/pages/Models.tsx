// The model registry: models, versions, aliases now, the alias history as a timeline, and
// moving or rolling back an alias with a reason. A promotion refused because of quarantined
// data shows that data and offers the recorded override.
import { type FormEvent, useState } from 'react';
import { GqlError } from '../api';
import {
  AllProjectsModelsDocument,
  ModelDocument,
  type ModelRowFragment,
  OneProjectModelsDocument,
  RollbackModelAliasDocument,
  SetModelAliasDocument,
} from '../generated/graphql';
import { type Connection, useMutation, usePages, useQuery } from '../hooks';
import { Link, enc, setQuery, useLocation } from '../router';
import {
  AliasBadges,
  Card,
  ErrorBox,
  Loading,
  LoadMore,
  PageHeader,
  PagesStatus,
  QuarantineMark,
  RelativeTime,
  RunLink,
  type VersionQuarantine,
} from '../components/ui';
import { fmtTime } from '../format';

type ModelRow = ModelRowFragment;
const NO_MODELS: Connection<ModelRow> = { pageInfo: { hasNextPage: false, endCursor: null }, edges: [] };

export function ModelsPage() {
  const only = useLocation().query.get('project');
  return (
    <div className="page">
      <PageHeader
        title="Models"
        sub={
          only ? (
            <>
              in {only} · <Link to="/models">all projects</Link>
            </>
          ) : (
            'Registered models of every project you can see.'
          )
        }
      />
      {only ? <OneProjectModels name={only} /> : <AllProjectsModels />}
    </div>
  );
}

function AllProjectsModels() {
  const q = usePages(AllProjectsModelsDocument, {}, (d) => d.projects);
  const projects = q.items.filter((p) => p.registeredModels.edges.length > 0);
  return (
    <>
      <PagesStatus q={q} shown={projects.length} empty={<div className="empty">No registered models yet.</div>} />
      {projects.map((p) => (
        <Card key={p.name} title={<Link to={`/projects/${enc(p.name)}/runs`}>{p.name}</Link>}>
          <ModelsTable models={p.registeredModels.edges.map((e) => e.node)} />
          {p.registeredModels.pageInfo.hasNextPage && <Link to={`/models?project=${enc(p.name)}`}>All models of {p.name}</Link>}
        </Card>
      ))}
      <LoadMore more={q.more} what="more projects" />
    </>
  );
}

function OneProjectModels({ name }: { name: string }) {
  const q = usePages(OneProjectModelsDocument, { name }, (d) => d.project?.registeredModels ?? NO_MODELS);
  return (
    <>
      <PagesStatus q={q} empty={<div className="empty">No registered models yet.</div>} />
      {q.items.length > 0 && (
        <Card title={<Link to={`/projects/${enc(name)}/runs`}>{name}</Link>}>
          <ModelsTable models={q.items} />
          <LoadMore more={q.more} what="more models" />
        </Card>
      )}
    </>
  );
}

function ModelsTable({ models }: { models: ModelRow[] }) {
  return (
    <table className="table">
      <thead>
        <tr>
          <th>Model</th>
          <th>Latest</th>
          <th>Aliases</th>
          <th>Created</th>
        </tr>
      </thead>
      <tbody>
        {models.map((m) => (
          <tr key={m.name}>
            <td>
              <Link to={`/models/${enc(m.name)}`} className="strong">
                {m.name}
              </Link>
              {m.description && <div className="muted small">{m.description}</div>}
            </td>
            <td>
              {m.versions.edges[0] ? `v${m.versions.edges[0].node.version}` : '—'} <QuarantineMark version={m.versions.edges[0]?.node} />
            </td>
            <td>
              {m.aliases.map((a) => (
                <span key={a.alias} className="alias-with-mark" data-alias={a.alias}>
                  <span className={`badge alias ${a.alias === 'production' ? 'prod' : ''}`}>
                    {a.alias} → v{a.version.version}
                  </span>
                  <QuarantineMark version={a.version} />
                </span>
              ))}
            </td>
            <td>
              <RelativeTime iso={m.createdAt} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ModelPage({ name }: { name: string }) {
  const { query } = useLocation();
  const aliasFilter = query.get('alias') ?? '';
  const q = useQuery(ModelDocument, { name });
  const model = q.data?.registeredModel;
  if (q.error)
    return (
      <div className="page">
        <ErrorBox error={q.error} />
      </div>
    );
  if (!q.data)
    return (
      <div className="page">
        <Loading />
      </div>
    );
  if (!model) return <div className="page empty">No model named {name} (or you may not see it).</div>;
  const history = model.history
    .filter((h) => !aliasFilter || h.alias === aliasFilter)
    .slice()
    .reverse();
  const aliasNames = [...new Set(model.history.map((h) => h.alias))].sort();
  return (
    <div className="page">
      <PageHeader
        title={
          <>
            <span className="muted">Model</span> {model.name}
          </>
        }
        sub={
          <>
            <Link to={`/projects/${enc(model.project.name)}/runs`}>{model.project.name}</Link> · created <RelativeTime iso={model.createdAt} />
            {model.description ? ` · ${model.description}` : ''}
          </>
        }
        actions={
          <Link className="button ghost" to={`/lineage/${enc(model.versions.edges[0]?.node.id ?? model.id)}?dir=UPSTREAM`}>
            Lineage
          </Link>
        }
      />
      <div className="columns">
        <Card title="Aliases now">
          {model.aliases.length === 0 ? (
            <p className="muted">No alias is set.</p>
          ) : (
            <table className="table" data-testid="aliases">
              <tbody>
                {model.aliases.map((a) => (
                  <AliasRow key={a.alias} model={model.name} alias={a.alias} version={a.version} since={a.since} onDone={q.refetch} />
                ))}
              </tbody>
            </table>
          )}
        </Card>
        <Card title="Move an alias">
          <MoveAlias model={model.name} versions={model.versions.edges.map((e) => e.node.version)} aliases={aliasNames} onDone={q.refetch} />
        </Card>
      </div>
      <Card title="Versions">
        <table className="table">
          <thead>
            <tr>
              <th>Version</th>
              <th>Aliases</th>
              <th>From run</th>
              <th>Registered</th>
              <th>By</th>
            </tr>
          </thead>
          <tbody>
            {model.versions.edges.map(({ node: v }) => (
              <tr key={v.id}>
                <td className="strong" data-version={v.version}>
                  <Link to={`/lineage/${enc(v.id)}?dir=UPSTREAM`}>v{v.version}</Link> <QuarantineMark version={v} />
                </td>
                <td>
                  <AliasBadges aliases={v.aliases} />
                </td>
                <td>
                  <RunLink run={v.run} />
                </td>
                <td>
                  <RelativeTime iso={v.createdAt} />
                </td>
                <td>{v.createdBy ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
      <Card
        title="Alias history"
        actions={
          <select value={aliasFilter} onChange={(e) => setQuery({ alias: e.target.value })}>
            <option value="">every alias</option>
            {aliasNames.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        }
      >
        {history.length === 0 ? (
          <p className="muted">No alias has been set yet.</p>
        ) : (
          <ol className="timeline" data-testid="alias-history">
            {history.map((h, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the alias history is a read-only list in the server's time order, replaced whole, never reordered in place
              <li key={i} className={`event ${h.action.toLowerCase()} ${h.override ? 'overridden' : ''}`} data-action={h.action}>
                <div className="when">
                  {fmtTime(h.at)}{' '}
                  <span className="muted">
                    (<RelativeTime iso={h.at} />)
                  </span>
                </div>
                <div className="what">
                  <span className={`badge alias ${h.alias === 'production' ? 'prod' : ''}`}>{h.alias}</span> <strong>{h.action.toLowerCase()}</strong>{' '}
                  {h.from ? `v${h.from.version}` : '∅'} → {h.to ? `v${h.to.version}` : '∅'} <QuarantineMark version={h.to} />{' '}
                  <span className="muted">by {h.who ?? 'unknown'}</span>
                  {h.reason && <div className="reason">“{h.reason}”</div>}
                  {h.override && (
                    <div className="override">
                      <strong>Override:</strong> {h.override.reason} — despite quarantined{' '}
                      {h.override.quarantinedDatasetVersions.map((d) => (
                        <Link key={d.id} to={`/lineage/${enc(d.id)}`}>
                          {d.dataset.name}@{d.version}{' '}
                        </Link>
                      ))}
                    </div>
                  )}
                </div>
              </li>
            ))}
          </ol>
        )}
      </Card>
    </div>
  );
}

function AliasRow({
  model,
  alias,
  version: held,
  since,
  onDone,
}: {
  model: string;
  alias: string;
  version: { version: number } & VersionQuarantine;
  since: string;
  onDone: () => void;
}) {
  const version = held.version;
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const m = useMutation(RollbackModelAliasDocument);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await m.run({ i: { model, alias, reason, fromVersion: version } })) {
      setOpen(false);
      setReason('');
      onDone();
    }
  };
  return (
    <tr data-alias={alias}>
      <td>
        <span className={`badge alias ${alias === 'production' ? 'prod' : ''}`}>{alias}</span>
      </td>
      <td className="strong">
        v{version} <QuarantineMark version={held} />
      </td>
      <td className="muted">
        since <RelativeTime iso={since} />
      </td>
      <td className="right">
        {!open ? (
          <button type="button" className="ghost small" onClick={() => setOpen(true)}>
            Roll back…
          </button>
        ) : (
          <form onSubmit={submit} className="inline-form">
            <input
              placeholder="Why roll back?"
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              // biome-ignore lint/a11y/noAutofocus: the user just pressed Roll back to open this one-field form
              autoFocus
              name="rollback-reason"
            />
            <button type="submit" className="danger small" disabled={!reason.trim() || m.busy}>
              Roll back
            </button>
            <button type="button" className="ghost small" onClick={() => setOpen(false)}>
              Cancel
            </button>
            <ErrorBox error={m.error} />
          </form>
        )}
      </td>
    </tr>
  );
}

function MoveAlias({ model, versions, aliases, onDone }: { model: string; versions: number[]; aliases: string[]; onDone: () => void }) {
  const [alias, setAlias] = useState(aliases[0] ?? 'production');
  const [version, setVersion] = useState(versions[0] ?? 1);
  const [reason, setReason] = useState('');
  const [overrideReason, setOverrideReason] = useState('');
  const m = useMutation(SetModelAliasDocument);
  const blocked =
    m.error instanceof GqlError && m.error.code === 'CONFLICT'
      ? (m.error.errors[0]?.extensions?.quarantinedDatasetVersions as { dataset: string; version: string; reason: string }[] | undefined)
      : undefined;
  const send = async (override: boolean) => {
    const i = { model, alias, version, reason: reason || null, ...(override ? { override: { reason: overrideReason } } : {}) };
    if (await m.run({ i })) {
      setReason('');
      setOverrideReason('');
      onDone();
    }
  };
  return (
    <form
      className="stack"
      onSubmit={(e) => {
        e.preventDefault();
        void send(false);
      }}
    >
      <div className="row">
        <label>
          Alias
          <input list="alias-names" value={alias} onChange={(e) => setAlias(e.target.value)} name="alias" />
          <datalist id="alias-names">
            {aliases.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </label>
        <label>
          Version
          <select value={version} onChange={(e) => setVersion(Number(e.target.value))} name="version">
            {versions.map((v) => (
              <option key={v} value={v}>
                v{v}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label>
        Reason
        <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. better AUC on the August holdout" name="reason" />
      </label>
      <div>
        <button type="submit" disabled={m.busy || !alias}>
          Move {alias || 'alias'} to v{version}
        </button>
      </div>
      {blocked ? (
        <div className="blocked" data-testid="promotion-refused">
          <strong>Refused: v{version} was trained on quarantined data.</strong>
          <ul>
            {blocked.map((b) => (
              <li key={`${b.dataset}@${b.version}`}>
                {b.dataset}@{b.version}: {b.reason}
              </li>
            ))}
          </ul>
          <label>
            Override reason (recorded in the alias history)
            <input value={overrideReason} onChange={(e) => setOverrideReason(e.target.value)} name="override-reason" />
          </label>
          <button type="button" className="danger" disabled={!overrideReason.trim() || m.busy} onClick={() => void send(true)}>
            Promote anyway
          </button>
        </div>
      ) : (
        <ErrorBox error={m.error} />
      )}
    </form>
  );
}
