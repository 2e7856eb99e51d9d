// Ingest load over HTTP GraphQL: `clients` concurrent loggers, each on a run of its own,
// sending logBatch mutations of `batchSize` points (8 metric keys, as series: the shape
// bench/run.ts sends) back to back until the time is up.
import { postJson } from '../lib/http.js';
import { percentile } from '../lib/progress.js';
import { asSeries } from '../lib/series.js';

const KEYS = Array.from({ length: 8 }, (_, k) => `m${String(k).padStart(2, '0')}`);
const LOG_BATCH = 'mutation($i: LogBatchInput!) { logBatch(input: $i) { pointsWritten } }';

export async function startRuns(endpoint: string, project: string, names: string[]): Promise<string[]> {
  await postJson(endpoint, { query: 'mutation($i: CreateProjectInput!) { createProject(input: $i) { created } }', variables: { i: { name: project } } });
  const start = 'mutation($i: StartRunInput!) { startRun(input: $i) { run { id } } }';
  return Promise.all(
    names.map(
      async (name) => (await postJson<{ startRun: { run: { id: string } } }>(endpoint, { query: start, variables: { i: { project, name } } })).startRun.run.id,
    ),
  );
}

/** Batch b of one run: steps continue where batch b - 1 stopped, so no point repeats. */
function batch(b: number, size: number) {
  const stride = Math.ceil(size / KEYS.length);
  return asSeries(
    Array.from({ length: size }, (_, i) => ({ key: KEYS[i % KEYS.length]!, value: Math.sin(b * size + i), step: b * stride + Math.floor(i / KEYS.length) })),
  );
}

export interface LoadResult {
  points: number;
  batches: number;
  seconds: number;
  pointsPerSecond: number;
  batchMs: { p50: number; p95: number; p99: number; max: number };
}

export async function ingestFor(options: {
  endpoint: string;
  runIds: string[];
  batchSize: number;
  seconds: number;
  onPoints?: (n: number) => void;
}): Promise<LoadResult> {
  const { endpoint, runIds, batchSize } = options;
  const send = (runId: string, b: number) => postJson(endpoint, { query: LOG_BATCH, variables: { i: { runId, series: batch(b, batchSize) } } });
  const next = runIds.map(() => 0);
  // One untimed batch per client first: connections open, statements prepared, code warm.
  await Promise.all(runIds.map((runId, c) => send(runId, next[c]!++)));
  const times: number[] = [];
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  await Promise.all(
    runIds.map(async (runId, c) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await send(runId, next[c]!++);
        times.push(performance.now() - t0);
        options.onPoints?.(batchSize);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  const points = times.length * batchSize;
  return {
    points,
    batches: times.length,
    seconds,
    pointsPerSecond: points / seconds,
    batchMs: { p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99), max: times.at(-1) ?? Number.NaN },
  };
}
