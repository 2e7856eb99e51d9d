// One metricLogged subscription: the replay-then-live seam, the slow-consumer policy, and the
// per-series sequence that turns a committed batch that never arrived into a dropped batch
// saying where to resume, so live delivery is at least once from what is committed.
import type { LiveConfig } from '../../config.js';
import type { Database } from '../../db/database.js';
import type { Logger } from '../../logger.js';
import type { PubSub, PubSubSubscription } from './pubsub.js';
import { SeriesSequence } from './series-sequence.js';
import { type ReplayCursor, replayPage, type SeriesTotal } from './store.js';
import { LiveStream } from './stream.js';
import { metricsChannel, type WireMetricBatch } from './wire.js';

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

/** What the live service shares with its subscriptions. */
export interface MetricStreamEnv {
  db: Database;
  pubsub: PubSub;
  config: LiveConfig;
  log: Logger;
  /** Points of a message, decoded once for every local subscriber. */
  decode(message: WireMetricBatch): LivePoint[];
  /** Batches built from those points, by resumeFromStep, so equal events share one object. */
  shared(points: LivePoint[]): Map<number, MetricBatch> | undefined;
  /** Registers a stream (and how it ends on a graceful stop); `forget` on close. */
  track(stream: LiveStream<MetricBatch>, stopping: () => void): void;
  forget(stream: LiveStream<MetricBatch>): void;
  closing(): boolean;
  /** The stored totals of a run's series, one read shared by the run's local subscribers. */
  totals(runId: number): Promise<SeriesTotal[]>;
}

/**
 * A live point published just before the replay read it can reach the subscriber after the
 * replay ended; replayed identities are kept this long afterwards to skip such repeats.
 */
const SEAM_GRACE_MS = 5_000;

const identity = (key: string, step: number, ts: number) => `${key}\u0000${step}\u0000${ts}`;

export class MetricSubscription {
  readonly stream: LiveStream<MetricBatch>;
  private subscription: PubSubSubscription | null = null;
  private replaying: boolean;
  private buffered: MetricBatch[] = [];
  private pendingPoints = 0;
  private replayed: Set<string> | null = null;
  /** Highest step delivered so far, overall and per key. */
  private highest: number | null = null;
  private readonly highestOf = new Map<string, number>();
  /** Per series: the highest step received, and the highest received while the series had no hole (what a resume must go below). */
  private readonly receivedOf = new Map<string, number>();
  private readonly inOrderOf = new Map<string, number>();
  private readonly sequence = new SeriesSequence();
  private baseline: Map<string, SeriesTotal> | null = null;
  private timers: NodeJS.Timeout[] = [];
  private holeSince: number | null = null;
  private holeCheck: NodeJS.Timeout | null = null;
  private confirming = false;

  constructor(
    private readonly env: MetricStreamEnv,
    private readonly runId: number,
    private readonly keys: Set<string> | null,
    private readonly sinceStep: number | null,
  ) {
    this.replaying = sinceStep !== null;
    this.stream = new LiveStream(() => this.closed());
    // A graceful stop delivers what is queued, then says where to resume (on another replica).
    env.track(this.stream, () => this.giveUp(null, 'server stopping', { keepPending: true }));
  }

  /** Subscribes (the broker confirms before this resolves), reads the series' totals, and starts the replay when asked. */
  async open(): Promise<LiveStream<MetricBatch>> {
    try {
      this.subscription = await this.env.pubsub.subscribe(metricsChannel(this.runId), {
        message: (raw) => this.onMessage(raw as WireMetricBatch),
        interrupted: (lowestLost) => {
          if (!this.stream.isClosed) this.giveUp(lowestLost ?? null, 'pub/sub interrupted');
        },
      });
    } catch (err) {
      this.stream.close();
      throw err;
    }
    if (this.stream.isClosed) this.subscription.unsubscribe();
    this.settle(await this.env.totals(this.runId));
    this.checkHoles();
    if (this.sinceStep !== null) void this.replay(this.sinceStep);
    this.every(this.env.config.reconcileMs, () => void this.reconcile());
    return this.stream;
  }

  private closed(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
    this.buffered = [];
    this.replayed = null;
    for (const timer of this.timers) clearTimeout(timer);
    if (this.holeCheck) clearTimeout(this.holeCheck);
    this.env.forget(this.stream);
  }

  private follows(key: string): boolean {
    return !this.keys || this.keys.has(key);
  }

