// The PubSub port: fan-out of committed changes to live subscribers, in-process or across
// replicas. Delivery is at most once; completeness comes from the database replay.

export interface PubSubHandlers {
  /** One published message, already decoded; the same object is shared by every local handler. */
  message(message: unknown): void;
  /**
   * Delivery may have lost messages (the connection to the broker dropped while this
   * handler was subscribed, or a publisher could not reach the broker). `resumeHint` is the
   * lowest hint of the lost messages when the publisher knows it. The subscription stays
   * registered; the caller decides.
   */
  interrupted?(resumeHint?: number): void;
}

export interface PubSubSubscription {
  unsubscribe(): void;
}

export interface PubSub {
  readonly kind: 'memory' | 'redis';
  /**
   * Fire and forget: never throws. A message lost to a broker outage is not retried; once the
   * broker is back, the channel's subscribers get `interrupted(resumeHint)`, with the lowest
   * `resumeHint` among the lost messages (for metrics: their lowest step).
   */
  publish(channel: string, message: unknown, resumeHint?: number): void;
  /**
   * Resolves once the broker confirmed the subscription, so anything published after that
   * reaches `handlers`: the replay-then-live seam relies on it.
   */
  subscribe(channel: string, handlers: PubSubHandlers): Promise<PubSubSubscription>;
  /** False while the broker is unreachable (live delivery paused); always true in-process. */
  connected(): boolean;
  /** Local handlers currently registered (for tests and metrics). */
  handlerCount(): number;
  close(): Promise<void>;
}
