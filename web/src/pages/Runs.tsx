// A project's runs, as a table or as a grid of charts: the filter language, sort on any
// column, a column picker, group by, live status, selection for comparing or charting, and
// deleting and restoring runs. Everything that shapes the view is in the URL.
import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { gql } from '../api';
import { DeleteRunDocument, RestoreRunDocument, RunKeysDocument } from '../generated/graphql';
import { useQuery } from '../hooks';
import { Link, enc, navigate, setQuery, useLocation } from '../router';
import { ErrorBox, LiveDot, Loading, PageHeader } from '../components/ui';
import { FilterBox } from './runs-filter';
import { filterErrorAt } from './runs-query';
import { useRunRows } from './runs-rows';
import { MAX_CHART_RUNS, orderOf } from './runs-first';
import { ColumnPicker, GroupTable, RunsTable } from './runs-table';
// The chart view (and the chart code) loads when first shown: the table's first paint does not wait for it.
const Workspace = lazy(() => import('./workspace').then((m) => ({ default: m.Workspace })));
const MAX_RUNS = MAX_CHART_RUNS;

export function RunsPage({ project }: { project: string }) {
  const { query } = useLocation();
  const filter = query.get('filter') ?? '';
  const sort = query.get('sort') ?? '';
  const groupBy = query.get('group') ?? '';
  const colsParam = query.get('cols');
  const charts = query.get('view') === 'charts';
  const deleted = query.get('deleted') === '1';
  const orderBy = useMemo(() => orderOf(sort), [sort]);

  const keys = useQuery(RunKeysDocument, { project });
  // Missing, or in a project the caller has no role in: the server answers the same for both.
  const missing = keys.data !== null && keys.data.project === null;
  // Opened on the chart view, its runs come in one page; the table's first page just fills the screen.
  const [firstPage] = useState(charts ? MAX_RUNS : undefined);
  const runs = useRunRows({ project, filter, orderBy, sorted: !!sort, deleted, missing, firstPage });
  const { rows, loadMore } = runs;
  const [selected, setSelected] = useState<Set<string>>(new Set());
  // A selection belongs to one project's view: another project (or the deleted view) starts empty.
  const selectionScope = `${project}\n${deleted}`;
  const [selectedIn, setSelectedIn] = useState(selectionScope);
  if (selectedIn !== selectionScope) {
    setSelectedIn(selectionScope);
    setSelected(new Set());
  }

  // Columns and the keys offered come from the project's recent runs, so they hold whatever the
  // rows on screen logged (the newest run may have logged nothing yet) and whatever the filter.
  const projectKeys = keys.data?.project?.runKeys ?? null;
  const columns = useMemo(() => {
    if (colsParam !== null) return colsParam.split(',').filter(Boolean);
    if (!projectKeys) return [];
    return [...projectKeys.metrics.slice(0, 3).map((k) => `metrics.${k}`), ...projectKeys.params.slice(0, 3).map((k) => `params.${k}`)];
  }, [colsParam, projectKeys]);
  // Recomputed when any row changes (a live update may bring a key): 500 rows are cheap to scan.
  const available = useMemo(() => {
    const found = { params: new Set(projectKeys?.params), metrics: new Set(projectKeys?.metrics), tags: new Set(projectKeys?.tags) };
    for (const r of rows.slice(0, 500)) {
      r.params.forEach((p) => found.params.add(p.key));
      r.metrics.forEach((m) => found.metrics.add(m.key));
      r.tags.forEach((t) => found.tags.add(t.key));
    }
    return found;
  }, [projectKeys, rows]);

  // The chart view shows the runs chosen in the table, else the first MAX_RUNS in view.
  const chosen = useMemo(() => rows.filter((r) => selected.has(r.id)), [rows, selected]);
  const inView = useMemo(() => (chosen.length ? chosen.slice(0, MAX_RUNS) : rows.slice(0, MAX_RUNS)), [chosen, rows]);
  const wantRuns = charts && !chosen.length && runs.more;
  const loadingRuns = wantRuns && rows.length < MAX_RUNS;
  // Each page that arrives (rows.length) asks for the next until the chart view has its runs.
  useEffect(() => {
    if (wantRuns && rows.length < MAX_RUNS) loadMore();
  }, [wantRuns, rows.length, loadMore]);

  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const filterError = filterErrorAt(runs.error);
  const { total } = runs;
  return (
    <div className="page wide">
      <PageHeader
        title={
          <>
            <span className="muted">Project</span> {project}
          </>
        }
        sub={
          <>
            <span data-testid="run-count">
              {total === null ? (runs.error || missing ? '—' : '…') : `${total.toLocaleString()} ${deleted ? 'deleted ' : ''}run${total === 1 ? '' : 's'}`}
            </span>
            <LiveDot state={runs.live} />
            {runs.newRuns > 0 && (
              <button type="button" className="link" onClick={() => void runs.reload()}>
                {runs.newRuns} new — refresh
              </button>
            )}
          </>
        }
        actions={
          <>
            <fieldset className="segmented" aria-label="view">
              <button type="button" className={charts ? '' : 'on'} onClick={() => setQuery({ view: '' })} data-testid="view-table">
                Table
              </button>
              <button type="button" className={charts ? 'on' : ''} onClick={() => setQuery({ view: 'charts' })} data-testid="view-charts">
                Charts
              </button>
            </fieldset>
            <Link className="button ghost" to={`/models?project=${enc(project)}`}>
              Models
            </Link>
            <button
              type="button"
              disabled={selected.size < 2}
              onClick={() => navigate(`/compare?ids=${[...selected].map(enc).join(',')}`)}
              data-testid="compare-button"
            >
              Compare {selected.size > 0 ? `(${selected.size})` : ''}
            </button>
          </>
        }
      />
      {missing && (
        <div className="error-box" role="alert">
          No project named <strong>{project}</strong> (or you have no role in it). <Link to="/">All projects</Link>
        </div>
      )}
      <FilterBox value={filter} error={filterError} />
      {runs.error && !filterError && !missing && <ErrorBox error={runs.error} />}
      <div className="toolbar">
        {!charts && (
          <>
            <label>
              Group by{' '}
              <select value={groupBy} onChange={(e) => setQuery({ group: e.target.value })} data-testid="group-by">
                <option value="">—</option>
                <option value="attributes.user">user</option>
                <option value="attributes.status">status</option>
                {[...available.params].map((k) => (
                  <option key={k} value={`params.${k}`}>
                    param {k}
                  </option>
                ))}
                {[...available.tags].map((k) => (
                  <option key={k} value={`tags.${k}`}>
                    tag {k}
                  </option>
                ))}
              </select>
            </label>
            <ColumnPicker available={available} columns={columns} onChange={(next) => setQuery({ cols: next.join(',') || ',' })} />
          </>
        )}
        <label title="Deleted runs are kept until restored">
          <input type="checkbox" checked={deleted} onChange={(e) => setQuery({ deleted: e.target.checked ? '1' : '' })} data-testid="show-deleted" /> deleted
          runs
        </label>
        {selected.size > 0 && (
          <>
            <DeleteOrRestore ids={[...selected]} restore={deleted} onDone={() => void runs.reload().then(() => setSelected(new Set()))} />
            <button type="button" className="ghost small" onClick={() => setSelected(new Set())}>
              Clear selection
            </button>
          </>
        )}
      </div>
      {charts ? (
        <Suspense fallback={<Loading what="Loading charts" />}>
          <Workspace
            runs={inView}
            chosen={chosen.length > 0}
            keys={{ metrics: [...available.metrics].sort(), params: [...available.params].sort(), tags: [...available.tags].sort() }}
            loadingRuns={loadingRuns}
          />
        </Suspense>
      ) : (
        <>
          {groupBy && <GroupTable project={project} filter={filter} groupBy={groupBy} />}
          <RunsTable
            rows={rows}
            columns={columns}
            sort={sort}
            selected={selected}
            onToggle={toggle}
            onNearEnd={runs.loadMore}
            empty={rows.length === 0 && total === 0}
          />
        </>
      )}
    </div>
  );
}

