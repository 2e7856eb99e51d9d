// The soak benchmark's live watchers: one graphql-ws metricLogged subscription per run on the
// replica opposite its writer, resubscribing with sinceStep after a dropped batch or a lost
// connection, as a dashboard must. Counts distinct points received and send-to-receive latency.
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

const SUBSCRIPTION = `subscription($runId: ID!, $sinceStep: SafeInt) {
  metricLogged(runId: $runId, sinceStep: $sinceStep) {
    dropped replay resumeFromStep points { key step }
  }
}`;

interface Batch {
  dropped: boolean;
  replay: boolean;
  resumeFromStep: number;
  points: { key: string; step: number }[];
}

export interface LiveReplica {
  url: string;
  alive(): boolean;
}

export function liveClient(httpUrl: string): Client {
  return createClient({ url: `${httpUrl.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
}

/** Watches one run: `sentAt(step)` gives when the writer last sent that step (performance.now()). */
export class Watcher {
  readonly received = new Set<string>();
  readonly latenciesMs: number[] = [];
  drops = 0;
  /** resumeFromStep of each dropped batch, with the highest step received when it came. */
  readonly dropResumes: { resumeFromStep: number; highestReceived: number }[] = [];
  private highest = -1;
  resubscribes = 0;
  replayedPoints = 0;
  errors: string[] = [];
  private resume = 0;
  private unsubscribe: () => void = () => {};
  private stopped = false;

  constructor(
    readonly runId: string,
    private readonly replicas: { preferred: LiveReplica & { client: Client }; other: LiveReplica & { client: Client } },
    private readonly sentAt: (step: number) => number | undefined,
  ) {}

  start(): void {
    this.subscribe(0);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
  }

  private target() {
    return this.replicas.preferred.alive() ? this.replicas.preferred : this.replicas.other;
  }

  private subscribe(sinceStep: number): void {
    let ended = false;
    const end = (why: string | null) => {
      if (ended || this.stopped) return;
      ended = true;
      if (why) this.errors.push(why);
      this.resubscribes += 1;
      setTimeout(() => this.subscribe(this.resume), 200);
    };
    this.unsubscribe = this.target().client.subscribe<{ metricLogged: Batch }>(
      { query: SUBSCRIPTION, variables: { runId: this.runId, sinceStep } },
      {
        next: (result) => {
          if (result.errors) return end(JSON.stringify(result.errors).slice(0, 300));
          const batch = result.data?.metricLogged;
          if (!batch) return;
          this.take(batch);
          if (batch.dropped) {
            this.drops += 1;
            this.dropResumes.push({ resumeFromStep: batch.resumeFromStep, highestReceived: this.highest });
            this.unsubscribe();
            end(null);
          }
        },
        error: (error) => end(error instanceof Error ? error.message : String(error).slice(0, 300)),
        complete: () => end(null),
      },
    );
  }

  private take(batch: Batch): void {
    const now = performance.now();
    for (const p of batch.points) {
      const id = `${p.key}|${p.step}`;
      if (this.received.has(id)) continue;
      this.received.add(id);
      this.highest = Math.max(this.highest, p.step);
      if (batch.replay) {
        this.replayedPoints += 1;
        continue;
      }
      const sent = this.sentAt(p.step);
      if (sent !== undefined) this.latenciesMs.push(now - sent);
    }
    this.resume = batch.resumeFromStep;
  }
}
