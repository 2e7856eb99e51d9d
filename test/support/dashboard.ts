// A dashboard following one run's metric live, as the API tells clients to: it keeps points by
// step; when a batch says dropped (or the stream ends), it forgets every point with step >=
// resumeFromStep and subscribes again with sinceStep = resumeFromStep. Subscribing while the
// server cannot serve it fails with an error, so it retries. Fault tests use it to prove live
// delivery ends complete: every committed point, exactly once.
import { print } from 'graphql';
import type { Client } from 'graphql-ws';
import { MetricLoggedDocument, type MetricLoggedSubscription } from '../generated/graphql.js';

type Batch = MetricLoggedSubscription['metricLogged'];

export class Dashboard {
  readonly have = new Map<number, number>();
  /** A point delivered twice within one subscription: must never happen. */
  duplicatesInAStream = 0;
  readonly resumes: number[] = [];
  failedSubscribes = 0;
  private resumeFrom = 0;
  private stopped = false;
  private current: (() => void) | null = null;
  readonly finished: Promise<void>;

  constructor(
    private readonly client: Client,
    private readonly runId: string,
    private readonly expected: number,
  ) {
    this.finished = this.follow();
    this.finished.catch(() => {});
  }

  complete(): boolean {
    return this.have.size === this.expected && [...this.have.values()].every((n) => n === 1);
  }

  stop() {
    this.stopped = true;
    this.current?.();
  }

  private async follow(): Promise<void> {
    while (!this.stopped) {
      for (const step of [...this.have.keys()]) if (step >= this.resumeFrom) this.have.delete(step);
      const outcome = await this.subscribeOnce(this.resumeFrom);
      if (outcome === 'failed') {
        this.failedSubscribes += 1;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** One subscription, until it ends: 'failed' when the server refused it. */
  private subscribeOnce(sinceStep: number): Promise<'ended' | 'failed'> {
    return new Promise((resolve) => {
      const seen = new Set<number>();
      let delivered = false;
      const unsubscribe = this.client.subscribe(
        { query: print(MetricLoggedDocument), variables: { runId: this.runId, sinceStep } },
        {
          next: (result) => {
            if (result.errors?.length) return;
            const batch = (result.data as MetricLoggedSubscription | null | undefined)?.metricLogged as Batch | undefined;
            if (!batch) return;
            delivered = true;
            if (batch.dropped) {
              this.resumes.push(batch.resumeFromStep);
              this.resumeFrom = batch.resumeFromStep;
              return; // the server ends the subscription after a dropped batch
            }
            for (const p of batch.points) {
              if (seen.has(p.step)) this.duplicatesInAStream += 1;
              seen.add(p.step);
              this.have.set(p.step, (this.have.get(p.step) ?? 0) + 1);
            }
            this.resumeFrom = batch.resumeFromStep;
            if (this.complete()) this.stop();
          },
          error: () => resolve(delivered ? 'ended' : 'failed'),
          complete: () => resolve(delivered || this.stopped ? 'ended' : 'failed'),
        },
      );
      this.current = () => {
        unsubscribe();
        resolve('ended');
      };
    });
  }
}
