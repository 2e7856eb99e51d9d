// The runUpdated stream of one project: ids of changed runs from the pub/sub, coalesced, each
// sent as the run is stored when the subscriber reads it.
import type { Run } from '../runs/service.js';
import type { PubSub, PubSubSubscription } from './pubsub.js';
import { LiveStream } from './stream.js';
import { runsChannel, type WireRunChange } from './wire.js';

export interface RunUpdatedEnv {
  pubsub: PubSub;
  /** Registers the stream with the service (stats, graceful stop) and forgets it when it ends. */
  track: (stream: LiveStream<number>) => void;
  forget: (stream: LiveStream<number>) => void;
  loadRun: (runId: number) => Promise<Run | null>;
}

export async function openRunUpdated(env: RunUpdatedEnv, projectId: number): Promise<AsyncIterableIterator<Run>> {
  // Coalesced: a run pending twice is sent once, so the queue is bounded by the project's runs.
  const pendingIds = new Set<number>();
  let subscription: PubSubSubscription | null = null;
  const ids: LiveStream<number> = new LiveStream(() => {
    subscription?.unsubscribe();
    subscription = null;
    env.forget(ids);
  });
  env.track(ids);
  try {
    subscription = await env.pubsub.subscribe(runsChannel(projectId), {
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
  const loadRun = env.loadRun;
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
  return runs;
}
