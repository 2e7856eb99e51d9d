// The shell: top bar, sign-in when the server wants a token, and the page for the URL.
import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { authRequired, getToken, onAuthChange, setToken } from './api';
import { prefetchQuery, useQuery } from './hooks';
import { RunDocument, ViewerDocument } from './generated/graphql';
import { runVariables } from './pages/run-query';
import { Link, useLocation } from './router';
import { HomePage } from './pages/Home';
import { RunsPage } from './pages/Runs';
import { SignIn } from './pages/SignIn';
import { MlflowLink, mlflowTarget } from './pages/MlflowLink';

// The runs table ships in the first bundle; the other pages, and the runs page's chart view,
// load their code (the chart canvas, dagre) when first opened.
const RunPage = lazy(() => import('./pages/Run').then((m) => ({ default: m.RunPage })));
const ComparePage = lazy(() => import('./pages/Compare').then((m) => ({ default: m.ComparePage })));
const LineagePage = lazy(() => import('./pages/Lineage').then((m) => ({ default: m.LineagePage })));
const ModelPage = lazy(() => import('./pages/Models').then((m) => ({ default: m.ModelPage })));
const ModelsPage = lazy(() => import('./pages/Models').then((m) => ({ default: m.ModelsPage })));
const IncidentPage = lazy(() => import('./pages/Incident').then((m) => ({ default: m.IncidentPage })));
const AuditPage = lazy(() => import('./pages/Audit').then((m) => ({ default: m.AuditPage })));
const PromotionsPage = lazy(() => import('./pages/Promotions').then((m) => ({ default: m.PromotionsPage })));
const PromotionPage = lazy(() => import('./pages/Promotions').then((m) => ({ default: m.PromotionPage })));

/** Sends the query of the page at `path` while the page's code loads (the run page's, for now). */
function prefetchFor(path: string) {
  const [root, id] = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (root === 'runs' && id) prefetchQuery(RunDocument, runVariables(id));
}

function route(path: string, hash: string) {
  // MLflow clients link to <server>/#/experiments/<id>/runs/<runId>: the hash names the page.
  const mlflow = path === '/' ? mlflowTarget(hash) : null;
  if (mlflow) return <MlflowLink target={mlflow} />;
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [root, a, b] = parts;
  if (root === 'projects' && a && b === 'runs') return <RunsPage project={a} />;
  if (root === 'projects' && a) return <RunsPage project={a} />;
  if (root === 'runs' && a) return <RunPage id={a} />;
  if (root === 'compare') return <ComparePage />;
  if (root === 'lineage' && a) return <LineagePage id={a} />;
  if (root === 'models' && a) return <ModelPage name={parts.slice(1).join('/')} />;
  if (root === 'models') return <ModelsPage />;
  if (root === 'incident') return <IncidentPage />;
  if (root === 'audit') return <AuditPage />;
  if (root === 'promotions' && a && /^\d+$/.test(a)) return <PromotionPage number={Number(a)} />;
  if (root === 'promotions') return <PromotionsPage />;
  if (!root) return <HomePage />;
  return (
    <div className="empty">
      <h1>Not found</h1>
      <p>
        No page at <code>{path}</code>. <Link to="/">Projects</Link>
      </p>
    </div>
  );
}

export function App() {
  const { path } = useLocation();
  useMemo(() => prefetchFor(path), [path]);
  // Read at each render (navigating away drops it); a change of the hash alone renders again.
  const [, setHashTick] = useState(0);
  useEffect(() => {
    const changed = () => setHashTick((t) => t + 1);
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  const [, setAuthTick] = useState(0);
  useEffect(() => onAuthChange(() => setAuthTick((t) => t + 1)), []);
  const token = getToken();
  const viewer = useQuery(ViewerDocument, {}, { refreshKey: token });
  const needsToken = authRequired && !viewer.data;

  const nav = [
    { to: '/', label: 'Projects', active: path === '/' || path.startsWith('/projects') || path.startsWith('/runs') || path.startsWith('/compare') },
    { to: '/models', label: 'Models', active: path.startsWith('/models') },
    { to: '/incident', label: 'Incident', active: path.startsWith('/incident') || path.startsWith('/lineage') },
    { to: '/promotions', label: 'Promotions', active: path.startsWith('/promotions') },
    ...(viewer.data?.viewer.isAdmin ? [{ to: '/audit', label: 'Audit', active: path.startsWith('/audit') }] : []),
  ];
  return (
    <div className="shell">
      <header className="topbar">
        <Link to="/" className="brand">
          <img src="/favicon.svg" alt="" width={22} height={22} />
          runledger
        </Link>
        <nav>
          {nav.map((n) => (
            <Link key={n.to} to={n.to} className={n.active ? 'active' : ''}>
              {n.label}
            </Link>
          ))}
          <a href="/graphql" target="_blank" rel="noreferrer">
            GraphiQL
          </a>
        </nav>
        <div className="who">
          {viewer.data && (
            <span className="muted" data-testid="viewer">
              {viewer.data.viewer.name ?? 'local'}
              {viewer.data.viewer.isAdmin ? ' · admin' : ''}
            </span>
          )}
          {token && (
            <button type="button" className="ghost small" onClick={() => setToken(null)}>
              Sign out
            </button>
          )}
        </div>
      </header>
      {/* The page loads in parallel with the viewer query: a page is one round trip from pixels. */}
      <main key={token ?? 'anon'}>
        {needsToken || (viewer.error && !viewer.data) ? <SignIn /> : <Suspense fallback={null}>{route(path, location.hash)}</Suspense>}
      </main>
    </div>
  );
}
