// The PubSub port: fan-out of committed changes to live subscribers, in-process or across
// replicas. Delivery is at most once; completeness comes from the database replay.

export interface PubSubHandlers {
  /** One published message, already decoded; the same object is shared by every local handler. */
  message(message: unknown): void;
  /**
   * Delivery may have lost messages (the connection to the broker dropped while this
   * handler was subscribed). The subscription stays registered; the caller decides.
   */
  interrupted?(): void;
}

export interface PubSubSubscription {
  unsubscribe(): void;
}

export interface PubSub {
  readonly kind: 'memory' | 'redis';
  /** Fire and forget: never throws; a broker outage is logged and the message is lost. */
  publish(channel: string, message: unknown): void;
  /**
   * Resolves once the broker confirmed the subscription, so anything published after that
   * reaches `handlers`: the replay-then-live seam relies on it.
   */
  subscribe(channel: string, handlers: PubSubHandlers): Promise<PubSubSubscription>;
  /** Local handlers currently registered (for tests and metrics). */
  handlerCount(): number;
  close(): Promise<void>;
}
