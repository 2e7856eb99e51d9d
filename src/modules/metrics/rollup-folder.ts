// The background fold: keeps metric_rollup_pending short, so history reads rarely fold.
import type { Sql } from '../../db/sql.js';
import type { Logger } from '../../logger.js';
import { anyPending, foldPending } from './rollup-store.js';

export interface RollupFolderOptions {
  /** How long after a committed batch the fold starts, so one fold takes several batches. */
  delayMs: number;
  /** How often to look for rows nobody announced (another replica's, or a previous process's). */
  sweepMs: number;
  /** Queued rows per fold transaction: bounds how long a reader may wait for the fold lock. */
  rowsPerFold: number;
}

export const DEFAULT_FOLDER_OPTIONS: RollupFolderOptions = { delayMs: 20, sweepMs: 2000, rowsPerFold: 128 };

export interface RollupFolder {
  /** A batch committed: fold soon. */
  kick(): void;
  /** Folds until the queue is empty, waiting for another process's fold if need be. */
  drain(): Promise<void>;
  /** Stops the timers and waits for a fold in progress. */
  stop(): Promise<void>;
}

export function createRollupFolder(sql: Sql, log: Logger, options: RollupFolderOptions = DEFAULT_FOLDER_OPTIONS): RollupFolder {
  let stopped = false;
  let scheduled: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  /** Folds until the queue is empty; without `wait`, gives up when another process holds the fold lock. */
  async function drainQueue(wait = false) {
    for (;;) {
      const { locked, rows } = await foldPending(sql, { limit: options.rowsPerFold, wait });
      if (!locked || rows < options.rowsPerFold || (stopped && !wait)) return;
    }
  }

  let again = false;
  function background(): Promise<void> {
    if (running) {
      // Rows queued during this fold may have been missed by it: go round once more.
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await drainQueue();
      } while (again && !stopped);
    })()
      .catch((error: unknown) => {
        // The rows stay queued and the next fold (or a reader) takes them.
        if (!stopped) log.warn('rollup fold failed', { err: error });
      })
      .finally(() => {
        running = null;
      });
    return running;
  }

  // An idle server's sweep costs one indexed probe, not a fold transaction.
  const sweep = setInterval(() => {
    if (running || stopped) return;
    anyPending(sql).then(
      (pending) => (pending ? background() : undefined),
      (error: unknown) => (stopped ? undefined : log.warn('rollup sweep failed', { err: error })),
    );
  }, options.sweepMs);
  sweep.unref();

  return {
    kick() {
      if (stopped || scheduled) return;
      scheduled = setTimeout(() => {
        scheduled = null;
        void background();
      }, options.delayMs);
      scheduled.unref();
    },
    async drain() {
      // Waits for the fold lock and reports a failure, unlike the background fold.
      await running;
      await drainQueue(true);
    },
    async stop() {
      stopped = true;
      clearInterval(sweep);
      if (scheduled) clearTimeout(scheduled);
      scheduled = null;
      await running;
    },
  };
}
