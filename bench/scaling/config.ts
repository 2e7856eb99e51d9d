// What `npm run bench:scaling` measures and where, read once from the environment, so a part
// can be smoke-tested small and every printed table carries the command that reruns it.
import { DEFAULT_BENCH_URL } from '../lib/database.js';

export const PARTS = ['search', 'ingest', 'lineage', 'rss'] as const;
export type Part = (typeof PARTS)[number];

const SERVER = 'postgresql://postgres@127.0.0.1:5432';

export interface ScalingConfig {
  parts: Part[];
  search: { url: string; sizes: number[]; samples: number };
  ingest: { url: string; batchSizes: number[]; seconds: number; clients: number };
  lineage: { url: string; depths: number[]; samples: number };
  rss: { url: string; seconds: number; sampleSeconds: number; clients: number; batchSize: number };
}

/** The variables each part reads: the ones set are repeated in its rerun command. */
const PART_ENV: Record<Part, string[]> = {
  search: ['BENCH_SCALING_SEARCH_URL', 'BENCH_SCALING_SIZES', 'BENCH_SCALING_SAMPLES'],
  ingest: ['BENCH_SCALING_INGEST_URL', 'BENCH_SCALING_BATCH_SIZES', 'BENCH_SCALING_INGEST_SECONDS'],
  lineage: ['BENCH_SCALING_LINEAGE_URL', 'BENCH_DATABASE_URL', 'BENCH_SCALING_DEPTHS', 'BENCH_SCALING_LINEAGE_SAMPLES'],
  rss: ['BENCH_SCALING_INGEST_URL', 'BENCH_RSS_SECONDS'],
};

function numbers(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (!raw) return fallback;
  const list = raw.split(',').map((s) => Number(s.trim().replaceAll('_', '')));
  if (!list.length || list.some((n) => !Number.isInteger(n) || n <= 0))
    throw new Error(`${name}: expected positive integers separated by commas, got "${raw}"`);
  return list;
}

function number(name: string, fallback: number): number {
  return numbers(name, [fallback])[0]!;
}

function parts(): Part[] {
  const raw = process.env.BENCH_SCALING_ONLY;
  if (!raw) return [...PARTS];
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = list.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`BENCH_SCALING_ONLY: unknown part ${unknown.join(', ')}; choose from ${PARTS.join(', ')}`);
  return PARTS.filter((p) => list.includes(p));
}

export function loadScalingConfig(): ScalingConfig {
  const ingestUrl = process.env.BENCH_SCALING_INGEST_URL ?? `${SERVER}/runledger_scale_ingest`;
  const maxDepth = number('BENCH_SCALING_MAX_DEPTH', 20);
  return {
    parts: parts(),
    search: {
      url: process.env.BENCH_SCALING_SEARCH_URL ?? `${SERVER}/runledger_scale_search`,
      sizes: [...numbers('BENCH_SCALING_SIZES', [10_000, 100_000, 1_000_000])].sort((a, b) => a - b),
      samples: number('BENCH_SCALING_SAMPLES', 200),
    },
    ingest: {
      url: ingestUrl,
      batchSizes: numbers('BENCH_SCALING_BATCH_SIZES', [10, 100, 1_000, 10_000]),
      seconds: number('BENCH_SCALING_INGEST_SECONDS', 30),
      clients: 8,
    },
    lineage: {
      // The graph bench/seed.ts builds: only read here, never built or changed.
      url: process.env.BENCH_SCALING_LINEAGE_URL ?? process.env.BENCH_DATABASE_URL ?? DEFAULT_BENCH_URL,
      depths: process.env.BENCH_SCALING_DEPTHS ? numbers('BENCH_SCALING_DEPTHS', []) : Array.from({ length: maxDepth }, (_, i) => i + 1),
      samples: number('BENCH_SCALING_LINEAGE_SAMPLES', 50),
    },
    rss: { url: ingestUrl, seconds: number('BENCH_RSS_SECONDS', 600), sampleSeconds: 5, clients: 8, batchSize: 1_000 },
  };
}

/** The command that reruns one part with the same settings. */
export function rerunCommand(part: Part): string {
  const set = PART_ENV[part].filter((name) => process.env[name]).map((name) => `${name}=${hidePassword(process.env[name]!)}`);
  return [`BENCH_SCALING_ONLY=${part}`, ...set, 'npm run bench:scaling'].join(' ');
}

/** A URL without its credentials, for the results file. */
export const redact = (url: string) => url.replace(/\/\/[^@/]*@/, '//');
/** A URL with its password (if any) replaced by "...", for a printed command. */
const hidePassword = (value: string) => value.replace(/(\/\/[^:@/]+):[^@/]*@/, '$1:...@');
