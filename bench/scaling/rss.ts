// Server memory under sustained ingest: the server in its own process, 8 clients of
// 1,000-point batches at full speed, its RSS sampled every 5 s.
//
// "Flat" compares the average of the last window with that of the second: windows are one
// minute (a quarter of the run when it is shorter than four minutes). The first window is
// left out on purpose: it holds the warm-up (code compiled, the heap grown to its working
// size, the pool's connections opened), which is a one-off step, not growth. A leak shows as
// the last window sitting above the second; flat means at most 10% above it, a margin wide
// enough for the garbage collector's sawtooth but far below what a per-request leak piles
// up over ten minutes (hundreds of thousands of requests). The slope over everything after
// the first window is reported too.
import { ensureDatabase } from '../lib/database.js';
import { type ScalingConfig, redact } from './config.js';
import { ingestFor, type LoadResult, startRuns } from './load.js';
import { memoryMiB, startServer } from './server.js';

export const FLAT_MARGIN = 0.1;

export interface RssSample {
  /** Seconds since sampling started. */
  t: number;
  rssMiB: number;
  /** Points sent (and acknowledged) so far. */
  points: number;
}

export interface RssSummary {
  windowSeconds: number;
  firstWindowAvgMiB: number;
  secondWindowAvgMiB: number;
  lastWindowAvgMiB: number;
  maxMiB: number;
  peakHwmMiB: number;
  growth: number;
  slopeMiBPerMinute: number;
  flat: boolean;
}

const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function slope(samples: RssSample[]): number {
  const mt = avg(samples.map((s) => s.t));
  const mr = avg(samples.map((s) => s.rssMiB));
  const num = samples.reduce((a, s) => a + (s.t - mt) * (s.rssMiB - mr), 0);
  const den = samples.reduce((a, s) => a + (s.t - mt) ** 2, 0);
  return den ? (num / den) * 60 : 0;
}

export function summarize(samples: RssSample[], seconds: number, peakHwmMiB: number): RssSummary {
  const w = Math.min(60, seconds / 4);
  const end = samples.at(-1)!.t;
  const within = (from: number, to: number) => samples.filter((s) => s.t >= from && s.t < to).map((s) => s.rssMiB);
  const first = avg(within(0, w));
  const second = avg(within(w, 2 * w));
  const last = avg(within(end - w, end + 1));
  const growth = last / second - 1;
  return {
    windowSeconds: w,
    firstWindowAvgMiB: first,
    secondWindowAvgMiB: second,
    lastWindowAvgMiB: last,
    maxMiB: Math.max(...samples.map((s) => s.rssMiB)),
    peakHwmMiB,
    growth,
    slopeMiBPerMinute: slope(samples.filter((s) => s.t >= w)),
    flat: growth <= FLAT_MARGIN,
  };
}

export async function runRss(config: ScalingConfig['rss']): Promise<{
  samples: RssSample[];
  summary: RssSummary;
  load: LoadResult;
  pid: number;
  database: string;
  seconds: number;
  clients: number;
  batchSize: number;
}> {
  await ensureDatabase(config.url);
  const server = await startServer(config.url);
  try {
    const endpoint = `${server.url}/graphql`;
    const stamp = Date.now();
    const runIds = await startRuns(
      endpoint,
      'scale-rss',
      Array.from({ length: config.clients }, (_, c) => `rss-${stamp}-c${c}`),
    );
    const samples: RssSample[] = [];
    let points = 0;
    const t0 = performance.now();
    const sample = () => samples.push({ t: (performance.now() - t0) / 1000, rssMiB: memoryMiB(server.pid), points });
    sample();
    const timer = setInterval(sample, config.sampleSeconds * 1000);
    const load = await ingestFor({ endpoint, runIds, batchSize: config.batchSize, seconds: config.seconds, onPoints: (n) => (points += n) });
    clearInterval(timer);
    sample();
    const summary = summarize(samples, config.seconds, memoryMiB(server.pid, 'VmHWM'));
    return {
      samples,
      summary,
      load,
      pid: server.pid,
      database: redact(config.url),
      seconds: config.seconds,
      clients: config.clients,
      batchSize: config.batchSize,
    };
  } finally {
    await server.stop();
  }
}
