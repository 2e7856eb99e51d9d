// `npm run bench:soak`: a bounded team-load soak. Two runledger replicas (child processes) on
// one freshly created PostgreSQL database and one Redis. Half the writers log through GraphQL
// logBatch on replica A (retried with the same batchId), half through the MLflow REST door
// (POST /api/2.0/mlflow/runs/log-batch) on replica B (retried with the same body: a point's
// identity is run, key, step and timestamp, so a repeat writes nothing). Each run is watched
// over graphql-ws on the OPPOSITE replica; a watcher resubscribes with sinceStep after a
// dropped batch or a lost connection. Every 2 s a query loop times run search and
// metricHistory on both replicas, first idle (before writing starts), then under load. RSS of
// both replicas is read from /proc every second. With SOAK_KILL=1, replica A is killed with
// SIGKILL halfway through, the moment a logBatch sent to it is committed in PostgreSQL and
// before its answer arrives, and everything moves to B.
// At the end every value is read back with SQL and compared exactly with what was
// acknowledged; it prints and writes bench/results/soak.json (soak-kill.json with SOAK_KILL=1),
// and exits non-zero if any value was lost, duplicated or altered, or a run is not FINISHED.
//   npm run bench:soak
//   BENCH_SOAK_DATABASE_URL=postgresql://...  (default runledger_soak on the local server; dropped and created anew)
//   REDIS_URL / TEST_REDIS_URL                (default redis://127.0.0.1:6379)
//   SOAK_WRITERS=8  SOAK_SECONDS=60  SOAK_METRICS=8  SOAK_STEPS_PER_SECOND=50 (per writer)
//   SOAK_STEPS_PER_BATCH=50  SOAK_IDLE_SECONDS=20  SOAK_SEARCH_RUNS=100  SOAK_KILL=0
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { percentile } from './lib/progress.js';
import { fmt, writeResults } from './lib/report.js';
import { type BenchServer, startBenchServer } from './lib/server-process.js';
import { type LiveReplica, liveClient, Watcher } from './lib/soak-watchers.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const databaseUrl = process.env.BENCH_SOAK_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/runledger_soak';
const redisUrl = process.env.REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WRITERS = env('SOAK_WRITERS', 8);
const SECONDS = env('SOAK_SECONDS', 60);
const METRICS = env('SOAK_METRICS', 8);
const STEPS_PER_SECOND = env('SOAK_STEPS_PER_SECOND', 50);
const STEPS_PER_BATCH = env('SOAK_STEPS_PER_BATCH', 50);
const IDLE_SECONDS = env('SOAK_IDLE_SECONDS', 20);
const SEARCH_RUNS = env('SOAK_SEARCH_RUNS', 100);
const KILL = process.env.SOAK_KILL === '1';
const HISTORY_STEPS = 6000;
const loadAtStart = os.loadavg();
const rerun = [
  `BENCH_SOAK_DATABASE_URL=${databaseUrl}`,
  `SOAK_WRITERS=${WRITERS} SOAK_SECONDS=${SECONDS} SOAK_METRICS=${METRICS} SOAK_STEPS_PER_SECOND=${STEPS_PER_SECOND}`,
  `SOAK_STEPS_PER_BATCH=${STEPS_PER_BATCH} SOAK_IDLE_SECONDS=${IDLE_SECONDS} SOAK_SEARCH_RUNS=${SEARCH_RUNS} SOAK_KILL=${KILL ? 1 : 0}`,
  'npm run bench:soak',
].join(' ');

/** The value a writer logs for metric k at a step: not round, so a change in any bit shows. */
const valueAt = (w: number, k: number, step: number) => Math.sin(w * 7919 + k * 104_729 + step * 0.013) * (1000 / (k + 1));
const keyOf = (k: number) => `m${k}`;

