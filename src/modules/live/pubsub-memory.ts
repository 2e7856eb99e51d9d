// In-process PubSub: the default for a single server; messages never leave the process.
import type { PubSub, PubSubHandlers, PubSubSubscription } from './pubsub.js';

export function createMemoryPubSub(): PubSub {
  const channels = new Map<string, Set<PubSubHandlers>>();
  let count = 0;
  return {
    kind: 'memory',
    publish(channel, message) {
      const handlers = channels.get(channel);
      if (!handlers) return;
      // A copy, so a handler that unsubscribes while being called does not skip another.
      for (const h of [...handlers]) h.message(message);
    },
    async subscribe(channel, handlers): Promise<PubSubSubscription> {
      let set = channels.get(channel);
      if (!set) channels.set(channel, (set = new Set()));
      set.add(handlers);
      count += 1;
      let active = true;
      return {
        unsubscribe() {
          if (!active) return;
          active = false;
          count -= 1;
          set.delete(handlers);
          if (set.size === 0 && channels.get(channel) === set) channels.delete(channel);
        },
      };
    },
    connected: () => true,
    handlerCount: () => count,
    async close() {
      channels.clear();
      count = 0;
    },
  };
}
