// Redis dies (SIGKILL) while 4 writers log metrics with retries and dashboards watch them live,
// stays down for a while, and comes back on the same port. Meanwhile the service keeps
// serving reads of every other kind and keeps accepting writes; afterwards it recovers by
// itself (new subscriptions, publishing across instances), the database holds exactly what
// the writers sent, and dashboards that resubscribe with resumeFromStep end with every point
// exactly once.
//
// Two server instances share the database and the Redis: writers talk to A, dashboards to B,
// so every live point crosses Redis. The Redis is a private redis-server on a spare port; the
// database a fresh one on TEST_DATABASE_URL's server, or else a private PostgreSQL cluster.
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GetRunDocument,
  LogBatchDocument,
  MetricHistoryDocument,
  MetricLoggedDocument,
  RunUpdatedDocument,
  SearchRunsDocument,
  StartRunDocument,
} from '../generated/graphql.js';
import { freshDatabaseUrl } from '../support/fresh-database.js';
import { Dashboard } from '../support/dashboard.js';
import { eventually, subscribeWs, wsClient } from '../support/live.js';
import { clusterUnavailableReason, startCluster } from '../support/pg-cluster.js';
import { type RedisServer, redisServerUnavailableReason, startRedisServer } from '../support/redis-server.js';
import { startServer, type TestServer, testConfig, uniqueName } from '../support/server.js';

const unavailable =
  redisServerUnavailableReason() ??
  (process.env.TEST_DATABASE_URL
    ? null
    : clusterUnavailableReason() && `no database two servers can share: TEST_DATABASE_URL is unset and ${clusterUnavailableReason()}`);
if (unavailable) console.warn(`redis-restart fault test not run: ${unavailable}`);

const WRITERS = 4;
const BATCHES = 40;
const POINTS = 25;
const TOTAL = WRITERS * BATCHES;