async function freshDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const quoted = `"${name.replaceAll('"', '""')}"`;
    await client.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${quoted}`);
  } finally {
    await client.end();
  }
}

// ---- HTTP, counting every 5xx whichever door answered it.
let fiveHundreds = 0;
async function post(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  if (res.status >= 500) fiveHundreds += 1;
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text.slice(0, 300) };
  }
  return { status: res.status, json };
}

interface Replica extends LiveReplica {
  name: 'A' | 'B';
  server: BenchServer;
  dead: boolean;
  rss: number[];
}

async function gql<T = any>(replica: Replica, query: string, variables: unknown = {}): Promise<T> {
  const { status, json } = await post(`${replica.url}/graphql`, { query, variables });
  if (status !== 200 || json?.errors) throw new Error(`${replica.name} ${status} ${JSON.stringify(json?.errors ?? json).slice(0, 400)}`);
  return json.data as T;
}

await freshDatabase(databaseUrl);
const serverEnv = {
  DATABASE_URL: databaseUrl,
  DATABASE_POOL_SIZE: String(WRITERS + 4),
  REDIS_URL: redisUrl,
  RUNLEDGER_PUBSUB_PREFIX: `soak-${randomUUID().slice(0, 8)}`,
};
// Started together on the empty database, as replicas behind a load balancer are.
const [serverA, serverB] = await Promise.all([startBenchServer(serverEnv), startBenchServer(serverEnv)]);
const replica = (name: 'A' | 'B', server: BenchServer): Replica => {
  const r: Replica = { name, server, url: server.url, dead: false, rss: [], alive: () => !r.dead };
  return r;
};
const A = replica('A', serverA!);
const B = replica('B', serverB!);
const replicas = [A, B];
const alive = (preferred: Replica) => (preferred.dead ? replicas.find((r) => !r.dead)! : preferred);
console.log(`replicas up: A ${A.url} (pid ${A.server.child.pid}), B ${B.url} (pid ${B.server.child.pid}); database ${databaseUrl}`);

// ---- RSS of both replicas every second, and the machine's load.
const loadSamples: number[] = [];
const sampleRss = () => {
  loadSamples.push(os.loadavg()[0]!);
  for (const r of replicas) {
    if (r.dead) continue;
    try {
      r.rss.push(r.server.rssMiB());
    } catch {
      // The process is gone (killed); its series ends here.
    }
  }
};
sampleRss();
const rssTimer = setInterval(sampleRss, 1000);

// ---- Seed: a project, runs to search, and one long series every history query reads.
const project = `soak-${randomUUID().slice(0, 8)}`;
const created = await gql(A, 'mutation($i: CreateProjectInput!) { createProject(input: $i) { project { mlflowExperimentId } } }', { i: { name: project } });
const experimentId: string = created.createProject.project.mlflowExperimentId;
const startRun = async (r: Replica, name: string) =>
  (await gql(r, 'mutation($i: StartRunInput!) { startRun(input: $i) { run { id mlflowRunId } } }', { i: { project, name } })).startRun.run as {
    id: string;
    mlflowRunId: string;
  };
const LOG_BATCH = 'mutation($i: LogBatchInput!) { logBatch(input: $i) { pointsWritten replayed } }';
for (let i = 0; i < SEARCH_RUNS; i += 10) {
  await Promise.all(
    Array.from({ length: Math.min(10, SEARCH_RUNS - i) }, async (_, j) => {
      const run = await startRun(A, `searched-${i + j}`);
      const metrics = Array.from({ length: 20 }, (_, step) => ({ key: 'loss', step, value: ((i + j) % 97) / 97 + step / 1000 }));
      await gql(A, LOG_BATCH, { i: { runId: run.id, params: [{ key: 'lr', value: String([0.1, 0.01, 0.001][(i + j) % 3]) }], metrics } });
    }),
  );
}
const historyRun = await startRun(A, 'history');
await gql(A, LOG_BATCH, {
  i: { runId: historyRun.id, metrics: Array.from({ length: HISTORY_STEPS }, (_, step) => ({ key: 'loss', step, value: Math.cos(step / 100) })) },
});

// ---- Query loop: search and history on each live replica every 2 s.
type Phase = 'warmup' | 'idle' | 'load';
const queryTimes: Record<Phase, { search: number[]; history: number[] }> = {
  warmup: { search: [], history: [] },
  idle: { search: [], history: [] },
  load: { search: [], history: [] },
};
let queryErrors = 0;
async function queryTick(phase: Phase): Promise<void> {
  for (const r of replicas.filter((x) => !x.dead)) {
    const timed = async (kind: 'search' | 'history', query: string, variables: unknown) => {
      const t0 = performance.now();
      try {
        await gql(r, query, variables);
        queryTimes[phase][kind].push(performance.now() - t0);
      } catch {
        if (!r.dead) queryErrors += 1;
      }
    };
    await timed('search', 'query($p: String!, $f: String) { runs(project: $p, filter: $f, first: 50) { totalCount edges { node { id name } } } }', {
      p: project,
      f: "params.lr = '0.01' and metrics.loss < 0.5",
    });
    await timed('history', 'query($id: ID!) { run(id: $id) { metricHistory(key: "loss", maxPoints: 500) { totalPoints steps values } } }', {
      id: historyRun.id,
    });
  }
}
function queryLoop(phase: Phase, until: () => boolean): Promise<void> {
  return (async () => {
    while (!until()) {
      const next = performance.now() + 2000;
      await queryTick(phase);
      await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
    }
  })();
}
// Warm-up first (discarded): a replica's first queries pay for JIT and cold caches, which
// would make the idle baseline slower than the loaded one.
for (let i = 0; i < 5; i += 1) await queryTick('warmup');
const idleEnds = performance.now() + IDLE_SECONDS * 1000;
await queryLoop('idle', () => performance.now() >= idleEnds);
console.log(`idle baseline: ${queryTimes.idle.search.length} searches, ${queryTimes.idle.history.length} history reads`);

// ---- Writers: half GraphQL on A, half MLflow REST on B; their runs.
interface Writer {
  w: number;
  door: 'graphql' | 'mlflow';
  home: Replica;
  runId: string; // GraphQL global id
  runNumber: number;
  mlflowRunId: string;
  acked: number[]; // steps acknowledged
  sentAt: Map<number, number>;
  retries: number;
  failedBatches: number;
  replayed: number;
}
const writers: Writer[] = [];
for (let w = 0; w < WRITERS; w += 1) {
  const door = w % 2 === 0 ? 'graphql' : 'mlflow';
  const home = door === 'graphql' ? A : B;
  let run: { id: string; mlflowRunId: string };
  if (door === 'graphql') run = await startRun(A, `writer-${w}`);
  else {
    const made = await post(`${B.url}/api/2.0/mlflow/runs/create`, { experiment_id: experimentId, run_name: `writer-${w}`, start_time: Date.now() });
    const mlflowRunId: string = made.json.run.info.run_id;
    const found = await gql(B, 'query($id: String!) { mlflowRun(id: $id) { id } }', { id: mlflowRunId });
    run = { id: found.mlflowRun.id, mlflowRunId };
  }
  writers.push({
    w,
    door,
    home,
    runId: run.id,
    runNumber: Number.parseInt(run.mlflowRunId, 16),
    mlflowRunId: run.mlflowRunId,
    acked: [],
    sentAt: new Map(),
    retries: 0,
    failedBatches: 0,
    replayed: 0,
  });
}

// ---- Watchers on the opposite replica.
const clients = new Map(replicas.map((r) => [r, liveClient(r.url)]));
const withClient = (r: Replica) => Object.assign(r, { client: clients.get(r)! });
const watchers = writers.map((wr) => {
  const opposite = wr.home === A ? B : A;
  return new Watcher(wr.runId, { preferred: withClient(opposite), other: withClient(wr.home) }, (step) => wr.sentAt.get(step));
});
for (const watcher of watchers) watcher.start();
await new Promise((r) => setTimeout(r, 1000)); // let the subscriptions open before the first point

const BASE_TS = Date.UTC(2026, 0, 1);
let writeStart = 0;
let killScheduled = false;
const killed = {
  atSeconds: null as number | null,
  afterSendMs: null as number | null,
  batchesTried: 0,
  /** True when A died after PostgreSQL had the batch and before its answer arrived. */
  betweenCommitAndAnswer: false,
};
// Its own connection, so polling never waits behind the writers.
const killWatch = KILL ? new pg.Client({ connectionString: databaseUrl }) : null;
await killWatch?.connect();
/**
 * With SOAK_KILL=1, past halfway: watches PostgreSQL for a logBatch sent to A and kills A the
 * moment its points are committed, before the answer (the commit-then-crash window a retry
 * must cover). If the answer wins the race, the next batch tries again.
 */
function killWhenCommitted(wr: Writer, steps: number[], answered: () => boolean): void {
  if (!KILL || killScheduled || wr.home !== A || A.dead || performance.now() - writeStart < (SECONDS * 1000) / 2) return;
  killScheduled = true;
  killed.batchesTried += 1;
  const sent = performance.now();
  void (async () => {
    while (!answered() && performance.now() - sent < 10_000) {
      const { rows } = await killWatch!.query<{ n: number }>('SELECT count(*)::int AS n FROM metric_points WHERE run_id = $1 AND step BETWEEN $2 AND $3', [
        wr.runNumber,
        steps[0],
        steps.at(-1),
      ]);
      if (rows[0]!.n > 0 && !answered()) {
        A.dead = true;
        A.server.child.kill('SIGKILL');
        Object.assign(killed, { atSeconds: (performance.now() - writeStart) / 1000, afterSendMs: performance.now() - sent, betweenCommitAndAnswer: true });
        console.log(
          `kill -9 replica A (pid ${A.server.child.pid}) at ${killed.atSeconds!.toFixed(2)} s: writer ${wr.w}'s batch was committed, its answer not yet received`,
        );
        return;
      }
    }
    killScheduled = false; // the answer won: try on a later batch
  })();
}
async function sendBatch(wr: Writer, steps: number[], batchId: string, target: Replica): Promise<void> {
  const now = performance.now();
  for (const step of steps) wr.sentAt.set(step, now);
  if (wr.door === 'graphql') {
    const metrics = steps.flatMap((step) => Array.from({ length: METRICS }, (_, k) => ({ key: keyOf(k), step, value: valueAt(wr.w, k, step) })));
    let answered = false;
    const pending = gql(target, LOG_BATCH, { i: { runId: wr.runId, batchId, metrics } }).finally(() => {
      answered = true;
    });
    if (target === A) killWhenCommitted(wr, steps, () => answered);
    const data = await pending;
    if (data.logBatch.replayed) wr.replayed += 1;
    return;
  }
  const metrics = steps.flatMap((step) =>
    Array.from({ length: METRICS }, (_, k) => ({ key: keyOf(k), step, value: valueAt(wr.w, k, step), timestamp: BASE_TS + step })),
  );
  const { status, json } = await post(`${target.url}/api/2.0/mlflow/runs/log-batch`, { run_id: wr.mlflowRunId, metrics });
  if (status !== 200) throw new Error(`${target.name} ${status} ${JSON.stringify(json).slice(0, 300)}`);
}