  private wanted(p: LivePoint): boolean {
    return this.follows(p.key) && (this.sinceStep === null || p.step >= this.sinceStep) && !this.replayed?.has(identity(p.key, p.step, p.timestamp.getTime()));
  }

  private resumeStep(): number {
    return this.highest ?? this.sinceStep ?? 0;
  }

  private deliver(batch: MetricBatch): void {
    for (const p of batch.points) {
      if (this.highest === null || p.step > this.highest) this.highest = p.step;
      if (p.step > (this.highestOf.get(p.key) ?? Number.NEGATIVE_INFINITY)) this.highestOf.set(p.key, p.step);
    }
    const resume = this.resumeStep();
    // Subscribers that see the same event the same way get the same object, so their GraphQL
    // execution is shared (see shared-execution.ts).
    const same = this.env.shared(batch.points);
    if (same) {
      let batchFor = same.get(resume);
      if (!batchFor) same.set(resume, (batchFor = { ...batch, resumeFromStep: resume }));
      this.stream.push(batchFor);
      return;
    }
    batch.resumeFromStep = resume;
    this.stream.push(batch);
  }

  /**
   * Gives up on this stream and says where to resume: the lowest step not delivered. With
   * keepPending (a graceful stop) the queued batches are still delivered first.
   */
  private giveUp(lowestMissed: number | null, reason: string, options: { keepPending?: boolean } = {}): void {
    if (this.stream.isClosed) return;
    let resume = lowestMissed ?? this.resumeStep();
    for (const b of options.keepPending ? this.buffered : [...this.stream.pending, ...this.buffered])
      for (const p of b.points) if (p.step < resume) resume = p.step;
    if (this.replaying) resume = Math.min(resume, this.resumeStep());
    this.env.log.debug('live subscription dropped', { runId: this.runId, reason, resumeFromStep: resume });
    this.buffered = [];
    if (!options.keepPending) this.stream.replacePending([]);
    this.subscription?.unsubscribe();
    this.subscription = null;
    this.stream.push({ runId: this.runId, points: [], replay: false, committedAt: null, resumeFromStep: resume, dropped: true });
    this.stream.end();
  }

  private onMessage(msg: WireMetricBatch): void {
    if (this.stream.isClosed) return;
    const all = this.env.decode(msg);
    this.count(msg, all);
    const points = all.every((p) => this.wanted(p)) ? all : all.filter((p) => this.wanted(p));
    if (points.length === 0) return;
    const batch: MetricBatch = { runId: msg.runId, points, replay: false, committedAt: new Date(msg.committedAt), resumeFromStep: 0, dropped: false };
    // Replay pages are not counted: the replay waits for the consumer (one page at most).
    const queuedLive = this.stream.pending.reduce((n, b) => (b.replay ? n : n + b.points.length), 0);
    if (this.pendingPoints + queuedLive + points.length > this.env.config.queuePoints) {
      this.giveUp(Math.min(...points.map((p) => p.step)), 'slow consumer');
      return;
    }
    if (this.replaying) {
      this.buffered.push(batch);
      this.pendingPoints += points.length;
    } else {
      this.deliver(batch);
    }
  }

  // ---- the per-series sequence ---------------------------------------------------------------

  private settle(totals: readonly SeriesTotal[]): void {
    this.baseline ??= new Map(totals.map((t) => [t.key, t]));
    for (const t of totals) if (this.follows(t.key)) this.sequence.settle(t.key, t.count);
    this.markInOrder(this.receivedOf.keys());
  }

  /** Series among these with no hole now: everything received of them is in order, up to their highest step. */
  private markInOrder(keys: Iterable<string>): void {
    const holes = new Set(this.sequence.holes());
    for (const key of keys) if (!holes.has(key)) this.inOrderOf.set(key, this.receivedOf.get(key)!);
  }

  /** Accounts for what a message says each series holds now; a hole that stays open ends the stream. */
  private count(msg: WireMetricBatch, points: readonly LivePoint[]): void {
    if (!msg.counts) return;
    const carried = new Map<string, number>();
    for (const p of points) {
      carried.set(p.key, (carried.get(p.key) ?? 0) + 1);
      if (p.step > (this.receivedOf.get(p.key) ?? Number.NEGATIVE_INFINITY)) this.receivedOf.set(p.key, p.step);
    }
    for (const [key, after] of msg.counts) if (this.follows(key)) this.sequence.observe(key, carried.get(key) ?? 0, after);
    this.markInOrder(carried.keys());
    this.checkHoles();
  }

