// Small pieces shared by the pages.
import { type ReactNode, useEffect, useState } from 'react';
import { GqlError, type LiveState } from '../api';
import type { PagesState } from '../hooks';
import { Link, enc } from '../router';
import { fmtRelative, fmtTime } from '../format';

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status.toLowerCase()}`}>{status.toLowerCase()}</span>;
}

export function ErrorBox({ error }: { error: Error | null | undefined }) {
  if (!error) return null;
  const code = error instanceof GqlError ? error.code : undefined;
  return (
    <div className="error-box" role="alert">
      {code && <strong>{code}</strong>} {error.message}
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return <div className="muted loading">{what}…</div>;
}

export function Card({ title, children, actions, className }: { title?: ReactNode; children: ReactNode; actions?: ReactNode; className?: string }) {
  return (
    <section className={`card ${className ?? ''}`}>
      {(title || actions) && (
        <header className="card-head">
          <h2>{title}</h2>
          <div className="card-actions">{actions}</div>
        </header>
      )}
      {children}
    </section>
  );
}

export function KeyValues({ items, empty = 'none' }: { items: { key: string; value: ReactNode }[]; empty?: string }) {
  if (!items.length) return <p className="muted">{empty}</p>;
  return (
    <dl className="kv">
      {items.map((i) => (
        <div key={i.key}>
          <dt>{i.key}</dt>
          <dd>{i.value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function PageHeader({ title, sub, actions }: { title: ReactNode; sub?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="page-head">
      <div>
        <h1>{title}</h1>
        {sub && <div className="sub">{sub}</div>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}

export function AliasBadges({ aliases }: { aliases: string[] }) {
  return (
    <>
      {aliases.map((a) => (
        <span key={a} className={`badge alias ${a === 'production' ? 'prod' : ''}`}>
          {a}
        </span>
      ))}
    </>
  );
}

/** A run's name linking to its page, with its status; a model version registered without a run (MLflow's model source) says so. */
export function RunLink({ run }: { run: { id: string; name: string; status: string } | null }) {
  if (!run) return <span className="muted">no run</span>;
  return (
    <>
      <Link to={`/runs/${enc(run.id)}`}>{run.name}</Link> <StatusBadge status={run.status} />
    </>
  );
}

/** "Load more" under a paged list, shown while the server has another page. */
export function LoadMore({ more, what = 'more' }: { more: (() => void) | null; what?: string }) {
  return more ? (
    <button type="button" className="ghost" onClick={more}>
      Load {what}
    </button>
  ) : null;
}

/**
 * A paged list's state around its rows: the error, "Loading…" until the first page, and
 * `empty` once every page is in and `shown` (default: the rows loaded) is 0.
 */
export function PagesStatus({ q, empty, shown = q.items.length }: { q: PagesState<unknown>; empty: ReactNode; shown?: number }) {
  return (
    <>
      <ErrorBox error={q.error} />
      {q.loading && q.items.length === 0 && <Loading />}
      {!q.loading && !q.error && !q.more && shown === 0 && empty}
    </>
  );
}

/** Whether a page's live updates flow: live, reconnecting, or stopped for good with the reason. */
export function LiveDot({ state }: { state: LiveState }) {
  const text = state.state === 'live' ? 'live' : state.state === 'reconnecting' ? 'reconnecting…' : 'not live';
  return (
    <span className="live-state" data-testid="live-state" title={state.state === 'failed' ? state.reason : undefined}>
      <span className={`live-dot ${state.state}`} /> {text}
    </span>
  );
}

/** What a model version's quarantine mark needs (the ModelVersion fields of the same names). */
export interface VersionQuarantine {
  trainedOnQuarantinedData: boolean;
  quarantinedInputs?: { id: string; version: string; dataset: { name: string } }[];
  hiddenQuarantinedInputCount?: number;
}

/** Selected wherever a model version is shown, so the mark can say which data. */
export const VERSION_QUARANTINE = 'trainedOnQuarantinedData quarantinedInputs { id version dataset { name } } hiddenQuarantinedInputCount';

/** A model version trained on quarantined data, marked where it appears; the title names the data. */
export function QuarantineMark({ version }: { version: VersionQuarantine | null | undefined }) {
  if (!version?.trainedOnQuarantinedData) return null;
  const named = version.quarantinedInputs?.map((d) => `${d.dataset.name}@${d.version}`) ?? [];
  const hidden = version.hiddenQuarantinedInputCount ?? 0;
  if (hidden > 0) named.push(`${hidden} in projects you have no role in`);
  return (
    <span className="badge danger" data-testid="quarantine-mark" title={`Trained on quarantined data${named.length ? `: ${named.join(', ')}` : ''}`}>
      ⚠ quarantined data
    </span>
  );
}

// One clock for every relative time on the page, ticking each minute.
const clockListeners = new Set<(now: number) => void>();
setInterval(() => {
  const now = Date.now();
  for (const l of clockListeners) l(now);
}, 60_000);

/** "2 h ago", with the exact time on hover (and in the element's dateTime). */
export function RelativeTime({ iso }: { iso: string | null | undefined }) {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    clockListeners.add(setNow);
    return () => {
      clockListeners.delete(setNow);
    };
  }, []);
  if (!iso) return <>—</>;
  return (
    <time dateTime={iso} title={fmtTime(iso)} data-testid="relative-time">
      {fmtRelative(iso, now)}
    </time>
  );
}
