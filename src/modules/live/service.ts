// Live: publishes committed changes (with each series' count, so a lost batch shows) and serves
// runUpdated streams and metricLogged subscriptions (metric-stream.ts), within the per-subscription limits.
import type { Database } from '../../db/database.js';
import { LimitExceededError } from '../../errors.js';
import type { LiveConfig } from '../../config.js';
import type { Logger } from '../../logger.js';
import { requireKey } from '../../validation.js';
import type { Access } from '../auth/access.js';
import type { LogBatchResult } from '../metrics/service.js';
import type { StoredPoint } from '../metrics/store.js';
import type { Run } from '../runs/service.js';
import type { AccessEnded, AccessWatch, Holder } from './access-watch.js';
import { type LivePoint, type MetricBatch, MetricSubscription } from './metric-stream.js';
import type { PubSub, PubSubSubscription } from './pubsub.js';
import { type SeriesTotal, seriesTotals } from './store.js';
import { LiveStream } from './stream.js';
import { decodeValue, encodeValue, metricsChannel, type RunChange, runsChannel, type WireMetricBatch, type WireRunChange } from './wire.js';

export { metricsChannel, runsChannel };

export type { LivePoint, MetricBatch, RunChange };

export interface MetricSubscriptionInput {
  runId: number;
  keys?: readonly string[] | null;
  sinceStep?: number | null;
}

/** Reads of a run's series totals closer together than this share one query. */
const TOTALS_SHARE_MS = 250;

/** Who holds a subscription, watched for revocation and expiry; null with authentication off. */
function holderOf(caller: Access): Holder | null {
  const p = caller.principal;
  return p.kind === 'user' ? { userId: p.userId, tokenId: p.tokenId, expiresAt: p.expiresAt } : null;
}

