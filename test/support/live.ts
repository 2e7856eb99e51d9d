// Live clients for tests: graphql-ws over a real WebSocket, and SSE over fetch.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface Received<T> {
  /** Every result so far, in arrival order. */
  results: { data?: T | null; errors?: { message: string; extensions?: Record<string, unknown> }[] }[];
  /** Resolves when the stream completed; rejects on a transport error. */
  done: Promise<void>;
  /**
   * Resolves once `predicate` holds for the results received. With a `label`, gives up after
   * 45 s with an error naming the wait and what arrived, so a stall says where it stalled.
   */
  until(predicate: (results: Received<T>['results']) => boolean, label?: string): Promise<void>;
  stop(): void;
}

export function wsClient(httpUrl: string, connectionParams?: Record<string, unknown>): Client {
  return createClient({
    url: `${httpUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
  });
}

const LABELLED_WAIT_MS = 45_000;

/** Subscribes through graphql-ws and records what arrives. */
export function subscribeWs<T, V>(client: Client, document: TypedDocumentNode<T, V>, variables: V): Received<T> {
  const results: Received<T>['results'] = [];
  const waiters: { predicate: (r: Received<T>['results']) => boolean; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let finished = false;
  let failure: unknown = null;
  const check = () => {
    for (const w of [...waiters]) {
      if (w.predicate(results)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      } else if (finished) {
        waiters.splice(waiters.indexOf(w), 1);
        w.reject(failure ?? new Error(`stream ended before the condition held; got ${JSON.stringify(results).slice(0, 2000)}`));
      }
    }
  };
  let stop = () => {};
  const done = new Promise<void>((resolve, reject) => {
    stop = client.subscribe(
      { query: print(document), variables: variables as Record<string, unknown> },
      {
        next: (value) => {
          results.push(value as Received<T>['results'][number]);
          check();
        },
        error: (err) => {
          finished = true;
          failure = err;
          if (Array.isArray(err)) results.push({ errors: err as never });
          check();
          reject(err);
        },
        complete: () => {
          finished = true;
          check();
          resolve();
        },
      },
    );
  });
  done.catch(() => {});
  return {
    results,
    done,
    until: (predicate, label) =>
      new Promise((resolve, reject) => {
        const waiter = { predicate, resolve, reject };
        if (label) {
          const timer = setTimeout(() => {
            const at = waiters.indexOf(waiter);
            if (at < 0) return;
            waiters.splice(at, 1);
            reject(new Error(`${label}: not met after ${LABELLED_WAIT_MS / 1000} s; got ${JSON.stringify(results).slice(0, 2000)}`));
          }, LABELLED_WAIT_MS);
          waiter.resolve = () => {
            clearTimeout(timer);
            resolve();
          };
          waiter.reject = (e: unknown) => {
            clearTimeout(timer);
            reject(e);
          };
        }
        waiters.push(waiter);
        check();
      }),
    stop: () => stop(),
  };
}

/** Subscribes over server-sent events (graphql-yoga's built-in transport). */
export async function subscribeSse<T, V>(httpUrl: string, document: TypedDocumentNode<T, V>, variables: V, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(`${httpUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query: print(document), variables }),
    signal: controller.signal,
  });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    /** The next `data:` event of kind "next", parsed; null when the stream ended. */
    async next(): Promise<{ data?: T; errors?: unknown[] } | null> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = event.split('\n');
          const kind =
            lines
              .find((l) => l.startsWith('event:'))
              ?.slice(6)
              .trim() ?? 'message';
          const data = lines
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trim())
            .join('\n');
          if (kind === 'complete') return null;
          if (kind === 'next' && data) return JSON.parse(data);
          continue; // keep-alive comments and other events
        }
        const chunk = await reader.read();
        if (chunk.done) return null;
        buffer += chunk.value;
      }
    },
    close: () => controller.abort(),
  };
}

/** Polls until `check` returns true (state the server reaches asynchronously, e.g. cleanup). */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, attempts = 400): Promise<void> {
  for (let i = 0; i < attempts; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never happened: ${what}`);
}
