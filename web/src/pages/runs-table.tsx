// The runs table: virtualized rows paged from the server (smooth at 100,000 runs), sortable
// columns sized to their headers so the default view fits 1280 pixels, a column picker, and
// the per-group counts of runGroups.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState } from 'react';
import { metricNumber } from '../api';
import { RunGroupsDocument } from '../generated/graphql';
import { useQuery } from '../hooks';
import { Link, enc, setQuery } from '../router';
import { ErrorBox, RelativeTime, StatusBadge } from '../components/ui';
import { fmtDuration, fmtNumber } from '../format';
import { BASE_COLUMNS, type RunRow, cellValue, groupFilter } from './runs-query';
import { columnWidth, headerLines } from '../text';

const ROW_HEIGHT = 36;
const CHECK_WIDTH = 40;

export function RunsTable({
  rows,
  columns,
  sort,
  selected,
  onToggle,
  onNearEnd,
  empty,
}: {
  rows: RunRow[];
  columns: string[];
  sort: string;
  selected: Set<string>;
  onToggle: (id: string) => void;
  /** Called when the rows shown come near the last one loaded. */
  onNearEnd: () => void;
  empty: boolean;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  const items = virtual.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? 0;
  useEffect(() => {
    if (rows.length > 0 && lastIndex >= rows.length - 30) onNearEnd();
  }, [lastIndex, rows.length, onNearEnd]);

  // A last flexible track lets the rows span the table when the columns are narrower than it.
  const widths = columns.map(columnWidth);
  const template = [`${CHECK_WIDTH}px`, ...BASE_COLUMNS.map((c) => `${c.width}px`), ...widths.map((w) => `${w}px`), '1fr'].join(' ');
  const width = `max(${CHECK_WIDTH + BASE_COLUMNS.reduce((s, c) => s + c.width, 0) + widths.reduce((a, b) => a + b, 0)}px, 100%)`;

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

  return (
    <div className="grid-table" ref={scroller} data-testid="runs-table">
      <div className="grid-row grid-head" style={{ gridTemplateColumns: template, width }}>
        <div />
        {BASE_COLUMNS.map((c) => (
          <button type="button" key={c.id} className={`th ${c.id === 'attributes.duration' ? 'num' : ''}`} onClick={() => toggleSort(c.id)} data-col={c.id}>
            <span className="th-label">{c.label}</span>
            {sortMark(c.id)}
          </button>
        ))}
        {columns.map((c) => (
          <button type="button" key={c} className={`th ${c.startsWith('metrics.') ? 'num' : ''}`} onClick={() => toggleSort(c)} data-col={c} title={c}>
            <span className={`kind kind-${c.split('.')[0]}`}>{c.split('.')[0]!.slice(0, 1)}</span>
            <span className="th-label key-label">
              {headerLines(c.slice(c.indexOf('.') + 1)).map((line, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the wrapped lines of one column name, fixed for the column
                <span key={i}>{line}</span>
              ))}
            </span>
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
              className={`grid-row ${selected.has(run.id) ? 'selected' : ''} ${run.deletedAt ? 'deleted' : ''}`}
              style={{ gridTemplateColumns: template, transform: `translateY(${item.start}px)`, height: ROW_HEIGHT, width }}
              data-testid="runs-row"
              data-run-id={run.id}
            >
              <div>
                <input type="checkbox" aria-label={`select ${run.name}`} checked={selected.has(run.id)} onChange={() => onToggle(run.id)} />
              </div>
              <div className="cell-name">
                <Link to={`/runs/${enc(run.id)}`} title={run.name}>
                  {run.name}
                </Link>
              </div>
              <div>
                <StatusBadge status={run.status} />
              </div>
              <div title={run.user ?? ''}>{run.user ?? '—'}</div>
              <div className="muted">
                <RelativeTime iso={run.startedAt} />
              </div>
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
      {empty && <div className="empty-row muted">No runs match.</div>}
    </div>
  );
}

export function ColumnPicker({
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
      <button type="button" className="ghost" onClick={() => setOpen(!open)} data-testid="column-picker">
        Columns ({columns.length}) ▾
      </button>
      {open && (
        // biome-ignore lint/a11y/noStaticElementInteractions: closing on mouse leave is a pointer convenience; the Columns button toggles the menu for everyone
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

export function GroupTable({ project, filter, groupBy }: { project: string; filter: string; groupBy: string }) {
  const q = useQuery(RunGroupsDocument, { project, filter: filter || null, groupBy });
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
              <button type="button" className="link" onClick={() => narrow(g.key)}>
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
