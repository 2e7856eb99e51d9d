// Each part's table, and its entry in bench/results/scaling.json.
import type { Part } from './config.js';
import type { runIngest } from './ingest.js';
import type { runLineage } from './lineage.js';
import { int, ms, printPart, type PartResult } from './results.js';
import { FLAT_MARGIN, type runRss } from './rss.js';
import type { runSearch } from './search.js';

type Out<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;

export function reportSearch(r: Out<typeof runSearch>, base: PartResult): PartResult {
  const result = { ...base, ...r };
  printPart(
    `search latency by project size (runs(filter, orderBy metric, first 50) over HTTP GraphQL, ${r.filter})`,
    ['runs in project', 'matching', 'GraphQL p50 / p95 (ms)', 'SQL p50 / p95 (ms)', 'seeded now', 'seed s', 'vacuum analyze s'],
    r.points.map((p) => [
      int(p.runs),
      int(p.matching),
      `${ms(p.graphql.p50)} / ${ms(p.graphql.p95)}`,
      `${ms(p.sql.p50)} / ${ms(p.sql.p95)}`,
      int(p.insertedRuns),
      ms(p.seedSeconds),
      ms(p.vacuumAnalyzeSeconds),
    ]),
    result,
    [`${r.points[0]?.graphql.n ?? 0} queries per size after 10 warm-up ones; databases ${r.databases.join(', ')}`],
  );
  return result;
}

export function reportIngest(r: Out<typeof runIngest>, base: PartResult): PartResult {
  const result = { ...base, ...r };
  printPart(
    `ingest throughput by batch size (logBatch over HTTP GraphQL, 8 clients, ${r.secondsPerSize} s per size)`,
    ['points per batch', 'points/s', 'batches', 'batch p50 / p99 (ms)', 'fold after (s)', 'points/s incl. fold'],
    r.points.map((p) => [
      int(p.batchSize),
      int(p.pointsPerSecond),
      int(p.batches),
      `${ms(p.batchMs.p50)} / ${ms(p.batchMs.p99)}`,
      ms(p.foldSeconds),
      int(p.foldedPointsPerSecond),
    ]),
    result,
    [`database ${r.database}`],
  );
  return result;
}

export function reportLineage(r: Exclude<Out<typeof runLineage>, { skipped: string }>, base: PartResult): PartResult {
  const result = { ...base, ...r };
  const depths = [...new Set(r.points.map((p) => p.depth))];
  const cell = (depth: number, direction: string) => {
    const p = r.points.find((x) => x.depth === depth && x.direction === direction)!;
    return [`${ms(p.stats.p50)} / ${ms(p.stats.p95)}`, int(p.avgNodes)];
  };
  printPart(
    'lineage latency by depth on the 1.2M-node graph (lineage(id, direction, depth) over HTTP GraphQL)',
    ['depth', 'UPSTREAM from a model version p50 / p95 (ms)', 'avg nodes', 'DOWNSTREAM from a dataset version p50 / p95 (ms)', 'avg nodes'],
    depths.map((d) => [String(d), ...cell(d, 'UPSTREAM'), ...cell(d, 'DOWNSTREAM')]),
    result,
    [`${r.samples} starts per depth and direction; database ${r.database}`],
  );
  return result;
}

export function reportRss(r: Out<typeof runRss>, base: PartResult): PartResult {
  const result = { ...base, ...r };
  const s = r.summary;
  const w = `${Math.round(s.windowSeconds)} s`;
  printPart(
    `server memory (RSS of the server's node process, pid ${r.pid}) over ${r.seconds} s of ingest at full speed (${r.clients} clients, ${int(r.batchSize)}-point batches)`,
    ['first window avg (MiB)', 'second window avg (MiB)', 'last window avg (MiB)', 'max (MiB)', 'last vs second', 'slope after warm-up (MiB/min)', 'flat'],
    [
      [
        ms(s.firstWindowAvgMiB),
        ms(s.secondWindowAvgMiB),
        ms(s.lastWindowAvgMiB),
        ms(s.maxMiB),
        `${s.growth >= 0 ? '+' : ''}${(s.growth * 100).toFixed(1)}%`,
        ms(s.slopeMiBPerMinute),
        s.flat ? 'yes' : 'NO',
      ],
    ],
    result,
    [
      `windows of ${w}; flat = last window at most ${FLAT_MARGIN * 100}% above the second (the first holds the warm-up); ${r.samples.length} samples, peak (VmHWM) ${ms(s.peakHwmMiB)} MiB`,
      `load: ${int(r.load.points)} points in ${ms(r.load.seconds)} s = ${int(r.load.pointsPerSecond)} points/s, batch p50 / p99 ${ms(r.load.batchMs.p50)} / ${ms(r.load.batchMs.p99)} ms; database ${r.database}`,
    ],
  );
  return result;
}

export const REPORTERS = { search: reportSearch, ingest: reportIngest, lineage: reportLineage, rss: reportRss } satisfies Record<Part, unknown>;
