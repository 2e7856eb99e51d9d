// Data loading for pages: one query, refetched when its variables change.
import { useCallback, useEffect, useRef, useState } from 'react';
import { type GqlError, gql, type Operation } from './api';

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
export function prefetchQuery<R, V>(operation: Operation<R, V>, variables: V): void {
  const key = operation.toString() + JSON.stringify(variables);
  if (prefetched.has(key)) return;
  const answer = gql(operation, variables);
  answer.catch(() => {});
  prefetched.set(key, { answer, at: Date.now() });
}

function takePrefetched<R, V>(operation: Operation<R, V>, variablesKey: string): Promise<R> | null {
  const key = operation.toString() + variablesKey;
  const found = prefetched.get(key);
  prefetched.delete(key);
  return found && Date.now() - found.at < PREFETCH_KEEP_MS ? (found.answer as Promise<R>) : null;
}

/** `options.refreshKey`: asks again when it changes (the viewer query when the token does). */
export function useQuery<R, V>(operation: Operation<R, V>, variables: V, options: { skip?: boolean; refreshKey?: string | null } = {}): QueryState<R> {
  const key = JSON.stringify(variables);
  const [state, setState] = useState<{ data: R | null; error: GqlError | Error | null; loading: boolean }>({ data: null, error: null, loading: !options.skip });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies(tick): tick is refetch()'s signal to ask again; the answer cannot depend on it
  // biome-ignore lint/correctness/useExhaustiveDependencies(options.refreshKey): the caller's signal to ask again (the viewer query when the token changes)
  useEffect(() => {
    if (options.skip) return;
    const id = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    (takePrefetched(operation, key) ?? gql(operation, JSON.parse(key) as V)).then(
      (data) => id === latest.current && setState({ data, error: null, loading: false }),
      (error: Error) => id === latest.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, [operation, key, tick, options.skip, options.refreshKey]);
  const refetch = useCallback(() => setTick((t) => t + 1), []);
  const setData = useCallback((update: (data: R | null) => R | null) => setState((s) => ({ ...s, data: update(s.data) })), []);
  return { ...state, refetch, setData };
}

/**
 * When `key` last changed (ms since the epoch), steady across renders in between: a page's
 * "now" for the node it shows, taken again when another node is shown.
 */
export function useChangedAt(key: string): number {
  const [taken, setTaken] = useState(() => ({ key, at: Date.now() }));
  if (taken.key === key) return taken.at;
  const next = { key, at: Date.now() };
  setTaken(next);
  return next.at;
}

/** Runs a mutation, keeping its error and busy state for the form that sent it. */
export function useMutation<R, V>(operation: Operation<R, V>) {
  const [state, setState] = useState<{ busy: boolean; error: GqlError | Error | null }>({ busy: false, error: null });
  const run = useCallback(
    async (variables: V): Promise<R | null> => {
      setState({ busy: true, error: null });
      try {
        const data = await gql(operation, variables);
        setState({ busy: false, error: null });
        return data;
      } catch (error) {
        setState({ busy: false, error: error as Error });
        return null;
      }
    },
    [operation],
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
export function usePages<R, V extends { after?: string | null }, N>(
  operation: Operation<R, V>,
  variables: Omit<V, 'after'>,
  pick: (data: R) => Connection<N>,
): PagesState<N> {
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
      gql(operation, { ...(JSON.parse(key) as Omit<V, 'after'>), after } as V).then(
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
    [operation, key],
  );
  useEffect(() => load(null), [load]);
  const { next, loading } = state;
  return { items: state.items, error: state.error, loading, more: next && !loading ? () => load(next) : null };
}
