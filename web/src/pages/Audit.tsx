// The audit log (global admins): every mutation, who ran it, on what, and how it ended.
import { type FormEvent, useEffect, useState } from 'react';
import { gql } from '../api';
import { setQuery, useLocation } from '../router';
import { ErrorBox, PageHeader } from '../components/ui';
import { fmtTime } from '../format';

interface Event {
  id: string;
  at: string;
  actor: string | null;
  operation: string;
  outcome: string;
  targetIds: string[];
}
interface Page {
  auditEvents: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: Event }[] };
}

const FIELDS = ['actor', 'operation', 'outcome', 'targetId'] as const;

export function AuditPage() {
  const { query } = useLocation();
  const filter = Object.fromEntries(FIELDS.map((f) => [f, query.get(f) || null]).filter(([, v]) => v)) as Record<string, string>;
  const key = JSON.stringify(filter);
  const [events, setEvents] = useState<Event[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const load = async (after: string | null) => {
    try {
      const data = await gql<Page>(
        `query($f: AuditEventFilter, $after: String) { auditEvents(filter: $f, first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id at actor operation outcome targetIds } } } }`,
        { f: filter, after },
      );
      const page = data.auditEvents.edges.map((e) => e.node);
      setEvents((current) => (after ? [...current, ...page] : page));
      setNext(data.auditEvents.pageInfo.hasNextPage ? data.auditEvents.pageInfo.endCursor : null);
      setError(null);
    } catch (e) {
      setError(e as Error);
    }
  };
  useEffect(() => {
    void load(null);
  }, [key]);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setQuery(Object.fromEntries(FIELDS.map((f) => [f, String(form.get(f) ?? '').trim()])));
  };
  return (
    <div className="page wide">
      <PageHeader title="Audit log" sub="Every mutation, newest first. Global admins only." />
      <form className="toolbar" onSubmit={submit} key={key}>
        {FIELDS.map((f) => (
          <input key={f} name={f} placeholder={f === 'targetId' ? 'target id' : f} defaultValue={filter[f] ?? ''} />
        ))}
        <button type="submit">Filter</button>
      </form>
      <ErrorBox error={error} />
      {!error && (
        <table className="table card" data-testid="audit">
          <thead>
            <tr>
              <th>When</th>
              <th>Actor</th>
              <th>Operation</th>
              <th>Outcome</th>
              <th>Targets</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.id}>
                <td className="muted">{fmtTime(e.at)}</td>
                <td>
                  <button className="link" onClick={() => setQuery({ actor: e.actor ?? '' })}>
                    {e.actor ?? '—'}
                  </button>
                </td>
                <td>
                  <button className="link" onClick={() => setQuery({ operation: e.operation })}>
                    <code>{e.operation}</code>
                  </button>
                </td>
                <td>
                  <span className={`badge ${e.outcome === 'OK' ? 'ok' : 'danger'}`}>{e.outcome}</span>
                </td>
                <td className="targets">{e.targetIds.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <button className="ghost" onClick={() => void load(next)}>
          Load more
        </button>
      )}
    </div>
  );
}