const writeTimes = { graphql: [] as number[], mlflow: [] as number[] };
let writing = true;
writeStart = performance.now();
async function runWriter(wr: Writer): Promise<void> {
  for (let batch = 0; ; batch += 1) {
    // Compared as an offset: writeStart + offset - writeStart can round below SECONDS and add a batch.
    const offsetMs = ((batch * STEPS_PER_BATCH) / STEPS_PER_SECOND) * 1000;
    if (offsetMs >= SECONDS * 1000) return;
    const due = writeStart + offsetMs;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    const steps = Array.from({ length: STEPS_PER_BATCH }, (_, i) => batch * STEPS_PER_BATCH + i);
    for (let attempt = 0; ; attempt += 1) {
      try {
        const t0 = performance.now();
        await sendBatch(wr, steps, `soak-w${wr.w}-b${batch}`, alive(wr.home));
        writeTimes[wr.door].push(performance.now() - t0);
        wr.acked.push(...steps);
        break;
      } catch (error) {
        if (attempt >= 40) {
          wr.failedBatches += 1;
          console.error(`writer ${wr.w} gave up on batch ${batch}: ${error instanceof Error ? error.message : error}`);
          break;
        }
        wr.retries += 1;
        await new Promise((r) => setTimeout(r, 100 * Math.min(attempt + 1, 10)));
      }
    }
  }
}
const loadQueries = queryLoop('load', () => !writing);
await Promise.all(writers.map(runWriter));
writing = false;
await loadQueries;
const writeSeconds = (performance.now() - writeStart) / 1000;
const loadAtEndOfWriting = os.loadavg();

