// Redis PubSub: every replica publishes to and subscribes from one Redis, so a subscriber on
// one server sees points ingested through another. Redis forgets what a disconnected
// subscriber missed; handlers are told (`interrupted`) and the database replay fills the gap.
import { Redis } from 'ioredis';
import type { Logger } from '../../logger.js';
import type { PubSub, PubSubHandlers, PubSubSubscription } from './pubsub.js';

interface Entry {
  handlers: PubSubHandlers;
  /** Confirmed by Redis on the current connection, so a disconnect may have lost messages. */
  active: boolean;
}

export class PubSubUnavailableError extends Error {}

/** Sent on a channel when messages for it were lost: not JSON, so it cannot be a message. */
const GAP = 'runledger:gap:';
const MAX_LOST_CHANNELS = 100_000;

const retryStrategy = (times: number) => Math.min(100 * times, 2000);

export function createRedisPubSub(options: { url: string; prefix: string; log: Logger }): PubSub {
  const { url, log } = options;
  const prefix = `${options.prefix}:`;
  // A connection in subscriber mode cannot publish, hence two. The publisher does not queue
  // while Redis is down: a publish is fire-and-forget, and a queue would only grow.
  const publisher = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy, lazyConnect: false });
  // The subscriber queues SUBSCRIBE commands while reconnecting, but gives up after a few
  // attempts so a client waiting for its subscription gets an error instead of a hang.
  const subscriber = new Redis(url, { maxRetriesPerRequest: 3, retryStrategy, autoResubscribe: true });
  const channels = new Map<string, Set<Entry>>();
  let count = 0;
  let closing = false;

  const watch = (name: string, redis: Redis) => {
    let healthy = true;
    redis.on('ready', () => {
      if (!healthy) log.info('redis reconnected', { connection: name });
      healthy = true;
    });
    redis.on('error', (err: Error) => {
      // ioredis retries by itself; log once per outage, not once per attempt.
      if (healthy && !closing) log.warn('redis unavailable; live updates through it are paused', { connection: name, err });
      healthy = false;
    });
  };
  watch('publisher', publisher);
  watch('subscriber', subscriber);

  subscriber.on('close', () => {
    for (const set of channels.values()) {
      for (const entry of set) {
        if (!entry.active) continue;
        entry.active = false;
        entry.handlers.interrupted?.();
      }
    }
  });

  subscriber.on('message', (full: string, text: string) => {
    const set = channels.get(full);
    if (!set || set.size === 0) return;
    if (text.startsWith(GAP)) {
      // A publisher lost messages for this channel while it could not reach Redis.
      const hint = text.length > GAP.length ? Number(text.slice(GAP.length)) : undefined;
      for (const entry of [...set]) entry.handlers.interrupted?.(hint);
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (err) {
      log.warn('dropping an undecodable pub/sub message', { channel: full, err });
      return;
    }
    for (const entry of [...set]) entry.handlers.message(message);
  });

  // Channels whose messages this publisher lost: once Redis is back, their subscribers (on
  // any replica) are told, so they resume from the database instead of missing points silently.
  const lost = new Map<string, number | undefined>();
  function missed(full: string, hint: number | undefined) {
    if (lost.size >= MAX_LOST_CHANNELS && !lost.has(full)) {
      log.error('too many channels lost messages during a Redis outage; some subscribers will not be told', { max: MAX_LOST_CHANNELS });
      return;
    }
    const known = lost.has(full);
    const before = lost.get(full);
    // Without a hint for one lost message, the channel's lowest hint is unknown.
    lost.set(full, known && (before === undefined || hint === undefined) ? undefined : hint === undefined ? before : Math.min(hint, before ?? hint));
    if (publisher.status === 'ready') flushLost();
  }
  function flushLost() {
    for (const [full, hint] of lost) {
      lost.delete(full);
      publisher.publish(full, `${GAP}${hint ?? ''}`).catch(() => missed(full, hint));
    }
  }
  publisher.on('ready', flushLost);

  function release(full: string, set: Set<Entry>, entry: Entry) {
    if (!set.delete(entry)) return;
    count -= 1;
    if (set.size === 0 && channels.get(full) === set) {
      channels.delete(full);
      if (!closing) subscriber.unsubscribe(full).catch((err: unknown) => log.debug('redis unsubscribe failed', { channel: full, err }));
    }
  }

  return {
    kind: 'redis',
    publish(channel, message, resumeHint) {
      if (closing) return;
      publisher.publish(prefix + channel, JSON.stringify(message)).catch((err: unknown) => {
        log.debug('redis publish failed; the message is lost (subscribers resume from the database)', { channel, err });
        missed(prefix + channel, resumeHint);
      });
    },
    async subscribe(channel, handlers): Promise<PubSubSubscription> {
      if (closing) throw new PubSubUnavailableError('pub/sub is closed');
      const full = prefix + channel;
      let set = channels.get(full);
      if (!set) channels.set(full, (set = new Set()));
      const entry: Entry = { handlers, active: false };
      set.add(entry);
      count += 1;
      const owner = set;
      try {
        // Sent even when the channel is already subscribed: its reply proves the
        // subscription holds on the connection as it is now.
        await subscriber.subscribe(full);
      } catch (err) {
        release(full, owner, entry);
        throw new PubSubUnavailableError(`live updates are unavailable: cannot subscribe through Redis (${err instanceof Error ? err.message : String(err)})`);
      }
      if (owner.has(entry)) entry.active = true;
      return { unsubscribe: () => release(full, owner, entry) };
    },
    connected: () => publisher.status === 'ready' && subscriber.status === 'ready',
    handlerCount: () => count,
    async close() {
      closing = true;
      channels.clear();
      count = 0;
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}
