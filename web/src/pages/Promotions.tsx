// Promotion requests: what waits for the viewer's approval, every pending and decided request,
// and one request with its rule, progress, promotion rule results and decisions, where an
// approver approves or rejects it with a comment. The server decides who may; this page asks.
import { type FormEvent, useState } from 'react';
import { type Connection, useMutation, useQuery } from '../hooks';
import { Link, enc, setQuery, useLocation } from '../router';
import { Card, ErrorBox, Loading, PageHeader } from '../components/ui';
import { fmtTime } from '../format';

interface RequestRow {
  number: number;
  alias: string;
  action: string;
  status: string;
  requestedBy: string;
  reason: string;
  createdAt: string;
  expiresAt: string;
  model: { name: string; project: { name: string } };
  from: { version: number } | null;
  to: { version: number } | null;
  progress: { missing: number }[];
}

const ROW =
  'number alias action status requestedBy reason createdAt expiresAt model { name project { name } } from { version } to { version } progress { missing }';
const LIST = `query($status: PromotionStatus, $actionable: Boolean) { promotionRequests(status: $status, actionable: $actionable, first: 100) { edges { node { ${ROW} } } } }`;

const STATUS_CLASS: Record<string, string> = {
  PENDING: 'status-running',
  APPROVED: 'status-finished',
  REJECTED: 'status-failed',
  CANCELLED: 'status-killed',
  EXPIRED: 'status-killed',
};

