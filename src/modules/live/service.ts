// Live: serves runUpdated streams (run-updated.ts) and metricLogged subscriptions (metric-stream.ts)
// within the per-subscription limits, and publishes committed changes (publisher.ts).
import type { Database } from '../../db/database.js';
import { LimitExceededError } from '../../errors.js';
import type { LiveConfig } from '../../config.js';
import type { Logger } from '../../logger.js';
import { requireKey } from '../../validation.js';
import type { Access } from '../auth/access.js';
import type { Run } from '../runs/service.js';
import type { AccessEnded, AccessWatch, Holder } from './access-watch.js';
import { type LivePoint, type MetricBatch, MetricSubscription } from './metric-stream.js';
import { createLivePublisher } from './publisher.js';
import type { PubSub } from './pubsub.js';
import { openRunUpdated } from './run-updated.js';
import { createSharedReads } from './shared-reads.js';
import type { LiveStream } from './stream.js';
import { metricsChannel, type RunChange, runsChannel } from './wire.js';

export { metricsChannel, runsChannel };

export type { LivePoint, MetricBatch, RunChange };

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

function validateKeys(config: LiveConfig, keys: readonly string[] | null | undefined): Set<string> | null {
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
  const reads = createSharedReads(db);

  // How each stream ends on a graceful stop, when it has more to say than done.
  const onStop = new WeakMap<LiveStream<unknown>, () => void>();
  function track<T>(stream: LiveStream<T>, stopping?: () => void) {
    streams.add(stream as LiveStream<unknown>);
    if (stopping) onStop.set(stream as LiveStream<unknown>, stopping);
  }
  function forget<T>(stream: LiveStream<T>) {
    streams.delete(stream as LiveStream<unknown>);
  }

  return {
    ...createLivePublisher({ db, pubsub, log }),

    /**
     * Points of one run as they commit. With sinceStep: subscribes first (buffering), then
     * replays stored points from that step, then flushes the buffer minus what the replay
     * already sent, then continues live: no gap, no duplicate at the seam. A batch committed
     * whose message never arrives ends the stream with a dropped batch (see metric-stream.ts).
     */
    async metricLogged(caller: Access, input: MetricSubscriptionInput): Promise<AsyncIterableIterator<MetricBatch | AccessEnded>> {
      const keys = validateKeys(config, input.keys);
      const run = await deps.requireRun(caller, input.runId);
      const env = { db, pubsub, config, log, ...reads, track, forget, closing: () => closing };
      const subscription = new MetricSubscription(env, input.runId, keys, input.sinceStep ?? null);
      return deps.access.guard(await subscription.open(), holderOf(caller), run.projectId);
    },

    /** Runs of a project as they are created or change; each event carries the run as stored now. */
    async runUpdated(caller: Access, projectName: string): Promise<AsyncIterableIterator<Run | AccessEnded>> {
      const project = await deps.requireProject(caller, projectName);
      const runs = await openRunUpdated({ pubsub, track, forget, loadRun: deps.loadRun }, project.id);
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