export function createLiveService(deps: {
  db: Database;
  pubsub: PubSub;
  config: LiveConfig;
  log: Logger;
  access: AccessWatch;
  /** The run when the caller may read it (NOT_FOUND otherwise). */
  requireRun: (caller: Access, runId: number) => Promise<Run>;
  /** The project when the caller may read it (NOT_FOUND otherwise). */
  requireProject: (caller: Access, name: string) => Promise<{ id: number }>;
  loadRun: (runId: number) => Promise<Run | null>;
}) {
  const { db, pubsub, config, log } = deps;
  const streams = new Set<LiveStream<unknown>>();
  let closing = false;
  // Per published message: its points decoded once for every local subscriber, and the
  // batches built from them (by resumeFromStep). Weak, so they go with the message.
  const decoded = new WeakMap<object, LivePoint[]>();
  const shared = new WeakMap<LivePoint[], Map<number, MetricBatch>>();
  function decode(msg: WireMetricBatch): LivePoint[] {
    let points = decoded.get(msg);
    if (!points) {
      points = msg.points.map((p) => ({ key: p.k, step: p.s, timestamp: new Date(p.t), value: decodeValue(p.v) }));
      decoded.set(msg, points);
      shared.set(points, new Map());
    }
    return points;
  }

  // How each stream ends on a graceful stop, when it has more to say than done.
  const onStop = new WeakMap<LiveStream<unknown>, () => void>();
  function track<T>(stream: LiveStream<T>, stopping?: () => void) {
    streams.add(stream as LiveStream<unknown>);
    if (stopping) onStop.set(stream as LiveStream<unknown>, stopping);
  }

  // Subscribers of one run on this replica share each read of its series' totals.
  const totalsReads = new Map<number, { at: number; read: Promise<SeriesTotal[]> }>();
  function totals(runId: number): Promise<SeriesTotal[]> {
    const recent = totalsReads.get(runId);
    if (recent && Date.now() - recent.at < TOTALS_SHARE_MS) return recent.read;
    const read = seriesTotals(db.sql, runId);
    totalsReads.set(runId, { at: Date.now(), read });
    read.finally(() => setTimeout(() => totalsReads.get(runId)?.read === read && totalsReads.delete(runId), TOTALS_SHARE_MS).unref()).catch(() => {});
    return read;
  }

  /** A write that inserted nothing (a retry) still tells subscribers what each series holds now: a lost first attempt shows. */
  async function publishTotals(runId: number): Promise<void> {
    try {
      const counts = (await seriesTotals(db.sql, runId)).map((t): [string, number] => [t.key, t.count]);
      if (counts.length) pubsub.publish(metricsChannel(runId), { runId, committedAt: Date.now(), points: [], counts } satisfies WireMetricBatch);
    } catch (err) {
      log.warn('publishing series totals failed', { runId, err });
    }
  }

  function validateKeys(keys: readonly string[] | null | undefined): Set<string> | null {
    if (keys == null) return null;
    if (keys.length > config.maxKeysPerSubscription) {
      throw new LimitExceededError(
        `keys: at most ${config.maxKeysPerSubscription} keys per subscription (maxKeysPerSubscription); got ${keys.length}. Subscribe without keys to get every metric of the run`,
        { field: 'keys', limit: 'maxKeysPerSubscription', max: config.maxKeysPerSubscription },
      );
    }
    keys.forEach((k, i) => requireKey(`keys[${i}]`, k));
    return new Set(keys);
  }

  return {
    /**
     * Publishes the points a committed logBatch inserted, with each series' count after it
     * (call only after it returned). A retry that inserted nothing publishes the counts alone.
     */
    metricsCommitted(result: LogBatchResult): void {
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
      if (result.tagsWritten > 0) this.runChanged({ id: result.runId, projectId: result.projectId }, 'TAGS_CHANGED');
    },

    /** Publishes that a run changed (call only after the change committed). */
    runChanged(run: { id: number; projectId: number }, change: RunChange): void {
      const message: WireRunChange = { runId: run.id, change };
      pubsub.publish(runsChannel(run.projectId), message);
    },

    /**
     * Points of one run as they commit. With sinceStep: subscribes first (buffering), then
     * replays stored points from that step, then flushes the buffer minus what the replay
     * already sent, then continues live: no gap, no duplicate at the seam. A batch committed
     * whose message never arrives ends the stream with a dropped batch (see metric-stream.ts).
     */
    async metricLogged(caller: Access, input: MetricSubscriptionInput): Promise<AsyncIterableIterator<MetricBatch | AccessEnded>> {
      const keys = validateKeys(input.keys);
      const run = await deps.requireRun(caller, input.runId);
      const subscription = new MetricSubscription(
        {
          db,
          pubsub,
          config,
          log,
          decode,
          shared: (points) => shared.get(points),
          track,
          forget: (stream) => streams.delete(stream as LiveStream<unknown>),
          closing: () => closing,
          totals,
        },
        input.runId,
        keys,
        input.sinceStep ?? null,
      );
      return deps.access.guard(await subscription.open(), holderOf(caller), run.projectId);
    },

    /** Runs of a project as they are created or change; each event carries the run as stored now. */
    async runUpdated(caller: Access, projectName: string): Promise<AsyncIterableIterator<Run | AccessEnded>> {
      const project = await deps.requireProject(caller, projectName);
      // Coalesced: a run pending twice is sent once, so the queue is bounded by the project's runs.
      const pendingIds = new Set<number>();
      let subscription: PubSubSubscription | null = null;
      const ids: LiveStream<number> = new LiveStream(() => {
        subscription?.unsubscribe();
        subscription = null;
        streams.delete(ids as LiveStream<unknown>);
      });
      track(ids);
      try {
        subscription = await deps.pubsub.subscribe(runsChannel(project.id), {
          message: (raw) => {
            const { runId } = raw as WireRunChange;
            if (pendingIds.has(runId)) return;
            pendingIds.add(runId);
            ids.push(runId);
          },
          // Changes may have been missed: end, so the client refetches and resubscribes.
          interrupted: () => ids.end(),
        });
      } catch (err) {
        ids.close();
        throw err;
      }
      if (ids.isClosed) subscription.unsubscribe();
      const loadRun = deps.loadRun;
      const runs: AsyncIterableIterator<Run> = {
        async next() {
          for (;;) {
            const next = await ids.next();
            if (next.done) return { value: undefined, done: true };
            pendingIds.delete(next.value);
            const run = await loadRun(next.value);
            if (run) return { value: run, done: false };
          }
        },
        return: () => ids.return() as Promise<IteratorResult<Run>>,
        throw: (e?: unknown) => ids.throw(e) as Promise<IteratorResult<Run>>,
        [Symbol.asyncIterator]() {
          return this;
        },
      };
      return deps.access.guard(runs, holderOf(caller), project.id);
    },

    /** What this server holds for live subscribers right now (for tests and operators). */
    stats() {
      let pendingPoints = 0;
      for (const stream of streams) {
        for (const item of stream.pending) {
          const points = (item as Partial<MetricBatch>).points;
          pendingPoints += points ? points.length : 1;
        }
      }
      return { subscriptions: streams.size, pubsubHandlers: pubsub.handlerCount(), pendingPoints };
    },

    /**
     * Completes every open subscription (graceful stop): what is queued is still delivered,
     * and metricLogged ends with a dropped batch saying where to resume, since points
     * committed from now on (by requests still in flight) will not reach it. New
     * subscriptions are still possible until pubsub closes.
     */
    endAll(): void {
      closing = true;
      for (const stream of [...streams]) {
        const stop = onStop.get(stream);
        if (stop) stop();
        else stream.end();
      }
    },
  };
}

export type LiveService = ReturnType<typeof createLiveService>;
