// `npm run bench:scaling`: how the main figures grow (bench/scaling/).
//   search   p50/p95 of the run search at 10k, 100k and 1M runs in one project (seeded resumably,
//            one database per size: runledger_scale_search_10000, ...)
//   ingest   points/s and batch p50/p99 of logBatch at 10, 100, 1,000 and 10,000 points per batch, 8 clients
//   lineage  p50/p95 of lineage walks at depth 1..20, up and down, on bench/seed.ts's 1.2M-node graph
//            (runledger_bench, only read; skipped until the seed has built it)
//   rss      the server process's RSS over 10 minutes of ingest at full speed, and whether it stays flat
// Each part prints its table and rerun command and replaces its own entry in
// bench/results/scaling.json; the plots (bench/results/scaling-*.png) are redrawn from that file.
//   BENCH_SCALING_ONLY=search,ingest,lineage,rss   the parts to run (default all, in that order)
//   BENCH_SCALING_SIZES=10000,100000,1000000       search sizes;        BENCH_SCALING_SAMPLES=200 queries per size
//   BENCH_SCALING_BATCH_SIZES=10,100,1000,10000    ingest batch sizes;  BENCH_SCALING_INGEST_SECONDS=30 per size
//   BENCH_SCALING_MAX_DEPTH=20 or BENCH_SCALING_DEPTHS=1,5,10;          BENCH_SCALING_LINEAGE_SAMPLES=50 per depth and direction
//   BENCH_RSS_SECONDS=600
//   BENCH_SCALING_SEARCH_URL (base name; _<size> is appended), BENCH_SCALING_INGEST_URL (ingest and rss), BENCH_SCALING_LINEAGE_URL (default BENCH_DATABASE_URL, then runledger_bench)
import '../src/node-env.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadScalingConfig, type Part, rerunCommand } from './scaling/config.js';
import { runIngest } from './scaling/ingest.js';
import { runLineage } from './scaling/lineage.js';
import { REPORTERS } from './scaling/report.js';
import { machine, mergeResult, type PartResult } from './scaling/results.js';
import { runRss } from './scaling/rss.js';
import { runSearch } from './scaling/search.js';

const config = loadScalingConfig();

async function runPart(part: Part): Promise<void> {
  const base = (): PartResult => ({ at: new Date().toISOString(), rerun: rerunCommand(part), machine: machine() });
  console.log(`\n== ${part}`);
  const started = base();
  let result: PartResult;
  if (part === 'search') result = REPORTERS.search(await runSearch(config.search), started);
  else if (part === 'ingest') result = REPORTERS.ingest(await runIngest(config.ingest), started);
  else if (part === 'rss') result = REPORTERS.rss(await runRss(config.rss), started);
  else {
    const lineage = await runLineage(config.lineage);
    if ('skipped' in lineage) {
      console.log(`lineage: skipped: ${lineage.skipped}. bench/results/scaling.json keeps its previous lineage entry, if any.`);
      return;
    }
    result = REPORTERS.lineage(lineage, started);
  }
  result.seconds = Math.round((Date.now() - Date.parse(started.at)) / 1000);
  await mergeResult(part, result);
}

for (const part of config.parts) await runPart(part);

// The plots need matplotlib, from a cached virtualenv (scripts/pyenv); a failure there leaves
// the figures in scaling.json and says how to redraw them.
const plot = spawnSync('bash', ['bench/scaling/plot.sh'], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'inherit' });
if (plot.status !== 0) console.log('plots not drawn; redraw them from bench/results/scaling.json with: npm run bench:scaling:plot');