/** Soft-deletes the selected runs (after a second click), or restores them in the deleted view. */
function DeleteOrRestore({ ids, restore, onDone }: { ids: string[]; restore: boolean; onDone: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  // A different selection needs its own confirmation: keyed by the ids, not the array's identity.
  const idsKey = ids.join(',');
  const [confirmingFor, setConfirmingFor] = useState(idsKey);
  if (confirmingFor !== idsKey) {
    setConfirmingFor(idsKey);
    setConfirming(false);
  }
  const act = async () => {
    if (!restore && !confirming) return setConfirming(true);
    setBusy(true);
    setError(null);
    try {
      for (const runId of ids) {
        await (restore ? gql(RestoreRunDocument, { i: { runId } }) : gql(DeleteRunDocument, { i: { runId } }));
      }
      onDone();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  const n = `${ids.length} run${ids.length === 1 ? '' : 's'}`;
  return (
    <>
      <button
        type="button"
        className={restore ? 'small' : 'danger small'}
        disabled={busy}
        onClick={() => void act()}
        data-testid={restore ? 'restore-runs' : 'delete-runs'}
      >
        {restore ? `Restore ${n}` : confirming ? `Really delete ${n}?` : `Delete ${n}`}
      </button>
      {confirming && (
        <button type="button" className="ghost small" onClick={() => setConfirming(false)}>
          Keep
        </button>
      )}
      <ErrorBox error={error} />
    </>
  );
}
