// Ingest throughput by batch size: for each size, 8 clients send logBatch over HTTP GraphQL to
// an app in this process (as bench/run.ts does, so the 1,000-point figure is comparable to its
// ingest row) for a fixed time; then the time to fold the backlog into the rollups, which the
// server does in the background and would otherwise be hidden from the rate.
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { ensureDatabase } from '../lib/database.js';
import { type ScalingConfig, redact } from './config.js';
import { ingestFor, type LoadResult, startRuns } from './load.js';

export const INGEST_PROJECT = 'scale-ingest';

export interface IngestPoint extends LoadResult {
  batchSize: number;
  clients: number;
  foldSeconds: number;
  /** Points per second counting the fold after the window: what the server sustains. */
  foldedPointsPerSecond: number;
}

export async function runIngest(config: ScalingConfig['ingest']): Promise<{ points: IngestPoint[]; database: string; secondsPerSize: number }> {
  await ensureDatabase(config.url);
  const app = await createApp(loadConfig({ PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: config.url, DATABASE_POOL_SIZE: '16' }));
  const points: IngestPoint[] = [];
  try {
    const endpoint = `${(await app.start()).url}/graphql`;
    const stamp = Date.now();
    // Untimed: the first size measured would otherwise also pay for compiling the ingest path.
    const warmRuns = await startRuns(
      endpoint,
      INGEST_PROJECT,
      Array.from({ length: config.clients }, (_, c) => `ingest-${stamp}-warmup-c${c}`),
    );
    await ingestFor({ endpoint, runIds: warmRuns, batchSize: 1_000, seconds: Math.min(5, config.seconds) });
    for (const batchSize of config.batchSizes) {
      const names = Array.from({ length: config.clients }, (_, c) => `ingest-${stamp}-b${batchSize}-c${c}`);
      const runIds = await startRuns(endpoint, INGEST_PROJECT, names);
      const load = await ingestFor({ endpoint, runIds, batchSize, seconds: config.seconds });
      const t0 = performance.now();
      await app.services.metrics.foldRollups();
      const foldSeconds = (performance.now() - t0) / 1000;
      points.push({ batchSize, clients: config.clients, ...load, foldSeconds, foldedPointsPerSecond: load.points / (load.seconds + foldSeconds) });
      console.log(
        `  batch ${batchSize.toLocaleString()}: ${Math.round(load.pointsPerSecond).toLocaleString()} points/s, ` +
          `batch p50 ${load.batchMs.p50.toFixed(1)} / p99 ${load.batchMs.p99.toFixed(1)} ms, fold ${foldSeconds.toFixed(1)} s`,
      );
    }
  } finally {
    await app.stop();
  }
  return { points, database: redact(config.url), secondsPerSize: config.seconds };
}
