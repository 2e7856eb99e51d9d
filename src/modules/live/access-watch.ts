// Live subscriptions outlast the request that authorized them, so access is watched while they
// run: a revoked token or project role (announced to every replica over the PubSub) or a token
// that expires ends the subscription with an authorization error as its last event.
import { ForbiddenError, UnauthenticatedError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { PubSub, PubSubSubscription } from './pubsub.js';

export const REVOCATIONS_CHANNEL = 'auth:revocations';

export type Revocation = { kind: 'token'; tokenId: number } | { kind: 'role'; userId: number; projectId: number };

/** Who holds a subscription; null is the local user (authentication off), who cannot be revoked. */
export interface Holder {
  userId: number;
  tokenId: number;
  expiresAt: Date | null;
}

/** What the database says about a holder's access to a project now. */
export type AccessStatus = 'ok' | 'token' | 'role';

/** The last event of a subscription that lost access: its resolver throws `error`. */
export class AccessEnded {
  constructor(readonly error: Error) {}
}

interface Watcher {
  holder: Holder;
  projectId: number;
  end(error: Error): void;
}

// setTimeout holds at most 2^31-1 ms (about 24.8 days); longer waits are re-armed.
const MAX_TIMER_MS = 2 ** 31 - 1;

function errorFor(status: Exclude<AccessStatus, 'ok'>): Error {
  return status === 'token'
    ? new UnauthenticatedError('the API token of this subscription was revoked or expired; subscribe again with a valid token')
    : new ForbiddenError('your role in this project was revoked; the subscription has ended', { needed: 'VIEWER' });
}

export function createAccessWatch(deps: { pubsub: PubSub; log: Logger; status: (tokenId: number, projectId: number) => Promise<AccessStatus> }) {
  const watchers = new Set<Watcher>();
  let channel: Promise<PubSubSubscription> | null = null;

  async function recheck(candidates: Watcher[]) {
    for (const w of candidates) {
      try {
        const status = await deps.status(w.holder.tokenId, w.projectId);
        if (status !== 'ok') w.end(errorFor(status));
      } catch (err) {
        deps.log.warn("could not recheck a subscriber's access", { err });
      }
    }
  }

  function onRevocation(raw: unknown) {
    const r = raw as Revocation;
    // The message only says whom to look at; the database decides (a role may be granted again).
    const affected = [...watchers].filter((w) =>
      r.kind === 'token' ? w.holder.tokenId === r.tokenId : w.holder.userId === r.userId && w.projectId === r.projectId,
    );
    void recheck(affected);
  }

  function listen(): Promise<PubSubSubscription> {
    channel ??= deps.pubsub
      .subscribe(REVOCATIONS_CHANNEL, {
        message: onRevocation,
        // Revocations may have been missed while the broker was away: check everyone.
        interrupted: () => void recheck([...watchers]),
      })
      .catch((err: unknown) => {
        channel = null;
        throw err;
      });
    return channel;
  }

  return {
    /** Tells every replica to recheck the subscriptions of a revoked token or role. */
    announce(revocation: Revocation): void {
      deps.pubsub.publish(REVOCATIONS_CHANNEL, revocation);
    },

    /**
     * Wraps a subscription's events so that losing access ends it with an AccessEnded event
     * (then done), closing the source. A null holder (authentication off) is passed through.
     */
    async guard<T>(source: AsyncIterableIterator<T>, holder: Holder | null, projectId: number): Promise<AsyncIterableIterator<T | AccessEnded>> {
      if (!holder) return source;
      try {
        await listen();
      } catch (err) {
        await source.return?.(); // unwatched, it must not stream at all
        throw err;
      }
      let ended: AccessEnded | null = null;
      let delivered = false;
      let timer: NodeJS.Timeout | null = null;
      let signal!: () => void;
      const lost = new Promise<void>((resolve) => (signal = resolve));
      const watcher: Watcher = {
        holder,
        projectId,
        end(error) {
          if (ended) return;
          ended = new AccessEnded(error);
          release();
          void source.return?.();
          signal();
        },
      };
      const release = () => {
        watchers.delete(watcher);
        if (timer) clearTimeout(timer);
      };
      const arm = () => {
        if (!holder.expiresAt) return;
        const wait = holder.expiresAt.getTime() - Date.now();
        if (wait <= 0) return watcher.end(errorFor('token'));
        timer = setTimeout(arm, Math.min(wait, MAX_TIMER_MS));
        timer.unref();
      };
      watchers.add(watcher);
      arm();
      const finish = (): IteratorResult<T | AccessEnded> | null => {
        if (!ended || delivered) return null;
        delivered = true;
        return { value: ended, done: false };
      };
      const iterator: AsyncIterableIterator<T | AccessEnded> = {
        async next() {
          if (delivered) return { value: undefined, done: true };
          const result = await Promise.race([source.next(), lost.then(() => null)]);
          const last = finish();
          if (last) return last;
          if (!result || result.done) release();
          return result ?? { value: undefined, done: true };
        },
        async return() {
          release();
          await source.return?.();
          return { value: undefined, done: true };
        },
        async throw(error?: unknown) {
          release();
          return source.throw ? source.throw(error) : Promise.reject(error);
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
      return iterator;
    },

    /** Subscriptions being watched (for tests and operators). */
    size: () => watchers.size,
  };
}

export type AccessWatch = ReturnType<typeof createAccessWatch>;