// ---- Finish every run through its own door.
for (const wr of writers) {
  const target = alive(wr.home);
  if (wr.door === 'graphql') await gql(target, 'mutation($i: FinishRunInput!) { finishRun(input: $i) { run { status } } }', { i: { runId: wr.runId } });
  else await post(`${target.url}/api/2.0/mlflow/runs/update`, { run_id: wr.mlflowRunId, status: 'FINISHED', end_time: Date.now() });
}

// ---- Read back and compare exactly.
const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
const runNumbers = writers.map((wr) => wr.runNumber);
const stored = await db.query<{ run_id: number; key: string; step: string; value: number }>(
  'SELECT p.run_id, k.name AS key, p.step::text AS step, p.value FROM metric_points p JOIN metric_keys k ON k.id = p.key_id WHERE p.run_id = ANY($1)',
  [runNumbers],
);
const statuses = await db.query<{ id: number; status: string }>('SELECT id, status::text AS status FROM runs WHERE id = ANY($1)', [runNumbers]);
await db.end();
const byRun = new Map(writers.map((wr) => [wr.runNumber, wr]));
const seen = new Map<string, number>();
let altered = 0;
let unexpected = 0;
for (const row of stored.rows) {
  const wr = byRun.get(row.run_id)!;
  const id = `${row.run_id}|${row.key}|${row.step}`;
  seen.set(id, (seen.get(id) ?? 0) + 1);
  const k = Number(row.key.slice(1));
  if (!/^m\d+$/.test(row.key) || k >= METRICS) unexpected += 1;
  else if (!Object.is(row.value, valueAt(wr.w, k, Number(row.step)))) altered += 1;
}
const duplicated = [...seen.values()].reduce((n, c) => n + (c > 1 ? c - 1 : 0), 0);
let acknowledged = 0;
let lost = 0;
for (const wr of writers) {
  for (const step of wr.acked) {
    for (let k = 0; k < METRICS; k += 1) {
      acknowledged += 1;
      if (!seen.has(`${wr.runNumber}|${keyOf(k)}|${step}`)) lost += 1;
    }
  }
}
const storedDistinct = seen.size;
const notFinished = statuses.rows.filter((r) => r.status !== 'FINISHED').length + (writers.length - statuses.rows.length);

