// Drains lineage_outbox into the Neo4j projection: oldest first, in batches, marking rows done
// only after Neo4j acknowledged the write. MERGE makes a batch sent twice (a crash between the
// write and the mark, or two replicas draining at once) harmless. While Neo4j is unreachable
// the rows stay pending with a growing per-row backoff, so nothing is lost.
import type { Driver } from 'neo4j-driver';
import type { SqlQueryable } from '../../db/sql.js';
import type { Logger } from '../../logger.js';
import { CYPHER, ensureNeo4jSchema, projectEdges } from './graph-neo4j.js';
import { markOutboxDone, markOutboxFailed, pendingOutbox, queueUnprojectedEdges } from './store.js';

export interface SyncWorkerOptions {
  batchSize?: number;
  /** How often to look for new rows when nothing kicked the worker. */
  pollMs?: number;
  /** First retry delay after a failure; doubles per attempt up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
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

export function createSyncWorker(sql: SqlQueryable, driver: Driver, log: Logger, options: SyncWorkerOptions = {}): SyncWorker {
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 1000;
  const base = options.baseBackoffMs ?? 500;
  const max = options.maxBackoffMs ?? 60_000;
  let healthy = false;
  let schemaReady = false;
  let caughtUp = false;
  let failures = 0;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = true;

  function failed(error: unknown) {
    if (healthy || failures === 0) log.warn('neo4j unreachable; lineage reads use PostgreSQL and the outbox keeps every change', { err: error });
    healthy = false;
    failures += 1;
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
        if (!schemaReady) {
          await ensureNeo4jSchema(driver);
          schemaReady = true;
        }
        await projectEdges(driver, items.map((i) => i.edge));
      } catch (error) {
        failed(error);
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
      // Nothing (more) to write: check Neo4j answers before reads go back to it.
      try {
        if (!schemaReady) {
          await ensureNeo4jSchema(driver);
          schemaReady = true;
        }
        await driver.executeQuery(CYPHER.ping);
      } catch (error) {
        failed(error);
        return projected;
      }
      log.info('neo4j reachable; lineage projection is current', { projected });
    }
    healthy = true;
    failures = 0;
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
      failed(error);
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
