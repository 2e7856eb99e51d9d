// Live: publishes committed changes and serves metricLogged / runUpdated streams, with the
// replay-then-live seam, the slow-consumer policy and the per-subscription limits.
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
import type { PubSub, PubSubSubscription } from './pubsub.js';
import { type ReplayCursor, replayPage } from './store.js';
import { LiveStream } from './stream.js';

export interface LivePoint {
  key: string;
  step: number;
  timestamp: Date;
  value: number;
}

export interface MetricBatch {
  runId: number;
  points: LivePoint[];
  /** True for points read back from the database (sinceStep), false for live ones. */
  replay: boolean;
  /** When the batch that wrote these points committed; null for replayed points. */
  committedAt: Date | null;
  /** What to pass as sinceStep when reconnecting (after dropping your points from that step on). */
  resumeFromStep: number;
  /** The last batch of a subscription that fell behind or lost live delivery. */
  dropped: boolean;
}

export type RunChange = 'CREATED' | 'UPDATED' | 'FINISHED' | 'RESUMED' | 'TAGS_CHANGED' | 'DELETED' | 'RESTORED';

// Wire format: compact, and NaN/±Infinity survive JSON as strings.
interface WirePoint {
  k: string;
  s: number;
  t: number;
  v: number | string;
}
interface WireMetricBatch {
  runId: number;
  committedAt: number;
  points: WirePoint[];
}
interface WireRunChange {
  runId: number;
  change: RunChange;
}

const encodeValue = (v: number): number | string => (Number.isFinite(v) ? v : String(v));
const decodeValue = (v: number | string): number => (typeof v === 'number' ? v : Number(v));
const identity = (key: string, step: number, ts: number) => `${key}\u0000${step}\u0000${ts}`;

export const metricsChannel = (runId: number) => `metrics:run:${runId}`;
export const runsChannel = (projectId: number) => `runs:project:${projectId}`;

/**
 * A live point published just before the replay read it can reach the subscriber after the
 * replay ended; replayed identities are kept this long afterwards to skip such repeats.
 */
const SEAM_GRACE_MS = 5_000;