  /** The stored totals again, now and then: a batch committed last, whose message was lost, shows only here. */
  private async reconcile(): Promise<void> {
    if (this.stream.isClosed || this.env.closing()) return;
    if (await this.observeTotals()) this.checkHoles();
  }

  /** Reads the stored totals into the sequence; false when the read failed (logged). */
  private async observeTotals(): Promise<boolean> {
    try {
      for (const t of await this.env.totals(this.runId)) if (this.follows(t.key)) this.sequence.observe(t.key, 0, t.count);
      return true;
    } catch (err) {
      this.env.log.warn('live reconcile failed', { runId: this.runId, err });
      return false;
    }
  }

  /**
   * A hole outlived its grace: read the stored totals once more before giving up. On a busy
   * machine a message can be late by seconds; whatever arrives while this read runs still fills it.
   */
  private confirmHole(): void {
    if (this.confirming) return;
    this.confirming = true;
    void this.observeTotals().then((read) => {
      this.confirming = false;
      if (this.stream.isClosed || !read) return;
      const holes = this.sequence.holes();
      if (holes.length === 0) this.holeSince = null;
      else this.giveUp(this.lowestMissed(holes), 'committed points never arrived');
    });
  }

  private checkHoles(): void {
    // Until the stored totals are read, counts beyond zero are not holes yet.
    if (!this.baseline || this.stream.isClosed) return;
    const holes = this.sequence.holes();
    if (holes.length === 0) {
      this.holeSince = null;
      return;
    }
    const now = Date.now();
    this.holeSince ??= now;
    if (now - this.holeSince >= this.env.config.holeGraceMs) {
      this.confirmHole();
      return;
    }
    // Look again once the grace is over: a message from another replica may still fill it.
    if (this.holeCheck) return;
    this.holeCheck = setTimeout(
      () => {
        this.holeCheck = null;
        this.checkHoles();
      },
      this.env.config.holeGraceMs - (now - this.holeSince),
    );
    this.holeCheck.unref();
  }

  /**
   * Above the highest step received in order for each series with a hole: later batches may
   * have arrived after the one that never did, so the highest step seen can lie past the hole.
   * Exact when steps are logged in increasing order.
   */
  private lowestMissed(holes: readonly string[]): number {
    let lowest = Number.POSITIVE_INFINITY;
    for (const key of holes) {
      const seen = this.inOrderOf.get(key) ?? this.baseline?.get(key)?.lastStep ?? (this.sinceStep ?? 0) - 1;
      lowest = Math.min(lowest, seen + 1);
    }
    return Math.max(lowest, this.sinceStep ?? Number.NEGATIVE_INFINITY);
  }

  // ---- replay --------------------------------------------------------------------------------

  private async replay(sinceStep: number): Promise<void> {
    const seen = new Set<string>();
    this.replayed = seen;
    try {
      let after: ReplayCursor | null = null;
      for (;;) {
        if (this.stream.isClosed || this.env.closing()) return;
        const rows = await replayPage(this.env.db.sql, {
          runId: this.runId,
          sinceStep,
          keys: this.keys ? [...this.keys] : null,
          after,
          limit: this.env.config.replayPageSize,
        });
        if (this.stream.isClosed) return;
        if (rows.length > 0) {
          const points = rows.map((r) => ({ key: r.key, step: r.step, timestamp: r.ts, value: r.value }));
          for (const p of points) seen.add(identity(p.key, p.step, p.timestamp.getTime()));
          this.deliver({ runId: this.runId, points, replay: true, committedAt: null, resumeFromStep: 0, dropped: false });
          const last = rows[rows.length - 1]!;
          after = { step: last.step, ts: last.ts, key: last.key };
        }
        if (rows.length < this.env.config.replayPageSize) break;
        // Backpressure: the next page waits until the consumer took this one.
        await this.stream.whenDrained();
      }
      this.replaying = false;
      for (const batch of this.buffered) {
        const fresh = batch.points.filter((p) => !seen.has(identity(p.key, p.step, p.timestamp.getTime())));
        if (fresh.length === batch.points.length) this.deliver(batch);
        else if (fresh.length) this.deliver({ ...batch, points: fresh });
      }
      this.buffered = [];
      this.pendingPoints = 0;
      this.after(SEAM_GRACE_MS, () => {
        this.replayed = null;
      });
    } catch (err) {
      if (!this.stream.isClosed) {
        this.env.log.error('metric replay failed', { runId: this.runId, err });
        this.stream.end(err);
      }
    }
  }

  private after(ms: number, fn: () => void): void {
    const timer = setTimeout(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
