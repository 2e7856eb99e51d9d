// Drains lineage_outbox into the Neo4j projection: oldest first, in batches, marking rows done
// only after Neo4j acknowledged the write. MERGE makes a batch sent twice (a crash between the
// write and the mark, or two replicas draining at once) harmless. While Neo4j is unreachable
// the rows stay pending with a growing per-row backoff, so nothing is lost; once it answers
// again the backoff is cleared and the backlog drains at once. Delivered rows are pruned after
// a short retention, so the table holds the backlog, not the history.
import type { SqlQueryable } from '../../db/sql.js';
import type { Logger } from '../../logger.js';
import { CYPHER, ensureNeo4jSchema, type Neo4jTarget, projectEdges, removeEdges } from './graph-neo4j.js';
import { markOutboxDone, markOutboxFailed, type OutboxItem, pendingOutbox, pruneDeliveredOutbox, queueUnprojectedEdges, retryOutboxNow } from './store.js';

export interface SyncWorkerOptions {
  batchSize?: number;
  /** How often to look for new rows when nothing kicked the worker. */
  pollMs?: number;
  /** First retry delay after a failure; doubles per attempt up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Delivered rows are kept this long (recent history for operators), then deleted. */
  retainDeliveredMs?: number;
  /** How often to look for delivered rows to delete. */
  pruneEveryMs?: number;
  /** Named in log lines (the URI, never the password). */
  uri?: string;
}

export type Neo4jFailureCause = 'credentials' | 'unreachable' | 'query';

/** Why a call to Neo4j failed, in words an operator can act on. */
export function describeNeo4jFailure(error: unknown, uri = 'NEO4J_URI'): { cause: Neo4jFailureCause; message: string } {
  const code = String((error as { code?: unknown })?.code ?? '');
  const text = error instanceof Error ? error.message : String(error);
  if (code.startsWith('Neo.ClientError.Security.')) {
    return { cause: 'credentials', message: `neo4j at ${uri} refused the credentials (check NEO4J_USERNAME and NEO4J_PASSWORD): ${text}` };
  }
  if (code === 'ServiceUnavailable' || code === 'SessionExpired' || /ECONNREFUSED|ECONNRESET|EPIPE|socket|connection/i.test(text)) {
    return { cause: 'unreachable', message: `neo4j at ${uri} is unreachable or dropped the connection: ${text}` };
  }
  return { cause: 'query', message: `neo4j at ${uri} failed a lineage statement (${code || 'no code'}): ${text}` };
}

export interface SyncWorker {
  /** True once Neo4j answered and until a write or read to it fails. */
  readonly healthy: boolean;
  /** Consecutive failed attempts to reach Neo4j. */
  readonly failures: number;
  start(): void;
  /** Asks for a drain soon (after a write recorded edges). */
  kick(): void;
  /** Drains what is due now; resolves with the rows projected. Used by start() and by tests. */
  drainOnce(): Promise<number>;
  /** Reads report a failed Neo4j call here, so later reads go to PostgreSQL until it recovers. */
  markUnhealthy(error: unknown): void;
  stop(): Promise<void>;
}

export function backoffMs(attempts: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.min(attempts, 20));
}

