// A project's runs: a virtualized table paged from the server (smooth at 100,000 runs), with
// the filter language, sort on any column, a column picker, group by, live status and
// selection for comparison. Everything that shapes the view is in the URL.
import { useVirtualizer } from '@tanstack/react-virtual';
import { type FormEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { gql, type LiveState, metricNumber, subscribe } from '../api';
import { useQuery } from '../hooks';
import { Link, enc, navigate, setQuery, useLocation } from '../router';
import { ErrorBox, LiveDot, PageHeader, StatusBadge } from '../components/ui';
import { fmtDuration, fmtNumber, fmtTime } from '../format';
import {
  BASE_COLUMNS,
  RUN_KEYS_QUERY,
  RUN_ROW,
  RUNS_COUNT_QUERY,
  RUNS_QUERY,
  type RunKeysData,
  type RunRow,
  type RunsPage,
  cellValue,
  filterErrorAt,
  groupFilter,
} from './runs-query';

// The first page fills the screen; later pages are larger, fetched ahead while scrolling.
const FIRST_PAGE = 40;
const PAGE = 200;
const ROW_HEIGHT = 36;

interface Groups {
  runGroups: {
    key: string | null;
    runCount: number;
    running: number;
    finished: number;
    failed: number;
    killed: number;
    gpuHours: number;
    totalDurationSeconds: number;
  }[];
}

export function RunsPage({ project }: { project: string }) {
  const { query } = useLocation();
  const filter = query.get('filter') ?? '';
  const sort = query.get('sort') ?? '';
  const groupBy = query.get('group') ?? '';
  const colsParam = query.get('cols');
  const orderBy = useMemo(() => {
    if (!sort) return null;
    const [field, direction] = sort.split(':');
    return [{ field, direction: direction === 'ASC' ? 'ASC' : 'DESC' }];
  }, [sort]);

  const [rows, setRows] = useState<RunRow[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [live, setLive] = useState<LiveState>({ state: 'live' });
  const keys = useQuery<RunKeysData>(RUN_KEYS_QUERY, { project });
  // Missing, or in a project the caller has no role in: the server answers the same for both.
  const missing = keys.data !== null && keys.data.project === null;
  const [newRuns, setNewRuns] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const cursor = useRef<{ next: string | null; more: boolean; loading: boolean; generation: number }>({
    next: null,
    more: true,
    loading: false,
    generation: 0,
  });

  const loadPage = useCallback(
    async (reset: boolean) => {
      const c = cursor.current;
      if (reset) {
        c.generation += 1;
        c.next = null;
        c.more = true;
        c.loading = false;
      }
      if (c.loading || !c.more) return;
      c.loading = true;
      const generation = c.generation;
      try {
        if (reset) {
          setTotal(null);
          gql<{ runs: { totalCount: number } }>(RUNS_COUNT_QUERY, { project, filter: filter || null }).then(
            (d) => generation === c.generation && setTotal(d.runs.totalCount),
            () => {},
          );
        }
        const data = await gql<RunsPage>(RUNS_QUERY, { project, filter: filter || null, orderBy, first: reset ? FIRST_PAGE : PAGE, after: c.next });
        if (generation !== c.generation) return;
        c.next = data.runs.pageInfo.endCursor;
        c.more = data.runs.pageInfo.hasNextPage;
        setError(null);
        const page = data.runs.edges.map((e) => e.node);
        setRows((r) => (reset ? page : [...r, ...page]));
      } catch (e) {
        if (generation !== c.generation) return;
        setError(e as Error);
        if (reset) {
          setRows([]);
          setTotal(null);
        }
        c.more = false;
      } finally {
        if (generation === c.generation) c.loading = false;
      }
    },
    [project, filter, orderBy],
  );

  useEffect(() => {
    setNewRuns(0);
    void loadPage(true);
  }, [loadPage]);

  // Live status: rows already shown are updated in place; new runs join the top of the
  // default view, and are counted otherwise (their place depends on the filter and sort).
  useEffect(() => {
    if (missing) return;
    const sub = subscribe<{ runUpdated: RunRow }>(
      `subscription($project: String!) { runUpdated(project: $project) { ...RunRow } } ${RUN_ROW}`,
      () => ({ project }),
      ({ runUpdated: run }) => {
        setRows((current) => {
          const i = current.findIndex((r) => r.id === run.id);
          if (i >= 0) return current.map((r, j) => (j === i ? run : r));
          if (!filter && !sort) {
            setTotal((t) => (t === null ? t : t + 1));
            return [run, ...current];
          }
          setNewRuns((n) => n + 1);
          return current;
        });
      },
      setLive,
    );
    return () => sub.stop();
  }, [project, filter, sort, missing]);

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

  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  const items = virtual.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? 0;
  useEffect(() => {
    if (rows.length > 0 && lastIndex >= rows.length - 30) void loadPage(false);
  }, [lastIndex, rows.length, loadPage]);

  // A last flexible track lets the rows span the table when the columns are narrower than it.
  const template = ['40px', ...BASE_COLUMNS.map((c) => `${c.width}px`), ...columns.map(() => '130px'), '1fr'].join(' ');
  const width = `max(${40 + BASE_COLUMNS.reduce((s, c) => s + c.width, 0) + columns.length * 130}px, 100%)`;

  const toggleSort = (field: string) => {
    const [current, dir] = sort.split(':');
    const next = current !== field ? `${field}:DESC` : dir === 'DESC' ? `${field}:ASC` : '';
    setQuery({ sort: next });
  };
  const sortMark = (field: string) => {
    const [current, dir] = sort.split(':');
    if (current !== field) return null;
    return <span className="sort-mark">{dir === 'ASC' ? '▲' : '▼'}</span>;
  };
  const setColumns = (next: string[]) => setQuery({ cols: next.join(',') || ',' });
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const filterError = filterErrorAt(error);
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
            <span data-testid="run-count">{total === null ? (error || missing ? '—' : '…') : `${total.toLocaleString()} run${total === 1 ? '' : 's'}`}</span>
            <LiveDot state={missing ? { state: 'failed', reason: 'no such project' } : live} />
            {newRuns > 0 && (
              <button className="link" onClick={() => void loadPage(true).then(() => setNewRuns(0))}>
                {newRuns} new — refresh
              </button>
            )}
          </>
        }
        actions={
          <>
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
      {error && !filterError && !missing && <ErrorBox error={error} />}
      <div className="toolbar">
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
        <ColumnPicker available={available} columns={columns} onChange={setColumns} />
        {selected.size > 0 && (
          <button className="ghost small" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        )}
      </div>
      {groupBy && <GroupTable project={project} filter={filter} groupBy={groupBy} />}
      <div className="grid-table" ref={scroller} data-testid="runs-table">
        <div className="grid-row grid-head" style={{ gridTemplateColumns: template, width }}>
          <div />
          {BASE_COLUMNS.map((c) => (
            <button key={c.id} className="th" onClick={() => toggleSort(c.id)} data-col={c.id}>
              {c.label}
              {sortMark(c.id)}
            </button>
          ))}
          {columns.map((c) => (
            <button key={c} className={`th ${c.startsWith('metrics.') ? 'num' : ''}`} onClick={() => toggleSort(c)} data-col={c} title={c}>
              <span className={`kind kind-${c.split('.')[0]}`}>{c.split('.')[0]!.slice(0, 1)}</span>
              {c.slice(c.indexOf('.') + 1)}
              {sortMark(c)}
            </button>
          ))}
        </div>
        <div style={{ height: virtual.getTotalSize(), width, position: 'relative' }}>
          {items.map((item) => {
            const run = rows[item.index]!;
            return (
              <div
                key={run.id}
                className={`grid-row ${selected.has(run.id) ? 'selected' : ''}`}
                style={{ gridTemplateColumns: template, transform: `translateY(${item.start}px)`, height: ROW_HEIGHT, width }}
                data-testid="runs-row"
                data-run-id={run.id}
              >
                <div>
                  <input type="checkbox" aria-label={`select ${run.name}`} checked={selected.has(run.id)} onChange={() => toggle(run.id)} />
                </div>
                <div className="cell-name">
                  <Link to={`/runs/${enc(run.id)}`}>{run.name}</Link>
                </div>
                <div>
                  <StatusBadge status={run.status} />
                </div>
                <div>{run.user ?? '—'}</div>
                <div className="muted">{fmtTime(run.startedAt)}</div>
                <div className="num">{fmtDuration(run.durationSeconds)}</div>
                {columns.map((c) => {
                  const v = cellValue(run, c);
                  return (
                    <div key={c} className={c.startsWith('metrics.') ? 'num' : ''} title={v === null ? '' : String(v)}>
                      {v === null ? <span className="muted">—</span> : c.startsWith('metrics.') ? fmtNumber(metricNumber(v)) : v}
                    </div>
                  );
                })}
              </div>
            );
          })}
        </div>
        {rows.length === 0 && total === 0 && <div className="empty-row muted">No runs match.</div>}
      </div>
    </div>
  );
}

function FilterBox({ value, error }: { value: string; error: ReturnType<typeof filterErrorAt> }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setQuery({ filter: text.trim() });
  };
  const at = error ? Math.max(0, error.column - 1) : 0;
  const length = error?.token ? Math.max(1, error.token.length) : 1;
  return (
    <form className={`filter ${error ? 'has-error' : ''}`} onSubmit={submit}>
      <div className="filter-input">
        <input
          name="filter"
          spellCheck={false}
          placeholder="metrics.val_auc > 0.9 and (params.lr = '0.01' or tags.team IN ('a', 'b'))"
          value={text}
          onChange={(e) => setText(e.target.value)}
          data-testid="filter-input"
        />
        {error && text === value && (
          // The same text, invisible but for the offending token, laid over the input.
          <div className="filter-overlay" aria-hidden>
            <span>{value.slice(0, at)}</span>
            <mark>{value.slice(at, at + length) || ' '}</mark>
          </div>
        )}
      </div>
      <button type="submit">Filter</button>
      {value && (
        <button type="button" className="ghost" onClick={() => setQuery({ filter: '' })}>
          Clear
        </button>
      )}
      {error && (
        <div className="filter-error" role="alert" data-testid="filter-error">
          <code>
            {value.slice(0, at)}
            <mark>{value.slice(at, at + length) || ' '}</mark>
            {value.slice(at + length)}
          </code>
          <div>{error.message}</div>
        </div>
      )}
    </form>
  );
}

