// A pull-based async iterator fed by pushes: what a subscription hands to graphql. Unlike an
// async generator, return() finishes at once even while the consumer waits for the next
// item, so closing a connection frees the subscription immediately.

export class LiveStream<T> implements AsyncIterableIterator<T> {
  private items: T[] = [];
  private waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
  private ended = false;
  private failure: unknown = null;
  private closed = false;
  private drained: (() => void)[] = [];

  constructor(private readonly onClose: () => void) {}

  get isClosed(): boolean {
    return this.closed || this.ended;
  }

  get pending(): readonly T[] {
    return this.items;
  }

  push(item: T): void {
    if (this.closed || this.ended) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value: item, done: false });
      return;
    }
    this.items.push(item);
  }

  /** Replaces everything not yet delivered (the slow-consumer policy). */
  replacePending(items: T[]): void {
    this.items = items;
  }

  /** No more items: the consumer gets what is queued, then done (or the error). */
  end(error: unknown = null): void {
    if (this.ended || this.closed) return;
    this.ended = true;
    this.failure = error;
    if (this.waiting && this.items.length === 0) this.settleEnd();
    this.release();
  }

  /** Resolves once the consumer has taken everything queued (or left). */
  whenDrained(): Promise<void> {
    if (this.items.length === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (this.items.length === 0) this.notifyDrained();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    if (this.ended) {
      this.closed = true;
      const error = this.failure;
      this.failure = null;
      return error ? Promise.reject(error) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.close();
    return Promise.reject(error);
  }

  /** The consumer left: drop everything and release what the subscription holds. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.items = [];
    if (this.waiting) {
      this.waiting.resolve({ value: undefined, done: true });
      this.waiting = null;
    }
    this.notifyDrained();
    this.release();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private settleEnd() {
    const waiting = this.waiting!;
    this.waiting = null;
    this.closed = true;
    const error = this.failure;
    this.failure = null;
    if (error) waiting.reject(error);
    else waiting.resolve({ value: undefined, done: true });
  }

  private released = false;
  private release() {
    if (this.released) return;
    this.released = true;
    this.onClose();
  }

  private notifyDrained() {
    const waiters = this.drained;
    this.drained = [];
    for (const w of waiters) w();
  }
}
