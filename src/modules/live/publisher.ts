// Publishes committed changes on the pub/sub: run changes, and logged points with each series'
// count after the write, so a subscriber that misses a batch can tell.
import type { Database } from '../../db/database.js';
import type { Logger } from '../../logger.js';
import type { LogBatchResult } from '../metrics/service.js';
import type { StoredPoint } from '../metrics/store.js';
import type { PubSub } from './pubsub.js';
import { seriesTotals } from './store.js';
import { encodeValue, metricsChannel, type RunChange, runsChannel, type WireMetricBatch, type WireRunChange } from './wire.js';

export function createLivePublisher(deps: { db: Database; pubsub: PubSub; log: Logger }) {
  const { db, pubsub, log } = deps;

  /** A write that inserted nothing (a retry) still tells subscribers what each series holds now: a lost first attempt shows. */
  async function publishTotals(runId: number): Promise<void> {
    try {
      const counts = (await seriesTotals(db.sql, runId)).map((t): [string, number] => [t.key, t.count]);
      if (counts.length) pubsub.publish(metricsChannel(runId), { runId, committedAt: Date.now(), points: [], counts } satisfies WireMetricBatch);
    } catch (err) {
      log.warn('publishing series totals failed', { runId, err });
    }
  }

  /** Publishes that a run changed (call only after the change committed). */
  function runChanged(run: { id: number; projectId: number }, change: RunChange): void {
    const message: WireRunChange = { runId: run.id, change };
    pubsub.publish(runsChannel(run.projectId), message);
  }

  /**
   * Publishes the points a committed logBatch inserted, with each series' count after it
   * (call only after it returned). A retry that inserted nothing publishes the counts alone.
   */
  function metricsCommitted(result: LogBatchResult): void {
    if (result.points.length > 0) {
      const message: WireMetricBatch = {
        runId: result.runId,
        committedAt: Date.now(),
        points: result.points.map((p: StoredPoint) => ({ k: p.key, s: p.step, t: p.timestamp.getTime(), v: encodeValue(p.value) })),
        counts: result.counts.map((c): [string, number] => [c.key, c.count]),
      };
      pubsub.publish(metricsChannel(result.runId), message, Math.min(...result.points.map((p) => p.step)));
    } else if (result.replayed || result.pointsSkipped > 0) {
      void publishTotals(result.runId);
    }
    if (result.tagsWritten > 0) runChanged({ id: result.runId, projectId: result.projectId }, 'TAGS_CHANGED');
  }

  return { metricsCommitted, runChanged };
}