// ---- Let the watchers catch up with everything committed, then count.
const committedPerRun = new Map<number, Set<string>>();
for (const row of stored.rows) {
  const set = committedPerRun.get(row.run_id) ?? new Set();
  set.add(`${row.key}|${row.step}`);
  committedPerRun.set(row.run_id, set);
}
const missingLive = () =>
  writers.reduce((n, wr, i) => n + [...(committedPerRun.get(wr.runNumber) ?? [])].filter((p) => !watchers[i]!.received.has(p)).length, 0);
const settleUntil = performance.now() + 20_000;
while (missingLive() > 0 && performance.now() < settleUntil) await new Promise((r) => setTimeout(r, 250));
for (const watcher of watchers) watcher.stop();
for (const client of clients.values()) await Promise.race([client.dispose(), new Promise((r) => setTimeout(r, 2000))]);
clearInterval(rssTimer);
sampleRss();
await Promise.all(replicas.filter((r) => !r.dead).map((r) => r.server.stop()));

// ---- Report.
const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);
const p = (xs: number[], q: number) => (xs.length ? percentile(sorted(xs), q) : Number.NaN);
const quantiles = (xs: number[]) => ({ n: xs.length, p50Ms: p(xs, 50), p99Ms: p(xs, 99) });
const ratio = (kind: 'search' | 'history') => {
  const idle = quantiles(queryTimes.idle[kind]);
  const load = quantiles(queryTimes.load[kind]);
  return { idle, load, p50Ratio: load.p50Ms / idle.p50Ms, p99Ratio: load.p99Ms / idle.p99Ms };
};
const latencies = watchers.flatMap((wt) => wt.latenciesMs);
const committed = storedDistinct;
const receivedLive = watchers.reduce((n, wt) => n + wt.received.size, 0);
const rssOf = (r: Replica) => ({
  startMiB: r.rss[0] ?? null,
  peakMiB: r.rss.length ? Math.max(...r.rss) : null,
  endMiB: r.rss.at(-1) ?? null,
  samples: r.rss.length,
  killed: r.dead,
});
const report = {
  rerun,
  machine: {
    cpus: os.cpus().length,
    node: process.version,
    loadAverageAtStart: loadAtStart,
    loadAverageAtEndOfWriting: loadAtEndOfWriting,
    loadAverage1mPeakDuringRun: Math.max(...loadSamples),
  },
  settings: {
    writers: WRITERS,
    seconds: SECONDS,
    metrics: METRICS,
    stepsPerSecond: STEPS_PER_SECOND,
    stepsPerBatch: STEPS_PER_BATCH,
    idleSeconds: IDLE_SECONDS,
    searchRuns: SEARCH_RUNS,
    kill: KILL,
  },
  completeness: {
    valuesAcknowledged: acknowledged,
    valuesStored: stored.rowCount,
    valuesPerSecondAcknowledged: acknowledged / writeSeconds,
    lost,
    duplicated,
    altered,
    unexpected,
    storedButNotAcknowledged: storedDistinct - (acknowledged - lost),
    runsFinished: writers.length - notFinished,
    runs: writers.length,
    fiveHundreds,
    writerRetries: writers.reduce((n, wr) => n + wr.retries, 0),
    graphqlBatchesReplayed: writers.reduce((n, wr) => n + wr.replayed, 0),
    batchesGivenUp: writers.reduce((n, wr) => n + wr.failedBatches, 0),
    queryErrors,
  },
  live: {
    committed,
    received: receivedLive,
    missing: missingLive(),
    receivedByReplayAfterResubscribe: watchers.reduce((n, wt) => n + wt.replayedPoints, 0),
    dropsSignalled: watchers.reduce((n, wt) => n + wt.drops, 0),
    resubscribes: watchers.reduce((n, wt) => n + wt.resubscribes, 0),
    deliveryLatency: quantiles(latencies),
    // For each run a watcher did not see whole: which steps it lacks, and what its drops said.
    holes: writers.flatMap((wr, i) => {
      const lacking = [...(committedPerRun.get(wr.runNumber) ?? [])].filter((pt) => !watchers[i]!.received.has(pt)).map((pt) => Number(pt.split('|')[1]));
      if (!lacking.length) return [];
      return [
        { writer: wr.w, door: wr.door, points: lacking.length, fromStep: Math.min(...lacking), toStep: Math.max(...lacking), drops: watchers[i]!.dropResumes },
      ];
    }),
    watcherErrors: watchers.flatMap((wt) => wt.errors).slice(0, 10),
  },
  kill: KILL ? killed : null,
  writes: { graphqlLogBatch: quantiles(writeTimes.graphql), mlflowLogBatch: quantiles(writeTimes.mlflow) },
  queries: { search: ratio('search'), history: ratio('history') },
  rss: { A: rssOf(A), B: rssOf(B) },
};
const q = (x: { p50Ms: number; p99Ms: number }) => `p50 ${fmt(x.p50Ms)} ms, p99 ${fmt(x.p99Ms)} ms`;
const c = report.completeness;
console.log(
  `\nsoak: ${WRITERS} writers (${WRITERS - Math.floor(WRITERS / 2)} GraphQL on A, ${Math.floor(WRITERS / 2)} MLflow on B) for ${fmt(writeSeconds)} s${KILL ? ', replica A killed -9 halfway' : ''}`,
);
console.log(
  `values: ${c.valuesAcknowledged} acknowledged (${fmt(c.valuesPerSecondAcknowledged, 0)}/s), ${c.valuesStored} stored; lost ${lost}, duplicated ${duplicated}, altered ${altered}, unexpected ${unexpected}, stored but unacknowledged ${c.storedButNotAcknowledged}`,
);
console.log(
  `runs FINISHED ${c.runsFinished}/${c.runs}; 5xx ${fiveHundreds}; writer retries ${c.writerRetries} (GraphQL replays ${c.graphqlBatchesReplayed}); batches given up ${c.batchesGivenUp}; query errors ${queryErrors}`,
);
console.log(
  `live: ${receivedLive}/${committed} points received by watchers (missing ${report.live.missing}; ${report.live.receivedByReplayAfterResubscribe} received by sinceStep replay), drops signalled ${report.live.dropsSignalled}, resubscribes ${report.live.resubscribes}; delivery ${q(report.live.deliveryLatency)}`,
);
for (const h of report.live.holes)
  console.log(`  watcher of writer ${h.writer} (${h.door}) lacks ${h.points} points, steps ${h.fromStep}-${h.toStep}; its drops: ${JSON.stringify(h.drops)}`);
