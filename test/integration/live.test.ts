// Live subscriptions over real WebSocket (graphql-ws) and SSE clients against a started server.
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { print } from 'graphql';
import {
  LogBatchDocument,
  type MetricLoggedSubscription,
  MetricLoggedDocument,
  RunUpdatedDocument,
  FinishRunDocument,
  SetTagsDocument,
} from '../generated/graphql.js';
import { logPoints, newProject, newRun } from '../support/factories.js';
import { eventually, subscribeSse, subscribeWs, wsClient } from '../support/live.js';
import { startServer, testConfig, useServer } from '../support/server.js';

const QUEUE_POINTS = 2000;
const server = useServer(() =>
  testConfig({
    RUNLEDGER_LIVE_MAX_SUBSCRIPTIONS: '3',
    RUNLEDGER_LIVE_MAX_KEYS: '5',
    RUNLEDGER_LIVE_QUEUE_POINTS: String(QUEUE_POINTS),
    RUNLEDGER_LIVE_REPLAY_PAGE: '500',
  }),
);
const clients: { dispose(): unknown }[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
});
function newWsClient() {
  const c = wsClient(server().url);
  clients.push(c);
  return c;
}

type Batch = MetricLoggedSubscription['metricLogged'];
const batches = (results: { data?: MetricLoggedSubscription | null }[]): Batch[] => results.map((r) => r.data?.metricLogged).filter((b): b is Batch => !!b);
const pointsOf = (results: { data?: MetricLoggedSubscription | null }[]) => batches(results).flatMap((b) => b.points);
const idOf = (p: { key: string; step: number; timestamp: string }) => `${p.key}@${p.step}@${p.timestamp}`;

/** A run with one point at step 0, so a sinceStep subscription shows it is live by replaying it. */
async function runWithMarker() {
  const { client } = server();
  const project = await newProject(client, 'live');
  const run = await newRun(client, project);
  await logPoints(client, run.id, [{ key: 'marker', value: 0, step: 0 }]);
  return { project, run };
}