export function createSyncWorker(sql: SqlQueryable, target: Neo4jTarget, log: Logger, options: SyncWorkerOptions = {}): SyncWorker {
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 1000;
  const base = options.baseBackoffMs ?? 500;
  const max = options.maxBackoffMs ?? 10_000;
  const retainMs = options.retainDeliveredMs ?? 10 * 60_000;
  const pruneEveryMs = options.pruneEveryMs ?? 60_000;
  let healthy = false;
  let schemaReady = false;
  let caughtUp = false;
  let failures = 0;
  let lastCause: Neo4jFailureCause | null = null;
  let lastPrune = -Infinity;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = true;

  // One warning per outage, and one more if its cause changes (say the password was changed
  // while Neo4j was down): a long outage does not fill the log, and each line names its cause.
  function failed(error: unknown, during: string) {
    const { cause, message } = describeNeo4jFailure(error, options.uri);
    if (healthy || failures === 0 || cause !== lastCause) {
      log.warn(`${message}; lineage reads use PostgreSQL and the outbox keeps every change until it is back`, { cause, during });
    }
    lastCause = cause;
    healthy = false;
    // A Neo4j that comes back may be a new, empty one: create the key constraint again.
    schemaReady = false;
    failures += 1;
  }

  async function ensureSchema() {
    if (schemaReady) return;
    await ensureNeo4jSchema(target);
    schemaReady = true;
  }

  /** Applies a batch in order: each run of additions, then of removals, as it was queued. */
  async function project(items: readonly OutboxItem[]) {
    for (let start = 0; start < items.length; ) {
      const action = items[start]!.action;
      let end = start;
      while (end < items.length && items[end]!.action === action) end += 1;
      const edges = items.slice(start, end).map((i) => i.edge);
      await (action === 'ADD' ? projectEdges(target, edges) : removeEdges(target, edges));
      start = end;
    }
  }

  async function pruneDue() {
    if (performance.now() - lastPrune < pruneEveryMs) return;
    lastPrune = performance.now();
    const pruned = await pruneDeliveredOutbox(sql, retainMs);
    if (pruned) log.debug('pruned delivered lineage outbox rows', { pruned });
  }

  async function drainOnce(): Promise<number> {
    let projected = 0;
    if (!caughtUp) {
      // Edges recorded while no projection was configured have no outbox row: queue them
      // before the projection can be called current (reads go to Neo4j only then).
      const queued = await queueUnprojectedEdges(sql);
      if (queued) log.info('queued lineage edges recorded while Neo4j was not configured', { queued });
      caughtUp = true;
    }
    for (;;) {
      const items = await pendingOutbox(sql, batchSize);
      if (items.length === 0) break;
      const ids = items.map((i) => i.outboxId);
      try {
        await ensureSchema();
        await project(items);
      } catch (error) {
        failed(error, `writing a batch of ${items.length} edges`);
        // Each row remembers the failure and waits longer after every attempt.
        const attempts = Math.max(...items.map((i) => i.attempts));
        await markOutboxFailed(sql, ids, error instanceof Error ? error.message : String(error), backoffMs(attempts, base, max));
        return projected;
      }
      await markOutboxDone(sql, ids);
      projected += items.length;
      if (items.length < batchSize) break;
    }
    if (!healthy) {
      // Nothing due to write: check Neo4j answers before reads go back to it.
      try {
        await ensureSchema();
        await target.driver.executeQuery(CYPHER.ping);
      } catch (error) {
        failed(error, 'checking the connection');
        return projected;
      }
      const wasDown = failures > 0;
      healthy = true;
      failures = 0;
      lastCause = null;
      log.info('neo4j reachable; lineage reads use the projection once the outbox is drained', { projected, uri: options.uri });
      if (wasDown) {
        // Rows still waiting out a backoff are due now: drain them without waiting up to a minute.
        await retryOutboxNow(sql);
        return projected + (await drainOnce());
      }
    }
    await pruneDue();
    return projected;
  }

  function schedule(delay: number) {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(tick, delay);
    timer.unref();
  }

  function tick() {
    timer = null;
    if (running || stopped) return;
    running = drainOnce()
      .catch((error: unknown) => log.error('lineage sync failed', { err: error }))
      .finally(() => {
        running = null;
        schedule(failures ? backoffMs(failures - 1, base, max) : pollMs);
      });
  }

  return {
    get healthy() {
      return healthy;
    },
    get failures() {
      return failures;
    },
    start() {
      stopped = false;
      schedule(0);
    },
    kick() {
      if (!stopped && !running && failures === 0) schedule(0);
    },
    drainOnce,
    markUnhealthy(error) {
      failed(error, 'reading lineage');
      if (!stopped && !running) schedule(backoffMs(0, base, max));
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
