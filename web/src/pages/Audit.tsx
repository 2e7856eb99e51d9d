// The audit log (global admins): every mutation, who ran it, on what, and how it ended.
import type { FormEvent } from 'react';
import { AuditDocument, type AuditEventFilter } from '../generated/graphql';
import { usePages } from '../hooks';
import { setQuery, useLocation } from '../router';
import { ErrorBox, LoadMore, PageHeader, RelativeTime } from '../components/ui';

const FIELDS = ['actor', 'operation', 'outcome', 'targetId'] as const;

export function AuditPage() {
  const { query } = useLocation();
  const filter = Object.fromEntries(FIELDS.map((f) => [f, query.get(f) || null]).filter(([, v]) => v)) as AuditEventFilter & Record<string, string>;
  const key = JSON.stringify(filter);
  const q = usePages(AuditDocument, { f: filter }, (d) => d.auditEvents);
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
      <ErrorBox error={q.error} />
      {!q.error && (
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
            {q.items.map((e) => (
              <tr key={e.id}>
                <td className="muted">
                  <RelativeTime iso={e.at} />
                </td>
                <td>
                  <button type="button" className="link" onClick={() => setQuery({ actor: e.actor ?? '' })}>
                    {e.actor ?? '—'}
                  </button>
                </td>
                <td>
                  <button type="button" className="link" onClick={() => setQuery({ operation: e.operation })}>
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
      <LoadMore more={q.more} />
    </div>
  );
}
