// A project's runs, as a table or as a grid of charts: the filter language, sort on any
// column, a column picker, group by, live status, selection for comparing or charting, and
// deleting and restoring runs. Everything that shapes the view is in the URL.
import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { gql } from '../api';
import { useQuery } from '../hooks';
import { Link, enc, navigate, setQuery, useLocation } from '../router';
import { ErrorBox, LiveDot, Loading, PageHeader } from '../components/ui';
import { FilterBox } from './runs-filter';
import { RUN_KEYS_QUERY, type RunKeysData, filterErrorAt } from './runs-query';
import { useRunRows } from './runs-rows';
import { ColumnPicker, GroupTable, RunsTable } from './runs-table';
// The chart view (and the chart code) loads when first shown: the table's first paint does not wait for it.
const Workspace = lazy(() => import('./workspace').then((m) => ({ default: m.Workspace })));
/** Runs the chart view shows at most (its panels overlay them). */
const MAX_RUNS = 100;

export function RunsPage({ project }: { project: string }) {
  const { query } = useLocation();
  const filter = query.get('filter') ?? '';
  const sort = query.get('sort') ?? '';
  const groupBy = query.get('group') ?? '';
  const colsParam = query.get('cols');
  const charts = query.get('view') === 'charts';
  const deleted = query.get('deleted') === '1';
  const orderBy = useMemo(() => {
    if (!sort) return null;
    const [field, direction] = sort.split(':');
    return [{ field, direction: direction === 'ASC' ? 'ASC' : 'DESC' }];
  }, [sort]);

  const keys = useQuery<RunKeysData>(RUN_KEYS_QUERY, { project });
  // Missing, or in a project the caller has no role in: the server answers the same for both.
  const missing = keys.data !== null && keys.data.project === null;
  // Opened on the chart view, its runs come in one page; the table's first page just fills the screen.
  const [firstPage] = useState(charts ? MAX_RUNS : undefined);
  const runs = useRunRows({ project, filter, orderBy, sorted: !!sort, deleted, missing, firstPage });
  const { rows } = runs;
  const [selected, setSelected] = useState<Set<string>>(new Set());
  useEffect(() => setSelected(new Set()), [project, deleted]);

  // Columns and the keys offered come from the project's recent runs, so they hold whatever the
  // rows on screen logged (the newest run may have logged nothing yet) and whatever the filter.
  const projectKeys = keys.data?.project?.runKeys ?? null;
  const columns = useMemo(() => {
    if (colsParam !== null) return colsParam.split(',').filter(Boolean);
    if (!projectKeys) return [];
    return [...projectKeys.metrics.slice(0, 3).map((k) => `metrics.${k}`), ...projectKeys.params.slice(0, 3).map((k) => `params.${k}`)];
  }, [colsParam, projectKeys]);
  const available = useMemo(() => {
    const found = { params: new Set(projectKeys?.params), metrics: new Set(projectKeys?.metrics), tags: new Set(projectKeys?.tags) };
    for (const r of rows.slice(0, 500)) {
      r.params.forEach((p) => found.params.add(p.key));
      r.metrics.forEach((m) => found.metrics.add(m.key));
      r.tags.forEach((t) => found.tags.add(t.key));
    }
    return found;
  }, [projectKeys, rows.length > 0 ? rows[0]!.id : null, Math.min(rows.length, 500)]);

  // The chart view shows the runs chosen in the table, else the first MAX_RUNS in view.
  const chosen = rows.filter((r) => selected.has(r.id));
  const inView = useMemo(() => (chosen.length ? chosen.slice(0, MAX_RUNS) : rows.slice(0, MAX_RUNS)), [rows, selected]);
  const loadingRuns = charts && !chosen.length && rows.length < MAX_RUNS && runs.more;
  useEffect(() => {
    if (loadingRuns) runs.loadMore();
  }, [loadingRuns, rows.length]);

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
              <button className="link" onClick={() => void runs.reload()}>
                {runs.newRuns} new — refresh
              </button>
            )}
          </>
        }
        actions={
          <>
            <div className="segmented" role="group" aria-label="view">
              <button className={charts ? '' : 'on'} onClick={() => setQuery({ view: '' })} data-testid="view-table">
                Table
              </button>
              <button className={charts ? 'on' : ''} onClick={() => setQuery({ view: 'charts' })} data-testid="view-charts">
                Charts
              </button>
            </div>
            <Link className="button ghost" to={`/models?project=${enc(project)}`}>
              Models
            </Link>
            <button disabled={selected.size < 2} onClick={() => navigate(`/compare?ids=${[...selected].map(enc).join(',')}`)} data-testid="compare-button">
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
            <button className="ghost small" onClick={() => setSelected(new Set())}>
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
  useEffect(() => setConfirming(false), [ids.join(',')]);
  const act = async () => {
    if (!restore && !confirming) return setConfirming(true);
    setBusy(true);
    setError(null);
    try {
      for (const runId of ids) {
        await gql(`mutation($i: RunIdInput!) { ${restore ? 'restoreRun' : 'deleteRun'}(input: $i) { run { id deletedAt } } }`, { i: { runId } });
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
      <button className={restore ? 'small' : 'danger small'} disabled={busy} onClick={() => void act()} data-testid={restore ? 'restore-runs' : 'delete-runs'}>
        {restore ? `Restore ${n}` : confirming ? `Really delete ${n}?` : `Delete ${n}`}
      </button>
      {confirming && (
        <button className="ghost small" onClick={() => setConfirming(false)}>
          Keep
        </button>
      )}
      <ErrorBox error={error} />
    </>
  );
}