function ColumnPicker({
  available,
  columns,
  onChange,
}: {
  available: { params: Set<string>; metrics: Set<string>; tags: Set<string> };
  columns: string[];
  onChange: (c: string[]) => void;
}) {
  const [open, setOpen] = useState(false);
  const groups: [string, Set<string>][] = [
    ['metrics', available.metrics],
    ['params', available.params],
    ['tags', available.tags],
  ];
  const toggle = (c: string) => onChange(columns.includes(c) ? columns.filter((x) => x !== c) : [...columns, c]);
  return (
    <div className="picker">
      <button className="ghost" onClick={() => setOpen(!open)} data-testid="column-picker">
        Columns ({columns.length}) ▾
      </button>
      {open && (
        <div className="picker-menu" onMouseLeave={() => setOpen(false)}>
          {groups.map(([kind, keys]) => (
            <div key={kind}>
              <div className="picker-title">{kind}</div>
              {keys.size === 0 && <div className="muted small">none</div>}
              {[...keys].sort().map((k) => {
                const id = `${kind}.${k}`;
                return (
                  <label key={id}>
                    <input type="checkbox" checked={columns.includes(id)} onChange={() => toggle(id)} /> {k}
                  </label>
                );
              })}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

function GroupTable({ project, filter, groupBy }: { project: string; filter: string; groupBy: string }) {
  const q = useQuery<Groups>(
    `query($project: String!, $filter: String, $groupBy: String!) { runGroups(project: $project, filter: $filter, groupBy: $groupBy) { key runCount running finished failed killed gpuHours totalDurationSeconds } }`,
    { project, filter: filter || null, groupBy },
  );
  if (q.error) return <ErrorBox error={q.error} />;
  if (!q.data) return null;
  const narrow = (key: string | null) => {
    const clause = groupFilter(groupBy, key);
    setQuery({ filter: filter ? `(${filter}) and ${clause}` : clause, group: '' });
  };
  return (
    <table className="table groups" data-testid="groups">
      <thead>
        <tr>
          <th>{groupBy.replace(/^attributes\./, '')}</th>
          <th className="num">Runs</th>
          <th className="num">Running</th>
          <th className="num">Finished</th>
          <th className="num">Failed</th>
          <th className="num">Killed</th>
          <th className="num">Time</th>
          <th className="num">GPU-hours</th>
        </tr>
      </thead>
      <tbody>
        {q.data.runGroups.map((g) => (
          <tr key={g.key ?? '\u0000'}>
            <td>
              <button className="link" onClick={() => narrow(g.key)}>
                {g.key ?? <span className="muted">(none)</span>}
              </button>
            </td>
            <td className="num">{g.runCount}</td>
            <td className="num">{g.running}</td>
            <td className="num">{g.finished}</td>
            <td className="num">{g.failed}</td>
            <td className="num">{g.killed}</td>
            <td className="num">{fmtDuration(g.totalDurationSeconds)}</td>
            <td className="num">{g.gpuHours.toFixed(1)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
