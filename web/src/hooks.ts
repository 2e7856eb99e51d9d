// Data loading for pages: one query, refetched when its variables change.
import { useCallback, useEffect, useRef, useState } from 'react';
import { GqlError, gql } from './api';

export interface QueryState<T> {
  data: T | null;
  error: GqlError | Error | null;
  loading: boolean;
  refetch: () => void;
  setData: (update: (data: T | null) => T | null) => void;
}

// Queries sent ahead of their page (while its code loads), each taken by the first useQuery
// that asks for it; kept a few seconds at most.
const prefetched = new Map<string, { answer: Promise<unknown>; at: number }>();
const PREFETCH_KEEP_MS = 10_000;

/** Sends a query a page is about to make, so the page finds its answer already on the way. */
export function prefetchQuery(query: string, variables: Record<string, unknown>): void {
  const key = query + JSON.stringify(variables);
  if (prefetched.has(key)) return;
  const answer = gql(query, variables);
  answer.catch(() => {});
  prefetched.set(key, { answer, at: Date.now() });
}

function takePrefetched<T>(query: string, variablesKey: string): Promise<T> | null {
  const key = query + variablesKey;
  const found = prefetched.get(key);
  prefetched.delete(key);
  return found && Date.now() - found.at < PREFETCH_KEEP_MS ? (found.answer as Promise<T>) : null;
}

export function useQuery<T>(query: string, variables: Record<string, unknown>, options: { skip?: boolean } = {}): QueryState<T> {
  const key = JSON.stringify(variables);
  const [state, setState] = useState<{ data: T | null; error: GqlError | Error | null; loading: boolean }>({ data: null, error: null, loading: !options.skip });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    if (options.skip) return;
    const id = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    (takePrefetched<T>(query, key) ?? gql<T>(query, JSON.parse(key) as Record<string, unknown>)).then(
      (data) => id === latest.current && setState({ data, error: null, loading: false }),
      (error: Error) => id === latest.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, [query, key, tick, options.skip]);
  const refetch = useCallback(() => setTick((t) => t + 1), []);
  const setData = useCallback((update: (data: T | null) => T | null) => setState((s) => ({ ...s, data: update(s.data) })), []);
  return { ...state, refetch, setData };
}

/** Runs a mutation, keeping its error and busy state for the form that sent it. */
export function useMutation<T>(query: string) {
  const [state, setState] = useState<{ busy: boolean; error: GqlError | Error | null }>({ busy: false, error: null });
  const run = useCallback(
    async (variables: Record<string, unknown>): Promise<T | null> => {
      setState({ busy: true, error: null });
      try {
        const data = await gql<T>(query, variables);
        setState({ busy: false, error: null });
        return data;
      } catch (error) {
        setState({ busy: false, error: error as Error });
        return null;
      }
    },
    [query],
  );
  const reset = useCallback(() => setState({ busy: false, error: null }), []);
  return { ...state, run, reset };
}

export interface Connection<N> {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: N }[];
}

export interface PagesState<N> {
  items: N[];
  error: GqlError | Error | null;
  loading: boolean;
  /** Fetches the next page; null when there is none (or one is being fetched). */
  more: (() => void) | null;
}

/**
 * A forward-paged connection: the first page when the variables change, then one page per
 * `more()`. The query takes `$after: String` and `pick` finds the connection in its answer.
 */
export function usePages<T, N>(query: string, variables: Record<string, unknown>, pick: (data: T) => Connection<N>): PagesState<N> {
  const key = JSON.stringify(variables);
  const [state, setState] = useState<{ items: N[]; next: string | null; error: GqlError | Error | null; loading: boolean }>({
    items: [],
    next: null,
    error: null,
    loading: true,
  });
  const latest = useRef(0);
  const pickRef = useRef(pick);
  pickRef.current = pick;
  const load = useCallback(
    (after: string | null) => {
      const id = after ? latest.current : ++latest.current;
      setState((s) => ({ ...s, items: after ? s.items : [], loading: true }));
      gql<T>(query, { ...(JSON.parse(key) as Record<string, unknown>), after }).then(
        (data) => {
          if (id !== latest.current) return;
          const page = pickRef.current(data);
          setState((s) => ({
            items: [...(after ? s.items : []), ...page.edges.map((e) => e.node)],
            next: page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null,
            error: null,
            loading: false,
          }));
        },
        (error: Error) => id === latest.current && setState((s) => ({ ...s, error, loading: false })),
      );
    },
    [query, key],
  );
  useEffect(() => load(null), [load]);
  const { next, loading } = state;
  return { items: state.items, error: state.error, loading, more: next && !loading ? () => load(next) : null };
}
