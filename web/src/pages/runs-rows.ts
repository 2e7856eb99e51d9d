// The runs page's rows: the first page fast, more pages as the table scrolls (or until the
// chart view has its runs), the count asked for apart, and live status updates.
import { useCallback, useEffect, useRef, useState } from 'react';
import { gql, type LiveState, subscribe } from '../api';
import { type RunOrder, RunsCountDocument, RunsDocument, RunUpdatedDocument } from '../generated/graphql';
import type { RunRow } from './runs-query';
import { countVariables, FIRST_PAGE, firstPageVariables } from './runs-first';

// The first page fills the screen (FIRST_PAGE); later pages are larger, fetched ahead while scrolling.
const PAGE = 200;

export interface RunRows {
  rows: RunRow[];
  total: number | null;
  error: Error | null;
  live: LiveState;
  /** Runs created since the rows were read that the filter or sort would place somewhere. */
  newRuns: number;
  more: boolean;
  loadMore: () => void;
  reload: () => Promise<void>;
}

export function useRunRows(input: {
  project: string;
  filter: string;
  orderBy: RunOrder[] | null;
  sorted: boolean;
  deleted: boolean;
  /** No such project (or hidden): nothing to subscribe to. */
  missing: boolean;
  /** Rows of the first page (the chart view wants all its runs at once). */
  firstPage?: number;
}): RunRows {
  const { project, filter, orderBy, sorted, deleted, missing } = input;
  const firstPage = input.firstPage ?? FIRST_PAGE;
  const [rows, setRows] = useState<RunRow[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [live, setLive] = useState<LiveState>({ state: 'live' });
  const [newRuns, setNewRuns] = useState(0);
  const [more, setMore] = useState(true);
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
          gql(RunsCountDocument, countVariables({ project, filter, deleted })).then(
            (d) => generation === c.generation && setTotal(d.runs.totalCount),
            () => {},
          );
        }
        const first = firstPageVariables({ project, filter, orderBy, first: firstPage, deleted });
        const data = await gql(RunsDocument, reset ? first : { ...first, first: PAGE, after: c.next });
        if (generation !== c.generation) return;
        c.next = data.runs.pageInfo.endCursor;
        c.more = data.runs.pageInfo.hasNextPage;
        setMore(c.more);
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
        setMore(false);
      } finally {
        if (generation === c.generation) c.loading = false;
      }
    },
    [project, filter, orderBy, deleted, firstPage],
  );

  useEffect(() => {
    setNewRuns(0);
    void loadPage(true);
  }, [loadPage]);

  // Rows already shown are updated in place (and leave when deleted or restored out of this
  // view); new runs join the top of the default view, and are counted otherwise (their place
  // depends on the filter and sort).
  useEffect(() => {
    if (missing) return;
    const sub = subscribe(
      RunUpdatedDocument,
      () => ({ project }),
      ({ runUpdated: run }) => {
        const belongs = !!run.deletedAt === deleted;
        setRows((current) => {
          const i = current.findIndex((r) => r.id === run.id);
          if (i >= 0) return belongs ? current.map((r, j) => (j === i ? run : r)) : current.filter((r) => r.id !== run.id);
          if (!belongs) return current;
          if (!filter && !sorted) {
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
  }, [project, filter, sorted, missing, deleted]);

  const loadMore = useCallback(() => void loadPage(false), [loadPage]);
  const reload = useCallback(async () => {
    await loadPage(true);
    setNewRuns(0);
  }, [loadPage]);
  return { rows, total, error, live: missing ? { state: 'failed', reason: 'no such project' } : live, newRuns, more, loadMore, reload };
}