export function PromotionStatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge ${STATUS_CLASS[status] ?? ''}`} data-status={status}>
      {status.toLowerCase()}
    </span>
  );
}

const move = (r: Pick<RequestRow, 'from' | 'to' | 'action'>) =>
  `${r.from ? `v${r.from.version}` : '∅'} → ${r.to ? `v${r.to.version}` : '∅'}${r.action === 'SET' ? '' : ` (${r.action.toLowerCase()})`}`;

function RequestsTable({ rows, testId }: { rows: RequestRow[]; testId: string }) {
  if (rows.length === 0) return <p className="muted">None.</p>;
  return (
    <table className="table" data-testid={testId}>
      <thead>
        <tr>
          <th>Request</th>
          <th>Model</th>
          <th>Alias</th>
          <th>Move</th>
          <th>Asked by</th>
          <th>Status</th>
          <th>Expires</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.number} data-request={r.number}>
            <td className="strong">
              <Link to={`/promotions/${r.number}`}>#{r.number}</Link>
            </td>
            <td>
              <Link to={`/models/${enc(r.model.name)}`}>{r.model.name}</Link> <span className="muted small">{r.model.project.name}</span>
            </td>
            <td>
              <span className={`badge alias ${r.alias === 'production' ? 'prod' : ''}`}>{r.alias}</span>
            </td>
            <td>{move(r)}</td>
            <td>
              {r.requestedBy}
              {r.reason && <div className="muted small">“{r.reason}”</div>}
            </td>
            <td>
              <PromotionStatusBadge status={r.status} />
              {r.status === 'PENDING' && <span className="muted small"> {r.progress.reduce((n, p) => n + p.missing, 0)} approval(s) missing</span>}
            </td>
            <td className="muted">{r.status === 'PENDING' ? fmtTime(r.expiresAt) : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function PromotionsPage() {
  const status = useLocation().query.get('status') ?? 'PENDING';
  const mine = useQuery<{ promotionRequests: Connection<RequestRow> }>(LIST, { actionable: true });
  const all = useQuery<{ promotionRequests: Connection<RequestRow> }>(LIST, { status: status === 'ALL' ? null : status });
  return (
    <div className="page">
      <PageHeader title="Promotions" sub="Moves of protected aliases wait here for their approvals." />
      <Card title="Waiting for your approval">
        <ErrorBox error={mine.error} />
        {mine.data ? <RequestsTable rows={mine.data.promotionRequests.edges.map((e) => e.node)} testId="waiting" /> : <Loading />}
      </Card>
      <Card
        title="Requests"
        actions={
          <select value={status} onChange={(e) => setQuery({ status: e.target.value === 'PENDING' ? null : e.target.value })} name="status">
            {['PENDING', 'APPROVED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'ALL'].map((s) => (
              <option key={s} value={s}>
                {s.toLowerCase()}
              </option>
            ))}
          </select>
        }
      >
        <ErrorBox error={all.error} />
        {all.data ? <RequestsTable rows={all.data.promotionRequests.edges.map((e) => e.node)} testId="requests" /> : <Loading />}
      </Card>
    </div>
  );
}

interface RequestDetail extends RequestRow {
  url: string;
  override: string | null;
  decidedAt: string | null;
  requirements: { description: string }[];
  progress: { requirement: { description: string }; approvedBy: string[]; missing: number }[];
  gateResults: { rule: string; kind: string; passed: boolean; detail: string }[];
  decisions: { who: string; decision: string; comment: string | null; groups: string[]; at: string }[];
}

const DETAIL = `query($n: Int!) { viewer { name } promotionRequest(number: $n) { ${ROW} url override decidedAt
  requirements { description } progress { requirement { description } approvedBy missing }
  gateResults { rule kind passed detail } decisions { who decision comment groups at } } }`;

export function PromotionPage({ number }: { number: number }) {
  const q = useQuery<{ viewer: { name: string | null }; promotionRequest: RequestDetail | null }>(DETAIL, { n: number });
  if (q.error && !q.data)
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
  const r = q.data.promotionRequest;
  if (!r) return <div className="page empty">No promotion request {number} (or you may not see it).</div>;
  return (
    <div className="page">
      <PageHeader
        title={
          <>
            <span className="muted">Promotion request</span> #{r.number}
          </>
        }
        sub={
          <>
            <Link to={`/models/${enc(r.model.name)}`}>{r.model.name}</Link>
            <span className={`badge alias ${r.alias === 'production' ? 'prod' : ''}`}>{r.alias}</span> {move(r)} · <PromotionStatusBadge status={r.status} />
          </>
        }
        actions={
          <Link className="button ghost" to="/promotions">
            All requests
          </Link>
        }
      />
      <div className="columns">
        <Card title="Request">
          <dl className="kv">
            <div>
              <dt>Asked by</dt>
              <dd>{r.requestedBy}</dd>
            </div>
            <div>
              <dt>Why</dt>
              <dd data-testid="reason">{r.reason || '—'}</dd>
            </div>
            <div>
              <dt>Filed</dt>
              <dd>{fmtTime(r.createdAt)}</dd>
            </div>
            <div>
              <dt>{r.status === 'PENDING' ? 'Expires' : 'Decided'}</dt>
              <dd>{fmtTime(r.status === 'PENDING' ? r.expiresAt : r.decidedAt)}</dd>
            </div>
            {r.override && (
              <div>
                <dt>Override</dt>
                <dd>{r.override}</dd>
              </div>
            )}
          </dl>
        </Card>
        <Card title="Approvals needed">
          <ul className="stack" data-testid="progress" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
            {r.progress.map((p) => (
              <li key={p.requirement.description} data-missing={p.missing}>
                <strong>{p.requirement.description}</strong>: {p.approvedBy.length ? p.approvedBy.join(', ') : <span className="muted">nobody yet</span>}{' '}
                {p.missing > 0 ? <span className="badge warn">{p.missing} missing</span> : <span className="badge ok">met</span>}
              </li>
            ))}
          </ul>
        </Card>
      </div>
      <Card title="Promotion rules">
        <table className="table" data-testid="gate-results">
          <tbody>
            {r.gateResults.map((g) => (
              <tr key={g.rule} data-passed={g.passed}>
                <td>{g.passed ? <span className="badge ok">pass</span> : <span className="badge danger">fail</span>}</td>
                <td className="strong">{g.rule}</td>
                <td className="muted">{g.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
      {r.status === 'PENDING' && <Decide number={r.number} mine={q.data.viewer.name === r.requestedBy} onDone={q.refetch} />}
      <Card title="Decisions">
        {r.decisions.length === 0 ? (
          <p className="muted">No decision yet.</p>
        ) : (
          <ol className="timeline" data-testid="decisions">
            {r.decisions.map((d) => (
              <li key={`${d.who}-${d.at}`} className="event" data-decision={d.decision}>
                <div className="when">{fmtTime(d.at)}</div>
                <div className="what">
                  <strong>{d.who}</strong> {d.decision === 'APPROVE' ? 'approved' : d.decision === 'REJECT' ? 'rejected' : 'cancelled'}
                  {d.groups.length > 0 && <span className="muted"> as {d.groups.join(', ')}</span>}
                  {d.comment && <div className="reason">“{d.comment}”</div>}
                </div>
              </li>
            ))}
          </ol>
        )}
      </Card>
    </div>
  );
}

function Decide({ number, mine, onDone }: { number: number; mine: boolean; onDone: () => void }) {
  const [comment, setComment] = useState('');
  const approve = useMutation<{ approvePromotion: { moved: boolean } }>('mutation($i: ApprovePromotionInput!) { approvePromotion(input: $i) { moved } }');
  const reject = useMutation('mutation($i: RejectPromotionInput!) { rejectPromotion(input: $i) { request { status } } }');
  const cancel = useMutation('mutation($i: CancelPromotionInput!) { cancelPromotion(input: $i) { request { status } } }');
  const [moved, setMoved] = useState(false);
  const busy = approve.busy || reject.busy || cancel.busy;
  const act = (kind: 'approve' | 'reject' | 'cancel') => async (event: FormEvent) => {
    event.preventDefault();
    const input = { i: { request: number, ...(comment.trim() ? { comment: comment.trim() } : {}) } };
    const done = kind === 'approve' ? await approve.run(input) : kind === 'reject' ? await reject.run(input) : await cancel.run(input);
    if (done) {
      if (kind === 'approve') setMoved((done as { approvePromotion: { moved: boolean } }).approvePromotion.moved);
      setComment('');
      onDone();
    }
  };
  return (
    <Card title={mine ? 'Your request' : 'Decide'}>
      <form className="stack" onSubmit={act('approve')} data-testid="decide">
        <label>
          Comment {mine ? '(why you withdraw it)' : '(required to reject)'}
          <textarea name="comment" rows={3} value={comment} onChange={(e) => setComment(e.target.value)} />
        </label>
        <div className="row">
          {mine ? (
            <button type="button" className="danger" disabled={busy} onClick={act('cancel')}>
              Cancel request
            </button>
          ) : (
            <>
              <button type="submit" disabled={busy}>
                Approve
              </button>
              <button type="button" className="danger" disabled={busy || !comment.trim()} onClick={act('reject')}>
                Reject
              </button>
            </>
          )}
        </div>
        {moved && <div className="badge ok">The rule is met: the alias moved.</div>}
        <ErrorBox error={approve.error ?? reject.error ?? cancel.error} />
      </form>
    </Card>
  );
}
