// The dashboard's only way to the server: GraphQL over HTTP for queries and mutations, and
// graphql-ws for subscriptions. The API token (when authentication is on) lives in
// localStorage and goes with every request.
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { type Client, createClient } from 'graphql-ws';
import { getToken, post, setStoredToken, takeEarly } from './post.js';

/**
 * An operation of web/src/operations as codegen writes it (web/src/generated/graphql.ts): its
 * text, with the types of its result and variables, so a caller cannot send the wrong ones.
 */
export type Operation<R, V> = DocumentTypeDecoration<R, V> & { toString(): string };

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

export { getToken };

export function setToken(token: string | null) {
  setStoredToken(token);
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

export function gql<R, V>(operation: Operation<R, V>, variables: V): Promise<R> {
  const query = operation.toString();
  // The page's first queries may have been sent by its first script (web/src/early.ts).
  return answerOf<R>(takeEarly(query, variables) ?? post(query, variables));
}

/** The data of an answer to an operation, or its errors thrown (and the sign-in asked for when a token is wanted). */
async function answerOf<R>(sent: Promise<Response>): Promise<R> {
  const response = await sent;
  const body = (await response.json().catch(() => ({ errors: [{ message: `HTTP ${response.status}` }] }))) as { data?: R; errors?: GqlErrorEntry[] };
  if (body.errors?.length) {
    const error = new GqlError(body.errors);
    if (error.code === 'UNAUTHENTICATED' && !authRequired) {
      authRequired = true;
      authListeners.forEach((l) => l());
    }
    throw error;
  }
  return body.data as R;
}

/**
 * Fetches an artifact's bytes (a downloadUrl) as the signed-in caller: an <img src> could not
 * send the token, so media are fetched here and shown from blob URLs.
 */
export async function fetchArtifact(url: string, headers: Record<string, string> = {}): Promise<Response> {
  const token = getToken();
  const response = await fetch(url, { headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  if (!response.ok && response.status !== 206) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
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

/** What a subscription is doing: delivering, waiting to retry, or stopped for good (and why). */
export type LiveState = { state: 'live' } | { state: 'reconnecting' } | { state: 'failed'; reason: string };

// Codes that retrying the same subscription cannot change: the thing is missing or hidden,
// the caller may not see it, or the request itself is wrong.
const PERMANENT_CODES = new Set(['NOT_FOUND', 'FORBIDDEN', 'UNAUTHENTICATED', 'BAD_USER_INPUT', 'LIMIT_EXCEEDED']);
// graphql-ws close codes with the same meaning (bad request, unauthorized, forbidden).
const PERMANENT_CLOSE_CODES = new Set([4400, 4401, 4403]);

/** Why a failed subscription must not be retried, or null when a retry may succeed. */
export function permanentFailure(error: unknown): string | null {
  const entries = Array.isArray(error) ? (error as GqlErrorEntry[]) : null;
  const permanent = entries?.find((e) => PERMANENT_CODES.has(String(e?.extensions?.code)));
  if (permanent) return `${permanent.extensions?.code}: ${permanent.message}`;
  const close = error as { code?: unknown; reason?: unknown } | null;
  if (close && typeof close.code === 'number' && PERMANENT_CLOSE_CODES.has(close.code)) return `closed (${close.code}): ${String(close.reason ?? '')}`;
  return null;
}

/**
 * The pause before retry number `attempt` (1, 2, ...): doubling from 250 ms up to 30 s, with
 * a quarter of jitter so tabs that lost the same server do not come back in step.
 */
export function retryDelay(attempt: number, random = Math.random): number {
  const base = Math.min(30_000, 250 * 2 ** Math.min(attempt - 1, 7));
  return Math.round(base * (0.75 + random() * 0.25));
}

/** A stream that stayed up this long before failing was healthy: the back-off starts over. */
export const HEALTHY_MS = 30_000;

/**
 * Subscribes and, when the stream ends or fails for a reason a retry can fix (a dropped
 * connection, a server restart), subscribes again after a growing pause, with the variables
 * `variables()` gives for that moment, so a subscriber can resume where it left off. The
 * pause grows with each failure and starts over only after a stream stayed up HEALTHY_MS:
 * messages do not reset it, so a server that answers and then fails is not hammered. An
 * error retrying cannot fix (a missing or hidden project or run) stops it, saying why.
 */
export function subscribe<R, V>(operation: Operation<R, V>, variables: () => V, onData: (data: R) => void, onState?: (state: LiveState) => void): Subscription {
  let stopped = false;
  let unsubscribe: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let attempt = 0;
  const start = () => {
    if (stopped) return;
    const startedAt = Date.now();
    let settled = false;
    const retry = (connectionLost: boolean) => {
      if (stopped || settled) return;
      settled = true;
      onState?.({ state: 'reconnecting' });
      if (connectionLost) {
        // A fresh connection is made for the next subscribe.
        wsClient?.dispose();
        wsClient = null;
      }
      attempt = Date.now() - startedAt >= HEALTHY_MS ? 1 : attempt + 1;
      timer = setTimeout(start, retryDelay(attempt));
    };
    unsubscribe = ws().subscribe<R>(
      { query: operation.toString(), variables: variables() as Record<string, unknown> },
      {
        next: (message) => {
          if (message.data) onData(message.data as R);
        },
        error: (error) => {
          const reason = permanentFailure(error);
          if (reason === null) return retry(true);
          settled = true;
          stopped = true;
          onState?.({ state: 'failed', reason });
        },
        // The server ended the stream (a subscriber that fell behind): same connection, resume.
        complete: () => retry(false),
      },
    );
    onState?.({ state: 'live' });
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
