// The dashboard's only way to the server: GraphQL over HTTP for queries and mutations, and
// graphql-ws for subscriptions. The API token (when authentication is on) lives in
// localStorage and goes with every request.
import { type Client, createClient } from 'graphql-ws';

const TOKEN_KEY = 'runledger.token';

export interface GqlErrorEntry {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; column?: number; token?: string | null; field?: string; [k: string]: unknown };
}

export class GqlError extends Error {
  constructor(readonly errors: GqlErrorEntry[]) {
    super(errors.map((e) => e.message).join('; '));
  }
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

export const getToken = () => localStorage.getItem(TOKEN_KEY);

export function setToken(token: string | null) {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
  wsClient?.dispose();
  wsClient = null;
  authListeners.forEach((l) => l());
}

const authListeners = new Set<() => void>();
/** Called when the server refuses the request for want of a (valid) token. */
export function onAuthChange(listener: () => void) {
  authListeners.add(listener);
  return () => {
    authListeners.delete(listener);
  };
}
export let authRequired = false;

export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const token = getToken();
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json().catch(() => ({ errors: [{ message: `HTTP ${response.status}` }] }))) as { data?: T; errors?: GqlErrorEntry[] };
  if (body.errors?.length) {
    const error = new GqlError(body.errors);
    if (error.code === 'UNAUTHENTICATED' && !authRequired) {
      authRequired = true;
      authListeners.forEach((l) => l());
    }
    throw error;
  }
  return body.data as T;
}

let wsClient: Client | null = null;

/** One graphql-ws connection for the page. Retries are left to each subscriber, which knows where to resume. */
export function ws(): Client {
  if (!wsClient) {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
    wsClient = createClient({
      url,
      retryAttempts: 0,
      lazy: true,
      connectionParams: () => {
        const token = getToken();
        return token ? { authorization: `Bearer ${token}` } : {};
      },
    });
  }
  return wsClient;
}

export interface Subscription {
  stop(): void;
}

/**
 * Subscribes and, when the stream ends or fails (a dropped connection, a server restart),
 * subscribes again after a short pause with the variables `next()` gives for that moment,
 * so a subscriber can resume where it left off.
 */
export function subscribe<T>(
  query: string,
  variables: () => Record<string, unknown>,
  onData: (data: T) => void,
  onState?: (state: 'live' | 'reconnecting') => void,
): Subscription {
  let stopped = false;
  let unsubscribe: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let attempt = 0;
  const start = () => {
    if (stopped) return;
    const retry = (connectionLost: boolean) => {
      if (stopped) return;
      onState?.('reconnecting');
      if (connectionLost) {
        // A fresh connection is made for the next subscribe.
        wsClient?.dispose();
        wsClient = null;
      }
      attempt += 1;
      timer = setTimeout(start, Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
    };
    unsubscribe = ws().subscribe<T>(
      { query, variables: variables() },
      {
        next: (message) => {
          attempt = 0;
          onState?.('live');
          if (message.data) onData(message.data as T);
        },
        error: () => retry(true),
        // The server ended the stream (a subscriber that fell behind): same connection, resume.
        complete: () => retry(false),
      },
    );
    onState?.('live');
  };
  start();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      unsubscribe?.();
    },
  };
}

/** Metric values: numbers, or "NaN"/"Infinity"/"-Infinity" strings. */
export function metricNumber(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  return Number(value);
}