describe('metricLogged over graphql-ws', () => {
  it('delivers committed points in order and never a rolled-back batch', async () => {
    const { client } = server();
    const { run } = await runWithMarker();
    await logPoints(client, run.id, [], { params: [{ key: 'lr', value: '0.1' }] });
    const sub = subscribeWs(newWsClient(), MetricLoggedDocument, { runId: run.id, sinceStep: 0 });
    await sub.until((r) => pointsOf(r).some((p) => p.key === 'marker'));
    expect(batches(sub.results)[0]!.replay).toBe(true);

    for (let step = 1; step <= 20; step += 1) {
      await logPoints(client, run.id, [
        { key: 'loss', value: 1 / step, step },
        { key: 'acc', value: step / 20, step },
      ]);
      if (step === 10) {
        // Fails on the param CONFLICT after its points were inserted: the transaction rolls back.
        const failed = await client.error(LogBatchDocument, {
          input: { runId: run.id, params: [{ key: 'lr', value: '0.2' }], metrics: [{ key: 'loss', value: 99, step: 999 }] },
        });
        expect(failed.extensions?.code).toBe('CONFLICT');
      }
    }
    await logPoints(client, run.id, [{ key: 'loss', value: 0, step: 1000 }]);
    await sub.until((r) => pointsOf(r).some((p) => p.step === 1000));
    sub.stop();

    const live = batches(sub.results).filter((b) => !b.replay);
    expect(live.every((b) => b.committedAt !== null && !b.dropped)).toBe(true);
    const steps = live.flatMap((b) => b.points.map((p) => p.step));
    expect(steps).toEqual([...[...Array(20).keys()].flatMap((i) => [i + 1, i + 1]), 1000]);
    expect(pointsOf(sub.results).some((p) => p.step === 999)).toBe(false);
    expect(live.at(-1)!.resumeFromStep).toBe(1000);
  });

  it('replays from sinceStep then continues live with no gap and no duplicate while a writer keeps logging', async () => {
    const { client } = server();
    const project = await newProject(client, 'live');
    const run = await newRun(client, project);
    const logged: string[] = [];
    const writer = (async () => {
      const t0 = Date.parse('2026-01-01T00:00:00Z');
      for (let step = 0; step < 150; step += 1) {
        const metrics = ['loss', 'acc', 'lr'].map((key, i) => ({ key, value: step * 3 + i, step, timestamp: new Date(t0 + step * 1000).toISOString() }));
        await logPoints(client, run.id, metrics);
        for (const m of metrics) logged.push(idOf({ key: m.key, step: m.step, timestamp: m.timestamp }));
      }
    })();
    await eventually(() => logged.length >= 150, 'the writer logged its first 50 steps');
    // Subscribes while the writer runs: the seam falls somewhere in its stream of batches.
    const full = subscribeWs(newWsClient(), MetricLoggedDocument, { runId: run.id, sinceStep: 0 });
    const partial = subscribeWs(newWsClient(), MetricLoggedDocument, { runId: run.id, sinceStep: 100, keys: ['loss'] });
    await writer;
    await full.until((r) => pointsOf(r).length >= logged.length);
    await partial.until((r) => pointsOf(r).some((p) => p.step === 149));
    // One more batch after everything: anything duplicated would have arrived before it.
    await logPoints(client, run.id, [{ key: 'loss', value: 0, step: 150 }]);
    await full.until((r) => pointsOf(r).some((p) => p.step === 150));
    await partial.until((r) => pointsOf(r).some((p) => p.step === 150));
    full.stop();
    partial.stop();

    const got = pointsOf(full.results)
      .filter((p) => p.step < 150)
      .map(idOf);
    expect(new Set(got).size).toBe(got.length); // no duplicate
    expect([...got].sort()).toEqual([...logged].sort()); // no gap
    expect(batches(full.results).some((b) => b.replay)).toBe(true);

    const partialPoints = pointsOf(partial.results).filter((p) => p.step < 150);
    expect(partialPoints.map((p) => p.step)).toEqual([...Array(50).keys()].map((i) => i + 100));
    expect(partialPoints.every((p) => p.key === 'loss')).toBe(true);
  });

  it('rejects bad subscriptions with clear errors', async () => {
    const { run } = await runWithMarker();
    const c = newWsClient();
    const tooMany = subscribeWs(c, MetricLoggedDocument, { runId: run.id, keys: ['a', 'b', 'c', 'd', 'e', 'f'] });
    await tooMany.done;
    expect(tooMany.results[0]?.errors?.[0]?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'maxKeysPerSubscription' });

    const badKey = subscribeWs(c, MetricLoggedDocument, { runId: run.id, keys: ['no;way'] });
    await badKey.done;
    expect(badKey.results[0]?.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'keys[0]' } });

    const missing = subscribeWs(c, MetricLoggedDocument, { runId: Buffer.from('Run:99999999').toString('base64') });
    await missing.done;
    expect(missing.results[0]?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const noProject = subscribeWs(c, RunUpdatedDocument, { project: 'no-such-project-anywhere' });
    await noProject.done;
    expect(noProject.results[0]?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('limits subscriptions per connection and frees everything when the connection closes', async () => {
    const { app } = server();
    const { run } = await runWithMarker();
    const before = app.services.live.stats();
    const c = newWsClient();
    const subs = [1, 2, 3].map(() => subscribeWs(c, MetricLoggedDocument, { runId: run.id, sinceStep: 0 }));
    await Promise.all(subs.map((s) => s.until((r) => r.length > 0)));
    const fourth = subscribeWs(c, MetricLoggedDocument, { runId: run.id });
    await expect(fourth.done).rejects.toBeDefined();
    expect(fourth.results[0]?.errors?.[0]).toMatchObject({ extensions: { code: 'LIMIT_EXCEEDED', limit: 'maxSubscriptionsPerConnection', max: 3 } });
    expect(app.services.live.stats().subscriptions).toBe(before.subscriptions + 3);

    await c.dispose();
    await eventually(() => {
      const now = app.services.live.stats();
      return now.subscriptions === before.subscriptions && now.pubsubHandlers === before.pubsubHandlers;
    }, 'the closed connection released its subscriptions');
  });

  it('keeps a stalled consumer within the queue bound and tells it where to resume', { timeout: 180_000 }, async () => {
    const { app, url, client } = server();
    const { run } = await runWithMarker();
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    const messages: { type: string; payload?: { data?: MetricLoggedSubscription } }[] = [];
    const arrived = () => new Promise<void>((resolve) => ws.once('message', () => resolve()));
    ws.on('message', (raw) => messages.push(JSON.parse(String(raw))));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'connection_init' }));
    await arrived();
    ws.send(JSON.stringify({ type: 'subscribe', id: '1', payload: { query: print(MetricLoggedDocument), variables: { runId: run.id, sinceStep: 0 } } }));
    await arrived(); // the replayed marker: the subscription is live
    // Stop reading: the kernel buffers fill, the server's sends stop completing.
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();

    const baseline = process.memoryUsage().heapUsed;
    const open = app.services.live.stats().subscriptions;
    let maxPending = 0;
    let maxHeapGrowth = 0;
    let logged = 0;
    // Log until the server gives up on this consumer (the kernel's socket buffers absorb the
    // first megabytes), then a few batches more: its memory must stay flat all along.
    let after = 0;
    for (let b = 0; after < 3 && b < 60; b += 1) {
      const metrics = Array.from({ length: 10_000 }, (_, i) => ({ key: `m${i % 10}`, value: i, step: 1 + b * 1000 + Math.floor(i / 10) }));
      await logPoints(client, run.id, metrics);
      logged += metrics.length;
      const stats = app.services.live.stats();
      maxPending = Math.max(maxPending, stats.pendingPoints);
      maxHeapGrowth = Math.max(maxHeapGrowth, process.memoryUsage().heapUsed - baseline);
      if (stats.subscriptions < open) after += 1;
    }
    expect(after).toBe(3); // the server dropped the stalled subscription
    // Hundreds of thousands of points were logged; the server never held more than the bound for this consumer.
    expect(logged).toBeGreaterThan(QUEUE_POINTS * 10);
    expect(maxPending).toBeLessThanOrEqual(QUEUE_POINTS);
    expect(maxHeapGrowth).toBeLessThan(128 * 1024 * 1024);

    (ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await eventually(() => messages.some((m) => m.type === 'complete'), 'the dropped subscription completed');
    const last = messages.filter((m) => m.type === 'next').at(-1)!.payload!.data!.metricLogged;
    expect(last.dropped).toBe(true);
    expect(last.points).toEqual([]);
    const delivered = messages.filter((m) => m.type === 'next').flatMap((m) => m.payload!.data!.metricLogged.points);
    const deliveredSteps = new Set(delivered.map((p) => p.step));
    let lowestMissing = 1;
    while (deliveredSteps.has(lowestMissing)) lowestMissing += 1;
    expect(last.resumeFromStep).toBeLessThanOrEqual(lowestMissing);
    ws.close();
    await eventually(() => app.services.live.stats().pendingPoints === 0, 'the closed stream released its queue');
  });
});

