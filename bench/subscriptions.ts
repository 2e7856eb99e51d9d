// Live fan-out figure: N WebSocket subscribers on one server process while a writer logs
// points; prints delivery latency (commit -> client receipt), messages/second and the
// server's memory. The server runs in a child process so the client side (up to 10,000
// sockets and their parsing) does not count in the server's memory.
//   npm run bench:subscriptions                                  (1,000 subscribers)
//   BENCH_SUBSCRIBERS=10000 npm run bench:subscriptions
//   BENCH_DATABASE_URL=postgresql://... BENCH_BATCHES=200 BENCH_POINTS=10 BENCH_INTERVAL_MS=50 npm run bench:subscriptions
// Each connection is one file descriptor on each side: 10,000 subscribers need `ulimit -n`
// above 10,000 in both processes (the shell's limit is inherited by the child).
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const role = process.env.BENCH_ROLE ?? 'driver';
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

if (role === 'server') {
  const { createApp } = await import('../src/app.js');
  const { loadConfig } = await import('../src/config.js');
  const env: Record<string, string> = { PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, RUNLEDGER_GRAPHIQL: 'off' };
  if (process.env.BENCH_REDIS_URL) env.REDIS_URL = process.env.BENCH_REDIS_URL;
  env.RUNLEDGER_PUBSUB_PREFIX = `bench-${randomUUID().slice(0, 8)}`;
  const app = await createApp(loadConfig(env));
  const { url } = await app.start();
  process.send!({ url, pubsub: env.REDIS_URL ? 'redis' : 'memory' });
  process.on('message', async (msg: string) => {
    if (msg === 'memory') process.send!({ memory: process.memoryUsage() });
    if (msg === 'stop') {
      await app.stop();
      process.exit(0);
    }
  });
} else {
  const subscribers = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
  const batches = Number(process.env.BENCH_BATCHES ?? 200);
  const pointsPerBatch = Number(process.env.BENCH_POINTS ?? 10);
  const intervalMs = Number(process.env.BENCH_INTERVAL_MS ?? 50);

  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, BENCH_ROLE: 'server' },
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/rl5prof'] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = <T>(msg: string, key: string) =>
    new Promise<T>((resolve) => {
      const on = (m: Record<string, unknown>) => {
        if (key in m) {
          child.off('message', on);
          resolve(m[key] as T);
        }
      };
      child.on('message', on);
      child.send(msg);
    });
  const started = await new Promise<{ url: string; pubsub: string }>((resolve) => child.once('message', (m) => resolve(m as never)));
  const endpoint = `${started.url}/graphql`;
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

  async function gql<T>(query: string, variables: unknown): Promise<T> {
    const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: T; errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data as T;
  }
  const logBatch = (runId: string, metrics: unknown[]) =>
    gql('mutation($i: LogBatchInput!) { logBatch(input: $i) { pointsWritten } }', { i: { runId, metrics } });

  const project = `bench-live-${randomUUID().slice(0, 8)}`;
  await gql('mutation($i: CreateProjectInput!) { createProject(input: $i) { created } }', { i: { name: project } });
  const { startRun } = await gql<{ startRun: { run: { id: string } } }>('mutation($i: StartRunInput!) { startRun(input: $i) { run { id } } }', {
    i: { project },
  });
  const runId = startRun.run.id;
  await logBatch(runId, [{ key: 'marker', value: 0, step: 0 }]);

  const idle = (await ask<NodeJS.MemoryUsage>('memory', 'memory')).rss;
  const query = `subscription($runId: ID!, $sinceStep: SafeInt) { metricLogged(runId: $runId, sinceStep: $sinceStep) { committedAt replay points { key step value } } }`;
  const latencies: number[] = [];
  let received = 0;
  let lastReceipt = 0;
  const sockets: WebSocket[] = [];

  // A raw graphql-transport-ws client: cheap enough to run 10,000 of in one process.
  function connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(endpoint.replace(/^http/, 'ws'), 'graphql-transport-ws');
      sockets.push(ws);
      ws.on('error', reject);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
      ws.on('message', (raw) => {
        const now = Date.now();
        const msg = JSON.parse(String(raw)) as { type: string; payload?: { data?: { metricLogged: { committedAt: string | null; replay: boolean } } } };
        if (msg.type === 'connection_ack') {
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables: { runId, sinceStep: 0 } } }));
        } else if (msg.type === 'next') {
          const batch = msg.payload!.data!.metricLogged;
          if (batch.replay) return resolve(); // the marker, replayed: this subscriber is live
          latencies.push(now - Date.parse(batch.committedAt!));
          received += 1;
          lastReceipt = now;
        } else if (msg.type === 'error') {
          reject(new Error(JSON.stringify(msg.payload)));
        }
      });
    });
  }

  const connectStarted = performance.now();
  for (let i = 0; i < subscribers; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, subscribers - i) }, () => connect()));
  }
  const connectSeconds = (performance.now() - connectStarted) / 1000;
  const subscribed = (await ask<NodeJS.MemoryUsage>('memory', 'memory')).rss;

  let peak = subscribed;
  const sampler = setInterval(() => {
    void ask<NodeJS.MemoryUsage>('memory', 'memory').then((m) => (peak = Math.max(peak, m.rss)));
  }, 200);
  const writeStarted = Date.now();
  for (let b = 1; b <= batches; b += 1) {
    const metrics = Array.from({ length: pointsPerBatch }, (_, i) => ({ key: `m${i}`, value: Math.sin(b + i), step: b }));
    await logBatch(runId, metrics);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const expected = batches * subscribers;
  const deadline = Date.now() + 60_000;
  while (received < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  clearInterval(sampler);
  const seconds = (lastReceipt - writeStarted) / 1000;

  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  console.log(
    `subscriptions: ${subscribers.toLocaleString()} graphql-ws subscribers on one server (${started.pubsub} pub/sub, PostgreSQL), ${batches} batches of ${pointsPerBatch} points every ~${intervalMs} ms`,
  );
  console.log(`  connected and live in ${connectSeconds.toFixed(1)} s`);
  console.log(
    `  delivered ${received.toLocaleString()} of ${expected.toLocaleString()} batches; ${Math.round(received / seconds).toLocaleString()} messages/s over ${seconds.toFixed(1)} s`,
  );
  console.log(`  latency commit -> client receipt: p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${latencies.at(-1)} ms`);
  console.log(
    `  server RSS: idle ${mb(idle)}, with subscribers ${mb(subscribed)} (${((subscribed - idle) / 1024 / subscribers).toFixed(1)} KB each), peak while writing ${mb(peak)}`,
  );
  console.log(
    `  rerun: BENCH_SUBSCRIBERS=${subscribers} BENCH_BATCHES=${batches} BENCH_POINTS=${pointsPerBatch} BENCH_INTERVAL_MS=${intervalMs} npm run bench:subscriptions`,
  );

  for (const ws of sockets) ws.terminate();
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
}
