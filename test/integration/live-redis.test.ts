// Live delivery through Redis: across two server instances, and through a Redis outage.
// Runs when TEST_REDIS_URL is set (.ci/run sets it); each server pair uses its own channel
// prefix, so parallel test files and other users of the same Redis never see each other.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MetricLoggedSubscription, MetricLoggedDocument, RunUpdatedDocument } from '../generated/graphql.js';
import { logPoints, newProject, newRun } from '../support/factories.js';
import { eventually, subscribeWs, wsClient } from '../support/live.js';
import { startServer, type TestServer, testConfig, uniqueName } from '../support/server.js';
import { deadPort, startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const redisUrl = process.env.TEST_REDIS_URL;

type Batch = MetricLoggedSubscription['metricLogged'];
const batches = (results: { data?: MetricLoggedSubscription | null }[]): Batch[] => results.map((r) => r.data?.metricLogged).filter((b): b is Batch => !!b);
const pointsOf = (results: { data?: MetricLoggedSubscription | null }[]) => batches(results).flatMap((b) => b.points);
const idOf = (p: { key: string; step: number; timestamp: string }) => `${p.key}@${p.step}@${p.timestamp}`;

// Two instances must share the database as well as Redis: PGlite in memory cannot be shared,
// so this part runs only against PostgreSQL (the second pass of .ci/run).
describe.runIf(redisUrl && process.env.TEST_DATABASE_URL)('two server instances sharing Redis', () => {
  let a: TestServer;
  let b: TestServer;
  let redis: Redis;
  const prefix = uniqueName('rl-test');
  const clients: { dispose(): unknown }[] = [];
  beforeAll(async () => {
    a = await startServer(testConfig({ REDIS_URL: redisUrl!, RUNLEDGER_PUBSUB_PREFIX: prefix }));
    b = await startServer(testConfig({ REDIS_URL: redisUrl!, RUNLEDGER_PUBSUB_PREFIX: prefix }));
    redis = new Redis(redisUrl!);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await a?.app.stop();
    await b?.app.stop();
    redis?.disconnect();
  });

  it('delivers points ingested through one instance to a subscriber on the other', async () => {
    const project = await newProject(a.client, 'live-redis');
    const run = await newRun(a.client, project);
    await logPoints(a.client, run.id, [{ key: 'marker', value: 0, step: 0 }]);
    const c = wsClient(b.url);
    clients.push(c);
    const sub = subscribeWs(c, MetricLoggedDocument, { runId: run.id, sinceStep: 0 });
    await sub.until((r) => pointsOf(r).length === 1); // replayed marker: B is subscribed in Redis
    const runNumber = Buffer.from(run.id, 'base64').toString().split(':')[1];
    const channel = `${prefix}:metrics:run:${runNumber}`;
    expect(await redis.pubsub('NUMSUB', channel)).toEqual([channel, 1]);

    for (let step = 1; step <= 30; step += 1) await logPoints(a.client, run.id, [{ key: 'loss', value: 1 / step, step }]);
    await sub.until((r) => pointsOf(r).some((p) => p.step === 30));
    expect(pointsOf(sub.results).map((p) => p.step)).toEqual([...Array(31).keys()]);

    // The last local subscriber leaving drops B's Redis subscription.
    sub.stop();
    await eventually(async () => ((await redis.pubsub('NUMSUB', channel)) as [string, number])[1] === 0, 'B unsubscribed from Redis');
  });

  it('delivers run changes made through one instance to the other', async () => {
    const project = await newProject(a.client, 'live-redis');
    const c = wsClient(b.url);
    clients.push(c);
    const sub = subscribeWs(c, RunUpdatedDocument, { project });
    for (let i = 0; !sub.results.length; i += 1) {
      await newRun(a.client, project, { name: `probe-${i}` });
      await new Promise((r) => setTimeout(r, 10));
    }
    const run = await newRun(a.client, project, { name: 'through-a' });
    await sub.until((r) => r.some((x) => x.data?.runUpdated.id === run.id));
    sub.stop();
  });
});

describe.runIf(redisUrl)('a server instance that loses Redis for a moment', () => {
  let server: TestServer;
  let proxy: TcpProxy;
  const clients: { dispose(): unknown }[] = [];
  beforeAll(async () => {
    const target = new URL(redisUrl!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    server = await startServer(testConfig({ REDIS_URL: `redis://127.0.0.1:${proxy.port}`, RUNLEDGER_PUBSUB_PREFIX: uniqueName('rl-test') }));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await server?.app.stop();
    await proxy?.close();
  });

  it('tells the subscriber where to resume, and the replay makes its points complete', async () => {
    const { client } = server;
    const project = await newProject(client, 'live-outage');
    const run = await newRun(client, project);
    const logged: string[] = [];
    const log = async (step: number) => {
      const timestamp = new Date(Date.parse('2026-01-01T00:00:00Z') + step).toISOString();
      const metrics = [
        { key: 'loss', value: step, step, timestamp },
        { key: 'acc', value: -step, step, timestamp },
      ];
      await logPoints(client, run.id, metrics);
      for (const m of metrics) logged.push(idOf(m));
    };
    await log(0);
    const c = wsClient(server.url);
    clients.push(c);

    // The dashboard: points by identity; on a dropped batch it forgets from resumeFromStep on
    // and subscribes again from there.
    const have = new Map<string, number>();
    const resumes: number[] = [];
    const subscribeFrom = async (sinceStep: number) => {
      for (const id of [...have.keys()]) if (Number(id.split('@')[1]) >= sinceStep) have.delete(id);
      for (;;) {
        const sub = subscribeWs(c, MetricLoggedDocument, { runId: run.id, sinceStep });
        await sub.until((r) => r.length > 0, `first result of the subscription from step ${sinceStep}`);
        if (!sub.results[0]?.errors) return sub;
        // Subscribing fails while this instance is still reconnecting to Redis: try again.
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const counted = new Map<object, number>();
    const follow = async (first: Awaited<ReturnType<typeof subscribeFrom>>, untilStep: number) => {
      let sub = first;
      for (;;) {
        await sub.until(
          (r) => batches(r).some((b) => b.dropped) || pointsOf(r).filter((p) => p.step === untilStep).length === 2,
          `step ${untilStep} (both keys) or a dropped batch`,
        );
        const seen = counted.get(sub) ?? 0;
        counted.set(sub, sub.results.length);
        for (const p of pointsOf(sub.results.slice(seen))) have.set(idOf(p), (have.get(idOf(p)) ?? 0) + 1);
        const dropped = batches(sub.results).find((b) => b.dropped);
        if (!dropped) return sub;
        resumes.push(dropped.resumeFromStep);
        sub = await subscribeFrom(dropped.resumeFromStep);
      }
    };

    const first = await subscribeFrom(0);
    for (let step = 1; step <= 10; step += 1) await log(step);
    await first.until((r) => pointsOf(r).some((p) => p.step === 10), 'step 10 before the cut');

    proxy.cut();
    await first.until((r) => batches(r).some((b) => b.dropped), 'the dropped batch after the cut');
    expect(batches(first.results).find((b) => b.dropped)!.resumeFromStep).toBe(10);
    for (let step = 11; step <= 20; step += 1) await log(step); // published while Redis is unreachable: lost
    proxy.restore();
    const resumed = await follow(first, 20);
    for (let step = 21; step <= 30; step += 1) await log(step);
    const last = await follow(resumed, 30);
    last.stop();
    expect(resumes[0]).toBe(10);

    expect([...have.keys()].sort()).toEqual([...logged].sort());
    expect([...have.values()].every((n) => n === 1)).toBe(true);
  });
});

describe('a server whose Redis is unreachable', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(testConfig({ REDIS_URL: `redis://127.0.0.1:${await deadPort()}`, RUNLEDGER_PUBSUB_PREFIX: uniqueName('rl-test') }));
  });
  afterAll(async () => {
    await server?.app.stop();
  });

  it('keeps serving writes and refuses live subscriptions with an error instead of hanging', async () => {
    const { client, url } = server;
    const project = await newProject(client, 'no-redis');
    const run = await newRun(client, project);
    const written = await logPoints(client, run.id, [{ key: 'loss', value: 1, step: 1 }]);
    expect(written.pointsWritten).toBe(1);
    const c = wsClient(url);
    const sub = subscribeWs(c, MetricLoggedDocument, { runId: run.id, sinceStep: 0 });
    await sub.done;
    expect(sub.results[0]?.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    await c.dispose();
    expect(server.app.services.live.stats()).toMatchObject({ subscriptions: 0, pubsubHandlers: 0 });
  });
});