describe('runUpdated', () => {
  it('sends the run as stored after each change', async () => {
    const { client } = server();
    const project = await newProject(client, 'live-runs');
    const c = newWsClient();
    const first = await newRun(client, project, { name: 'existing' });
    const sub = subscribeWs(c, RunUpdatedDocument, { project });
    // Creating runs until one shows up proves the subscription is live (no timing involved).
    const probes: string[] = [];
    for (let i = 0; !sub.results.length; i += 1) {
      probes.push((await newRun(client, project, { name: `probe-${i}` })).id);
      await new Promise((r) => setTimeout(r, 10));
    }
    await client.data(SetTagsDocument, { input: { runId: first.id, tags: [{ key: 'stage', value: 'eval' }] } });
    await sub.until((r) => r.some((x) => x.data?.runUpdated.tags.some((t) => t.key === 'stage')));
    await client.data(FinishRunDocument, { input: { runId: first.id, status: 'FAILED' } });
    await sub.until((r) => r.some((x) => x.data?.runUpdated.status === 'FAILED'));
    sub.stop();
    const updates = sub.results.map((r) => r.data!.runUpdated).filter((r) => r.id === first.id);
    expect(updates.at(-1)).toMatchObject({ name: 'existing', status: 'FAILED', tags: [{ key: 'stage', value: 'eval' }] });
  });
});

describe('metricLogged over SSE', () => {
  it('streams replayed and live points as text/event-stream', async () => {
    const { url, client } = server();
    const { run } = await runWithMarker();
    const sse = await subscribeSse(url, MetricLoggedDocument, { runId: run.id, sinceStep: 0 });
    expect(sse.status).toBe(200);
    expect(sse.contentType).toContain('text/event-stream');
    const replayed = await sse.next();
    expect(replayed?.data?.metricLogged).toMatchObject({ replay: true, points: [{ key: 'marker', step: 0 }] });
    await logPoints(client, run.id, [
      { key: 'loss', value: 'NaN', step: 1 },
      { key: 'loss', value: 0.5, step: 2 },
    ]);
    const live = await sse.next();
    expect(live?.data?.metricLogged).toMatchObject({
      replay: false,
      dropped: false,
      points: [
        { key: 'loss', step: 1, value: 'NaN' },
        { key: 'loss', step: 2, value: 0.5 },
      ],
    });
    sse.close();
  });
});

describe('graceful stop', () => {
  it('completes WebSocket and SSE subscriptions, then closes the connections', async () => {
    const own = await startServer();
    const project = await newProject(own.client, 'live-stop');
    const run = await newRun(own.client, project);
    await logPoints(own.client, run.id, [{ key: 'marker', value: 0, step: 0 }]);
    const c = wsClient(own.url);
    const ws = subscribeWs(c, MetricLoggedDocument, { runId: run.id, sinceStep: 0 });
    await ws.until((r) => r.length === 1);
    const sse = await subscribeSse(own.url, MetricLoggedDocument, { runId: run.id, sinceStep: 0 });
    expect(await sse.next()).not.toBeNull();

    await own.app.stop();
    await ws.done; // completed by the server, not cut off
    // Each last batch says where to resume on another replica, then the stream ends cleanly.
    expect(ws.results.at(-1)?.data?.metricLogged).toMatchObject({ dropped: true, resumeFromStep: 0 });
    expect((await sse.next())?.data?.metricLogged).toMatchObject({ dropped: true, resumeFromStep: 0 });
    expect(await sse.next()).toBeNull();
    expect(own.app.services.live.stats().subscriptions).toBe(0);
    await c.dispose();
  });
});