describe.runIf(!unavailable)('a Redis crash during ingestion', () => {
  let redis: RedisServer;
  let a: TestServer;
  let b: TestServer;
  let dropDatabase = async () => {};
  const clients: Client[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    let url: string;
    if (process.env.TEST_DATABASE_URL) {
      const fresh = await freshDatabaseUrl();
      url = fresh.url!;
      dropDatabase = fresh.drop;
    } else {
      const cluster = await startCluster();
      url = cluster.url;
      dropDatabase = () => cluster.destroy();
    }
    const prefix = uniqueName('rl-fault');
    const config = () => ({
      ...testConfig({ REDIS_URL: redis.url, RUNLEDGER_PUBSUB_PREFIX: prefix }),
      database: { kind: 'postgres' as const, url, poolSize: 8 },
    });
    a = await startServer(config());
    b = await startServer(config());
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await a?.app.stop().catch(() => {});
    await b?.app.stop().catch(() => {});
    await redis?.destroy();
    await dropDatabase();
  });

  const health = async (server: TestServer) => (await (await fetch(`${server.url}/healthz`)).json()) as { status: string; dependencies: { redis?: string } };

  /** A training script's client: retries a failed request with the same batchId. */
  async function logWithRetry(runId: string, batchId: string, metrics: { key: string; value: number; step: number }[], stats: { retries: number }) {
    for (let attempt = 0; ; attempt += 1) {
      const result = await a.client
        .request(LogBatchDocument, { input: { runId, batchId, metrics } })
        .catch((error: unknown) => ({ errors: [{ message: String(error) }], data: null }));
      if (!result.errors?.length && result.data) return result.data.logBatch;
      if (attempt > 600) throw new Error(`gave up on ${batchId}: ${JSON.stringify(result.errors)}`);
      stats.retries += 1;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('loses nothing, duplicates nothing, keeps serving, and recovers by itself', async () => {
    const project = uniqueName('redis-fault');
    await a.client.data('mutation($n: String!) { createProject(input: { name: $n }) { created } }', { n: project });
    const runIds: string[] = [];
    for (let w = 0; w < WRITERS; w += 1) {
      runIds.push((await a.client.data(StartRunDocument, { input: { project, clientRunId: `writer-${w}`, name: `writer-${w}` } })).startRun.run.id);
    }

    const watcher = wsClient(b.url);
    clients.push(watcher);
    const dashboards = runIds.map((id) => new Dashboard(watcher, id, BATCHES * POINTS));

    // Writers pause three quarters of the way until Redis is back, so part of the ingest
    // happens before, part during and part after the outage, whatever the machine's speed.
    let progress = 0;
    let redisBack!: () => void;
    const back = new Promise<void>((resolve) => (redisBack = resolve));
    const stats = { retries: 0 };
    const writers = runIds.map(async (runId, w) => {
      for (let batch = 0; batch < BATCHES; batch += 1) {
        if (batch === Math.floor((BATCHES * 3) / 4)) await back;
        const metrics = Array.from({ length: POINTS }, (_, i) => ({ key: 'loss', value: w * 1e6 + batch * POINTS + i, step: batch * POINTS + i }));
        await logWithRetry(runId, `w${w}-b${batch}`, metrics, stats);
        progress += 1;
      }
    });
    const writing = Promise.all(writers);
    writing.catch(() => {});

    await eventually(() => progress >= TOTAL / 4, 'writers a quarter done', 4000);
    await redis.kill();
    const killedAt = progress;

    // While Redis is down: health says degraded, and reads and writes of every kind work.
    await eventually(
      async () => (await health(a)).dependencies.redis === 'unavailable' && (await health(b)).dependencies.redis === 'unavailable',
      'both servers notice Redis is gone',
      2000,
    );
    for (const server of [a, b]) {
      const res = await fetch(`${server.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'degraded', dependencies: { redis: 'unavailable' } });
    }
    const search = await b.client.data(SearchRunsDocument, { project, filter: "attributes.name = 'writer-2'", first: 10 });
    expect(search.runs.edges.map((e) => e.node.name)).toEqual(['writer-2']);
    const { run } = await b.client.data(GetRunDocument, { id: runIds[1]! });
    expect(run).toMatchObject({ name: 'writer-1', status: 'RUNNING' });
    const history = await b.client.data(MetricHistoryDocument, { id: runIds[0]!, key: 'loss', maxPoints: 50 });
    expect(history.run?.metricHistory.totalPoints).toBeGreaterThan(0);
    // A write during the outage succeeds at the first attempt, and so do a new run's.
    const probe = (await a.client.data(StartRunDocument, { input: { project, name: 'probe' } })).startRun.run;
    expect((await a.client.data(LogBatchDocument, { input: { runId: probe.id, metrics: [{ key: 'x', value: 1, step: 0 }] } })).logBatch.pointsWritten).toBe(1);
    // The writers keep going too: a quarter of the ingest happens with Redis down.
    await eventually(() => progress >= killedAt + TOTAL / 4 || progress >= (TOTAL * 3) / 4, 'writers progress while Redis is down', 4000);
    const duringOutage = progress - killedAt;
    expect(duringOutage).toBeGreaterThan(0);

    await redis.start();
    redisBack();

    // Recovered by itself: both instances reconnect, and health is ok again.
    await eventually(async () => (await health(a)).status === 'ok' && (await health(b)).status === 'ok', 'both servers reconnected to Redis', 2000);
    await writing;

    // Every dashboard ends with every point exactly once, having resumed from the database.
    await eventually(() => dashboards.every((d) => d.complete()), 'every dashboard has every point exactly once', 4000);
    dashboards.forEach((d) => d.stop());
    await Promise.all(dashboards.map((d) => d.finished));
    for (const d of dashboards) {
      expect(d.duplicatesInAStream).toBe(0);
      expect([...d.have.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: BATCHES * POINTS }, (_, i) => i));
      expect([...d.have.values()].every((n) => n === 1)).toBe(true);
    }
    // Each dashboard was told at least once that it missed points and had to resume.
    expect(dashboards.every((d) => d.resumes.length > 0)).toBe(true);

    // New subscriptions work and points cross from A to B through the restarted Redis.
    const live = subscribeWs(watcher, MetricLoggedDocument, { runId: probe.id, sinceStep: 1 });
    for (let step = 1; ; step += 1) {
      await a.client.data(LogBatchDocument, { input: { runId: probe.id, metrics: [{ key: 'x', value: step, step }] } });
      // The replay (sinceStep) delivers what the live feed might miss while B subscribes.
      if (live.results.some((r) => r.data?.metricLogged.points.length && !r.data.metricLogged.replay)) break;
      if (live.results.some((r) => r.errors)) throw new Error(`subscription failed after recovery: ${JSON.stringify(live.results)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    live.stop();
    const runEvents = subscribeWs(watcher, RunUpdatedDocument, { project });
    for (let i = 0; !runEvents.results.some((r) => r.data?.runUpdated.name === `after-${i - 1}`); i += 1) {
      await a.client.data(StartRunDocument, { input: { project, name: `after-${i}` } });
      await new Promise((r) => setTimeout(r, 50));
    }
    runEvents.stop();

    // The database holds exactly what the writers sent.
    const rows = await a.app.db.sql.query<{ name: string; steps: string[]; values: number[]; n: number; receipts: number }>(
      `SELECT r.name, array_agg(p.step::text ORDER BY p.step) AS steps, array_agg(p.value ORDER BY p.step) AS values, count(*)::int AS n,
              (SELECT count(*)::int FROM batch_receipts b WHERE b.run_id = r.id) AS receipts
         FROM runs r JOIN metric_points p ON p.run_id = r.id
        WHERE r.name LIKE 'writer-%' GROUP BY r.id, r.name ORDER BY r.name`,
    );
    expect(rows.map((r) => r.name)).toEqual(runIds.map((_, w) => `writer-${w}`));
    rows.forEach((row, w) => {
      const steps = Array.from({ length: BATCHES * POINTS }, (_, i) => i);
      expect(row.n).toBe(BATCHES * POINTS);
      expect(row.steps.map(Number)).toEqual(steps);
      expect(row.values).toEqual(steps.map((s) => w * 1e6 + s));
      expect(row.receipts).toBe(BATCHES);
    });
    console.log(
      `redis restart: ${WRITERS} writers x ${BATCHES} batches x ${POINTS} points, ${duringOutage} batches while Redis was down, ` +
        `${stats.retries} retries, resumes ${dashboards.map((d) => d.resumes.length).join('/')}, failed subscribes ${dashboards.map((d) => d.failedSubscribes).join('/')}`,
    );
  }, 240_000);
});