console.log(`write latency (acknowledged requests): GraphQL logBatch ${q(report.writes.graphqlLogBatch)}, MLflow log-batch ${q(report.writes.mlflowLogBatch)}`);
for (const kind of ['search', 'history'] as const) {
  const r = report.queries[kind];
  console.log(
    `${kind}: idle ${q(r.idle)} (n=${r.idle.n}); under load ${q(r.load)} (n=${r.load.n}); ratio p50 ${r.p50Ratio.toFixed(2)}x, p99 ${r.p99Ratio.toFixed(2)}x`,
  );
}
for (const r of replicas) {
  const m = rssOf(r);
  console.log(`RSS ${r.name}: start ${fmt(m.startMiB ?? 0)} MiB, peak ${fmt(m.peakMiB ?? 0)} MiB, end ${fmt(m.endMiB ?? 0)} MiB${m.killed ? ' (killed)' : ''}`);
}
console.log(
  `load average 1/5/15 min: start ${loadAtStart.map((x) => x.toFixed(2)).join('/')}, end of writing ${loadAtEndOfWriting.map((x) => x.toFixed(2)).join('/')}, 1-min peak ${report.machine.loadAverage1mPeakDuringRun.toFixed(2)} on ${os.cpus().length} cores`,
);
console.log(`rerun: ${rerun}`);
await writeResults(KILL ? 'soak-kill' : 'soak', report);
const failed = lost > 0 || duplicated > 0 || altered > 0 || notFinished > 0;
await killWatch?.end();
if (failed) console.error('FAILED: values were lost, duplicated or altered, or a run did not finish');
process.exit(failed ? 1 : 0);