export interface MetricSubscriptionInput {
  runId: number;
  keys?: readonly string[] | null;
  sinceStep?: number | null;
}

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
    /** Publishes the points a committed logBatch inserted (call only after it returned). */
    metricsCommitted(result: LogBatchResult): void {
      if (result.points.length > 0) {
        const message: WireMetricBatch = {
          runId: result.runId,
          committedAt: Date.now(),
          points: result.points.map((p: StoredPoint) => ({ k: p.key, s: p.step, t: p.timestamp.getTime(), v: encodeValue(p.value) })),
        };
        pubsub.publish(metricsChannel(result.runId), message, Math.min(...result.points.map((p) => p.step)));
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
     * already sent, then continues live: no gap, no duplicate at the seam.
     */
    async metricLogged(caller: Access, input: MetricSubscriptionInput): Promise<AsyncIterableIterator<MetricBatch | AccessEnded>> {
      const keys = validateKeys(input.keys);
      const sinceStep = input.sinceStep ?? null;
      const run = await deps.requireRun(caller, input.runId);

      let subscription: PubSubSubscription | null = null;
      let replaying = sinceStep !== null;
      let buffered: MetricBatch[] = [];
      let pendingPoints = 0;
      let replayed: Set<string> | null = null;
      let highest: number | null = null; // highest step delivered so far
      let graceTimer: NodeJS.Timeout | null = null;

      const stream: LiveStream<MetricBatch> = new LiveStream(() => {
        subscription?.unsubscribe();
        subscription = null;
        buffered = [];
        replayed = null;
        if (graceTimer) clearTimeout(graceTimer);
        streams.delete(stream as LiveStream<unknown>);
      });
      // A graceful stop delivers what is queued, then says where to resume (on another replica).
      track(stream, () => giveUp(null, 'server stopping', { keepPending: true }));

      const resumeStep = () => highest ?? sinceStep ?? 0;
      const wanted = (p: LivePoint) =>
        (!keys || keys.has(p.key)) && (sinceStep === null || p.step >= sinceStep) && !replayed?.has(identity(p.key, p.step, p.timestamp.getTime()));
      const deliver = (batch: MetricBatch) => {
        for (const p of batch.points) if (highest === null || p.step > highest) highest = p.step;
        const resume = resumeStep();
        // Subscribers that see the same event the same way get the same object, so their
        // GraphQL execution is shared (see shared-execution.ts).
        const same = shared.get(batch.points);
        if (same) {
          let batchFor = same.get(resume);
          if (!batchFor) same.set(resume, (batchFor = { ...batch, resumeFromStep: resume }));
          stream.push(batchFor);
          return;
        }
        batch.resumeFromStep = resume;
        stream.push(batch);
      };
      // The consumer has not taken what it has: give up on this stream and say where to resume.
      // With keepPending (a graceful stop) the queued batches are still delivered first.
      const giveUp = (lowestMissed: number | null, reason: string, options: { keepPending?: boolean } = {}) => {
        if (stream.isClosed) return;
        let resume = lowestMissed ?? resumeStep();
        for (const b of options.keepPending ? buffered : [...stream.pending, ...buffered]) for (const p of b.points) if (p.step < resume) resume = p.step;
        if (replaying) resume = Math.min(resume, resumeStep());
        log.debug('live subscription dropped', { runId: input.runId, reason, resumeFromStep: resume });
        buffered = [];
        if (!options.keepPending) stream.replacePending([]);
        subscription?.unsubscribe();
        subscription = null;
        stream.push({ runId: input.runId, points: [], replay: false, committedAt: null, resumeFromStep: resume, dropped: true });
        stream.end();
      };

      const onMessage = (raw: unknown) => {
        if (stream.isClosed) return;
        const msg = raw as WireMetricBatch;
        const all = decode(msg);
        const points = all.every(wanted) ? all : all.filter(wanted);
        if (points.length === 0) return;
        const batch: MetricBatch = { runId: msg.runId, points, replay: false, committedAt: new Date(msg.committedAt), resumeFromStep: 0, dropped: false };
        // Replay pages are not counted: the replay waits for the consumer (one page at most).
        const queuedLive = stream.pending.reduce((n, b) => (b.replay ? n : n + b.points.length), 0);
        if (pendingPoints + queuedLive + points.length > config.queuePoints) {
          giveUp(Math.min(...points.map((p) => p.step)), 'slow consumer');
          return;
        }
        if (replaying) {
          buffered.push(batch);
          pendingPoints += points.length;
        } else {
          deliver(batch);
        }
      };

      try {
        subscription = await deps.pubsub.subscribe(metricsChannel(input.runId), {
          message: onMessage,
          interrupted: (lowestLost) => {
            if (!stream.isClosed) giveUp(lowestLost ?? null, 'pub/sub interrupted');
          },
        });
      } catch (err) {
        stream.close();
        throw err;
      }
      if (stream.isClosed) subscription.unsubscribe();

      if (sinceStep !== null) {
        replayed = new Set();
        void (async () => {
          try {
            let after: ReplayCursor | null = null;
            for (;;) {
              if (stream.isClosed || closing) return;
              const rows = await replayPage(db.sql, { runId: input.runId, sinceStep, keys: keys ? [...keys] : null, after, limit: config.replayPageSize });
              if (stream.isClosed) return;
              if (rows.length > 0) {
                const points = rows.map((r) => ({ key: r.key, step: r.step, timestamp: r.ts, value: r.value }));
                for (const p of points) replayed!.add(identity(p.key, p.step, p.timestamp.getTime()));
                deliver({ runId: input.runId, points, replay: true, committedAt: null, resumeFromStep: 0, dropped: false });
                const last = rows[rows.length - 1]!;
                after = { step: last.step, ts: last.ts, key: last.key };
              }
              if (rows.length < config.replayPageSize) break;
              // Backpressure: the next page waits until the consumer took this one.
              await stream.whenDrained();
            }
            const seen = replayed!;
            replaying = false;
            for (const batch of buffered) {
              const fresh = batch.points.filter((p) => !seen.has(identity(p.key, p.step, p.timestamp.getTime())));
              if (fresh.length === batch.points.length) deliver(batch);
              else if (fresh.length) deliver({ ...batch, points: fresh });
            }
            buffered = [];
            pendingPoints = 0;
            graceTimer = setTimeout(() => {
              replayed = null;
            }, SEAM_GRACE_MS);
            graceTimer.unref();
          } catch (err) {
            if (!stream.isClosed) {
              log.error('metric replay failed', { runId: input.runId, err });
              stream.end(err);
            }
          }
        })();
      }
      return deps.access.guard(stream, holderOf(caller), run.projectId);
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
