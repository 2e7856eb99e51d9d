// What a retention pass costs on PostgreSQL: one project with RUNS runs started 100 days ago, of
// which MODELS trained a registered model version (so lineage protects them and their parents),
// planned (planRetention: candidates, the lineage walk from every model version, the stored
// report) and applied (soft-delete of what the plan lists, audited). The raw baseline is the
// candidate query alone (old runs of the project not yet deleted), to show what protection,
// the report and the audit add, limited like a plan to 1,001 candidates (a plan lists at most 1,000
// runs per part; the next pass takes the rest). Medians of TRIES plans; one apply (a plan applies once).
//   npm run bench:retention      (BENCH_RETENTION_RUNS, default 3000; BENCH_RETENTION_MODELS, default 100;
//                                 BENCH_RETENTION_DATABASE_URL, default .../runledger_bench_retention, recreated)
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { ensureDatabase } from './lib/database.js';
import { fmt, printTable, type Row, writeResults } from './lib/report.js';

const RUNS = Number(process.env.BENCH_RETENTION_RUNS ?? 3000);
const MODELS = Number(process.env.BENCH_RETENTION_MODELS ?? 100);
const TRIES = Number(process.env.BENCH_RETENTION_TRIES ?? 5);
const url = process.env.BENCH_RETENTION_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/runledger_bench_retention';

// A fresh database each time: the pass deletes what it measures.
{
  const admin = new URL(url);
  const name = decodeURIComponent(admin.pathname.slice(1));
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
  await client.end();
  await ensureDatabase(url);
}

const app = await createApp(loadConfig({ PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: url, DATABASE_POOL_SIZE: '8' }));
const { url: base } = await app.start();

async function gql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

const project = 'retention-bench';
await gql('mutation($n: String!) { createProject(input: { name: $n }) { project { id } } }', { n: project });
const startedAt = new Date(Date.now() - 100 * 86_400_000).toISOString();
const endedAt = new Date(Date.now() - 99 * 86_400_000).toISOString();
const runIds: string[] = [];
const t0 = performance.now();
for (let i = 0; i < RUNS; i += 50) {
  const batch = await Promise.all(
    Array.from({ length: Math.min(50, RUNS - i) }, (_, k) =>
      gql<{ startRun: { run: { id: string } } }>(
        'mutation($p: String!, $n: String!, $s: DateTime!) { startRun(input: { project: $p, name: $n, startedAt: $s }) { run { id } } }',
        {
          p: project,
          n: `run-${i + k}`,
          s: startedAt,
        },
      ),
    ),
  );
  runIds.push(...batch.map((b) => b.startRun.run.id));
}
await Promise.all(
  runIds.map((id) => gql('mutation($r: ID!, $e: DateTime!) { finishRun(input: { runId: $r, endedAt: $e }) { run { id } } }', { r: id, e: endedAt })),
);
for (let m = 0; m < MODELS; m += 1) {
  const runId = runIds[Math.floor((m * RUNS) / MODELS)]!;
  const put = await fetch(`${base}/artifacts/runs/${encodeURIComponent(runId)}?${new URLSearchParams({ name: 'model/weights.pt', kind: 'MODEL' })}`, {
    method: 'PUT',
    body: `weights ${m}`,
  });
  const artifact = ((await put.json()) as { artifact: { id: string } }).artifact;
  await gql('mutation($m: String!, $a: ID!) { createModelVersion(input: { model: $m, artifactId: $a }) { modelVersion { version } } }', {
    m: `${project}-model`,
    a: artifact.id,
  });
}
const seedSeconds = (performance.now() - t0) / 1000;
console.log(`seeded ${RUNS} runs and ${MODELS} model versions in ${fmt(seedSeconds)} s`);

await gql('mutation($p: String!) { setRetentionPolicy(input: { project: $p, deleteRunsAfterDays: 90, graceDays: 14 }) { graceDays } }', { p: project });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const planMs: number[] = [];
let plan: { id: string; report: { totals: { runsToDelete: number }; protectedRuns: number } } | null = null;
for (let i = 0; i < TRIES; i += 1) {
  const t = performance.now();
  plan = (
    await gql<{ planRetention: NonNullable<typeof plan> }>('mutation($p: String!) { planRetention(input: { project: $p }) { id report } }', { p: project })
  ).planRetention;
  planMs.push(performance.now() - t);
}

const raw = new pg.Client({ connectionString: url });
await raw.connect();
const rawMs: number[] = [];
let rawCount = 0;
for (let i = 0; i < TRIES; i += 1) {
  const t = performance.now();
  const r = await raw.query(
    `SELECT r.id FROM runs r JOIN projects p ON p.id = r.project_id
     WHERE p.name = $1 AND r.started_at < now() - interval '90 days' AND r.deleted_at IS NULL ORDER BY r.id LIMIT 1001`,
    [project],
  );
  rawMs.push(performance.now() - t);
  rawCount = r.rowCount ?? 0;
}
await raw.end();

const t1 = performance.now();
const applied = await gql<{ applyRetention: { result: { deletedRuns: string[] } } }>('mutation($id: ID!) { applyRetention(input: { plan: $id }) { result } }', {
  id: plan!.id,
});
const applyMs = performance.now() - t1;
await app.stop();

const listed = plan!.report.totals.runsToDelete;
const rows: Row[] = [
  {
    benchmark: `planRetention, ${RUNS} old runs, ${MODELS} model versions (lists ${listed}, protects ${plan!.report.protectedRuns})`,
    ours: `${fmt(median(planMs), 0)} ms`,
    raw: `${fmt(median(rawMs), 1)} ms candidate query (${rawCount} rows)`,
    ratio: median(planMs) / median(rawMs),
    goal: '-',
    met: null,
    details: { planMs, rawMs, listed, protectedRuns: plan!.report.protectedRuns, rawCount },
  },
  {
    benchmark: `applyRetention of that plan (soft-deletes ${applied.applyRetention.result.deletedRuns.length} runs, audited)`,
    ours: `${fmt(applyMs, 0)} ms`,
    raw: '-',
    ratio: Number.NaN,
    goal: '-',
    met: null,
    details: { applyMs, deleted: applied.applyRetention.result.deletedRuns.length },
  },
];
printTable(rows);
await writeResults('retention', { runs: RUNS, models: MODELS, tries: TRIES, seedSeconds, rows });
console.log('rerun: npm run bench:retention');
