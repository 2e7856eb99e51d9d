// Sends webhook deliveries from the outbox. Each replica runs one worker; a worker leases a
// subscription (see store.ts), sends its deliveries oldest first and stops at the first that
// fails, so a subscription's receiver sees events in order. A failed delivery is retried with
// doubling pauses until it succeeds or its event is a day old (then FAILED, and the next goes).
// Nothing is held in memory: a worker that dies leaves rows and a lease that runs out.
import { randomUUID } from 'node:crypto';
import type { SqlQueryable } from '../../db/sql.js';
import type { WebhookConfig } from '../../config.js';
import type { Logger } from '../../logger.js';
import { encode, post } from './send.js';
import { headDelivery, type LeasedSubscription, leaseDueSubscriptions, markDelivered, markFailed, nextDueAt, releaseLease, renewLease } from './store.js';

export interface WebhookWorker {
  start(): void;
  /** Asks for a pass soon (a change just queued deliveries). */
  kick(): void;
  /** Sends what is due now; resolves with the number of attempts made. Used by start() and tests. */
  drainOnce(): Promise<number>;
  stop(): Promise<void>;
}

export function retryDelayMs(attempts: number, config: Pick<WebhookConfig, 'retryBaseMs' | 'retryMaxMs'>): number {
  return Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
}

const BATCH = 10;
/** The shortest pause between passes, so a clock skew between replicas cannot spin a worker. */
const MIN_WAIT_MS = 20;

export function createWebhookWorker(sql: SqlQueryable, config: WebhookConfig, log: Logger): WebhookWorker {
  const owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  // Long enough to outlast a few attempts; renewed before each one.
  const leaseMs = config.timeoutMs * 3 + 30_000;
  let timer: NodeJS.Timeout | null = null;
  let dueAt = 0;
  let running: Promise<number> | null = null;
  let stopped = true;
  let again = false;

  /** Sends one subscription's due deliveries in order, until one fails or none is due. */
  async function sendQueue(subscription: LeasedSubscription): Promise<number> {
    let attempts = 0;
    try {
      for (;;) {
        const head = await headDelivery(sql, subscription.id);
        if (!head || head.nextAttemptAt.getTime() > Date.now() || stopped) break;
        if (!(await renewLease(sql, subscription.id, owner, leaseMs))) break;
        const { body, headers } = encode(subscription.format, subscription.secret, head.event, String(head.id));
        const attempt = await post(subscription.url, body, headers, { timeoutMs: config.timeoutMs, allowPrivate: config.allowPrivateTargets });
        attempts += 1;
        if (attempt.ok) {
          await markDelivered(sql, head.id, attempt.status!);
          continue;
        }
        const giveUp = Date.now() - head.event.createdAt.getTime() >= config.giveUpAfterMs;
        await markFailed(sql, head.id, { status: attempt.status, error: attempt.error ?? 'failed' }, retryDelayMs(head.attempts + 1, config), giveUp);
        if (giveUp) {
          log.warn('webhook delivery given up', { subscription: subscription.id, delivery: head.id, event: head.event.eventId, error: attempt.error });
          continue;
        }
        break;
      }
    } finally {
      await releaseLease(sql, subscription.id, owner).catch(() => {});
    }
    return attempts;
  }

  async function drainOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const leased = await leaseDueSubscriptions(sql, owner, leaseMs, BATCH);
      if (leased.length === 0) break;
      const counts = await Promise.all(leased.map(sendQueue));
      total += counts.reduce((a, b) => a + b, 0);
      if (stopped) break;
    }
    return total;
  }

  function schedule(ms: number) {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    dueAt = Date.now() + ms;
    timer = setTimeout(tick, ms);
    timer.unref?.();
  }

  function tick() {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    let wait = config.pollMs;
    running = (async () => {
      const attempts = await drainOnce();
      // Sleep until the next delivery is due (a retry's pause, another worker's lease), at most
      // pollMs: deliveries queued by other replicas are found by that poll.
      const next = await nextDueAt(sql);
      if (next) wait = Math.min(config.pollMs, Math.max(MIN_WAIT_MS, next.getTime() - Date.now()));
      return attempts;
    })()
      .catch((error) => {
        log.warn('webhook delivery pass failed; retrying', { err: error });
        return 0;
      })
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          schedule(0);
        } else schedule(wait);
      });
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    kick() {
      // The change that queued deliveries commits after this call: look a moment later.
      if (!stopped && (!timer || dueAt > Date.now() + 20)) schedule(20);
    },
    drainOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
