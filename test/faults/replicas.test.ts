// Two runledger processes on different ports sharing one PostgreSQL, Redis, S3 store (and Neo4j
// when NEO4J_URI is set), as N replicas behind a load balancer are. Started together on a fresh
// database, they apply each migration once. A run started and logged through replica A is read,
// searched, streamed live (metricLogged subscribed on B over graphql-ws) and its artifact
// downloaded through B; an alias moved on A is seen on B at once; MLflow REST calls alternate
// replicas. Then A is killed with SIGKILL in the middle of ingest while writers retry on B:
// every acknowledged point is stored exactly once.
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricLoggedDocument } from '../generated/graphql.js';
import { decodeId } from '../../src/ids.js';
import { mlflowRunId } from '../../src/modules/runs/mlflow-id.js';
import { putArtifact, sha256 } from '../support/artifacts.js';
import { GraphQLClient } from '../support/client.js';
import { freshDatabaseUrl } from '../support/fresh-database.js';
import { subscribeWs, wsClient } from '../support/live.js';
import { type ServerProcess, startProcess } from '../support/process.js';
import { prefixOf, removePrefix, s3Client, s3ServerEnv, s3SkipReason, testS3 } from '../support/s3.js';
import { neo4jTestEnv, uniqueName } from '../support/server.js';

const unavailable = !process.env.TEST_DATABASE_URL
  ? 'TEST_DATABASE_URL is not set (replicas need a PostgreSQL server to share)'
  : !process.env.TEST_REDIS_URL
    ? 'TEST_REDIS_URL is not set (replicas fan live updates out through Redis)'
    : s3SkipReason;
if (unavailable) console.warn(`two-replica test not run: ${unavailable}`);

const BLOCK = 'two runledger replicas on shared PostgreSQL, Redis, S3 and Neo4j';

describe.skipIf(unavailable !== null)(BLOCK, () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let dropDatabase = async () => {};
  let databaseUrl: string;
  let s3Prefix = '';
  const gql = (p: ServerProcess) => new GraphQLClient(`${p.url}/graphql`);

  beforeAll(async () => {
    const fresh = await freshDatabaseUrl();
    databaseUrl = fresh.url!;
    dropDatabase = fresh.drop;
    const s3Env = s3ServerEnv(testS3()!, 'replicas', { RUNLEDGER_ARTIFACT_DIRECT: 'on' });
    s3Prefix = prefixOf(s3Env);
    const env = {
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: '5',
      REDIS_URL: process.env.TEST_REDIS_URL!,
      RUNLEDGER_PUBSUB_PREFIX: uniqueName('replicas'),
      ...s3Env,
      ...(neo4jTestEnv('replicas') ?? {}),
    };
    // Started together on an empty database: both race for the migrations.
    [a, b] = await Promise.all([startProcess(env, { logLevel: 'info' }), startProcess(env, { logLevel: 'info' })]);
  }, 300_000);

  afterAll(async () => {
    for (const p of [a, b]) if (p && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await Promise.all([a?.exited, b?.exited]);
    await dropDatabase();
    if (s3Prefix) await removePrefix(s3Client(testS3()!), testS3()!.bucket, s3Prefix);
  });

  it('applies every migration exactly once when both start at the same moment', async () => {
    const expected = readdirSync(path.resolve(import.meta.dirname, '../../prisma/migrations'), { withFileTypes: true }).filter((d) => d.isDirectory()).length;
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ migration_name: string; n: number; finished: number }>(
        'SELECT migration_name, count(*)::int AS n, count(finished_at)::int AS finished FROM _prisma_migrations GROUP BY migration_name',
      );
      expect(rows.length).toBe(expected);
      expect(rows.every((r) => r.n === 1 && r.finished === 1)).toBe(true);
    } finally {
      await client.end();
    }
    // One of the two applied them; the other found nothing left to apply.
    const appliedBy = [a, b].filter((p) => p.output().includes('"applied migrations"'));
    expect(appliedBy.length).toBe(1);
    // Both ready, each with every shared dependency answering (Redis subscribed, Neo4j caught up).
    for (const p of [a, b]) {
      let ready: any;
      for (let i = 0; i < 120; i += 1) {
        ready = await (await fetch(`${p.url}/readyz`)).json();
        if (ready.status === 'ok') break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(ready).toMatchObject({ status: 'ok', database: 'postgres', artifactStore: 's3', dependencies: { redis: 'ok', artifactStore: 'ok' } });
    }
  });

  it('serves on B what was written through A: the run, search, live points, the artifact, and an alias at once', async () => {
    const A = gql(a);
    const B = gql(b);
    const project = uniqueName('replicas');
    await A.data('mutation($i: CreateProjectInput!) { createProject(input: $i) { project { id } } }', { i: { name: project } });
    const run = (await A.data<any, any>('mutation($i: StartRunInput!) { startRun(input: $i) { run { id } } }', { i: { project, name: 'trained-on-a' } }))
      .startRun.run.id as string;

    // Half the points before B subscribes (B replays them from the database), half after: those
    // reach B only through Redis, published by A when its logBatch committed.
    const points = Array.from({ length: 50 }, (_, step) => ({ key: 'loss', step, value: 1 / (step + 1) }));
    const log = (metrics: typeof points, params: { key: string; value: string }[] = []) =>
      A.data('mutation($i: LogBatchInput!) { logBatch(input: $i) { pointsWritten } }', { i: { runId: run, params, metrics } });
    await log(points.slice(0, 25), [{ key: 'lr', value: '0.1' }]);
    const live = subscribeWs(wsClient(b.url), MetricLoggedDocument, { runId: run, keys: ['loss'], sinceStep: 0 });
    const stepsOf = (replay: boolean) =>
      live.results.flatMap((r) => (r.data?.metricLogged.replay === replay ? r.data.metricLogged.points : [])).map((p) => p.step);
    await live.until(() => stepsOf(true).length >= 25, 'B replays the 25 points logged on A before it subscribed');
    await log(points.slice(25));
    await live.until(() => stepsOf(false).length >= 25, 'B receives live the 25 points logged on A after it subscribed');
    expect(stepsOf(true)).toEqual(points.slice(0, 25).map((p) => p.step));
    expect(stepsOf(false)).toEqual(points.slice(25).map((p) => p.step));
    live.stop();

    const read = await B.data<any, any>('query($id: ID!) { run(id: $id) { name params { key value } } }', { id: run });
    expect(read.run).toEqual({ name: 'trained-on-a', params: [{ key: 'lr', value: '0.1' }] });
    const found = await B.data<any, any>('query($p: String!, $f: String) { runs(project: $p, filter: $f) { totalCount edges { node { id } } } }', {
      p: project,
      f: "params.lr = '0.1' and metrics.loss < 0.5",
    });
    expect(found.runs.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([run]);

    const bytes = randomBytes(3 * 1024 * 1024);
    const put = await putArtifact(a.url, run, bytes, { name: 'model.bin', kind: 'MODEL', sha256: sha256(bytes) });
    expect(put.status).toBe(201);
    const viaB = await fetch(`${b.url}${put.body.artifact!.downloadUrl}`);
    expect(sha256(Buffer.from(await viaB.arrayBuffer()))).toBe(sha256(bytes));
    const direct = await B.data<any, any>('query($id: ID!) { node(id: $id) { ... on Artifact { directDownloadUrl } } }', { id: put.body.artifact!.id });
    expect(sha256(Buffer.from(await (await fetch(direct.node.directDownloadUrl)).arrayBuffer()))).toBe(sha256(bytes));

    // The registry: versions made on A, the alias moved on A, read on B right after each move.
    const model = uniqueName('model');
    const second = await putArtifact(a.url, run, 'other weights', { name: 'model-2.bin', kind: 'MODEL' });
    for (const artifact of [put.body.artifact!, second.body.artifact!]) {
      await A.data('mutation($i: CreateModelVersionInput!) { createModelVersion(input: $i) { modelVersion { version } } }', {
        i: { model, artifactId: artifact.id },
      });
    }
    for (const version of [1, 2, 1]) {
      await A.data('mutation($i: SetModelAliasInput!) { setModelAlias(input: $i) { __typename } }', { i: { model, alias: 'production', version } });
      const seen = await B.data<any, any>('query($m: String!) { registeredModel(name: $m) { alias(name: "production") { version } } }', { m: model });
      expect(seen.registeredModel.alias.version).toBe(version);
    }

    // MLflow clients behind a load balancer: consecutive calls land on alternate replicas.
    const mlflowRun = mlflowRunId(decodeId('Run', run, 'id'));
    const replicas = [a, b, a, b];
    for (const [i, p] of replicas.entries()) {
      const r = await fetch(`${p.url}/api/2.0/mlflow/runs/log-metric`, {
        method: 'POST',
        body: JSON.stringify({ run_id: mlflowRun, key: 'acc', value: i / 10, timestamp: 1_700_000_000_000 + i, step: i }),
      });
      expect(r.status).toBe(200);
    }
    const history = await (await fetch(`${b.url}/api/2.0/mlflow/metrics/get-history?run_id=${mlflowRun}&metric_key=acc`)).json();
    expect((history as { metrics: { step: number }[] }).metrics.map((m) => m.step)).toEqual([0, 1, 2, 3]);
  });

  it('stores every acknowledged point exactly once when A is killed -9 mid-ingest and writers retry on B', async () => {
    const B = gql(b);
    const project = uniqueName('kill9');
    await B.data('mutation($i: CreateProjectInput!) { createProject(input: $i) { project { id } } }', { i: { name: project } });
    const WRITERS = 3;
    const BATCHES = 40;
    const POINTS = 50;
    const runs: string[] = [];
    for (let w = 0; w < WRITERS; w += 1) {
      runs.push((await B.data<any, any>('mutation($i: StartRunInput!) { startRun(input: $i) { run { id } } }', { i: { project } })).startRun.run.id);
    }
    let acknowledged = 0;
    let retried = 0;
    let killed = false;
    const killA = () => {
      if (killed) return;
      killed = true;
      a.child.kill('SIGKILL');
    };
    const writer = async (w: number) => {
      for (let batch = 0; batch < BATCHES; batch += 1) {
        const input = {
          runId: runs[w],
          batchId: `w${w}-b${batch}`,
          metrics: Array.from({ length: POINTS }, (_, i) => ({ key: 'loss', step: batch * POINTS + i, value: batch + i / POINTS })),
        };
        for (let attempt = 0; ; attempt += 1) {
          const target = killed || attempt > 0 ? b : batch % 2 ? b : a;
          try {
            const request = fetch(`${target.url}/graphql`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ query: 'mutation($i: LogBatchInput!) { logBatch(input: $i) { pointsWritten replayed } }', variables: { i: input } }),
            });
            // A dies with this request on its way (and the other writers' batches in flight):
            // its answer never comes, whether or not A committed it, so the writer must retry on B.
            if (w === 0 && batch === 12 && attempt === 0) killA();
            const res = await request;
            const body = (await res.json()) as { data?: { logBatch: { pointsWritten: number; replayed: boolean } }; errors?: unknown[] };
            if (res.status !== 200 || body.errors) throw new Error(`${res.status} ${JSON.stringify(body.errors)}`);
            acknowledged += POINTS;
            break;
          } catch (error) {
            if (attempt > 20) throw error;
            retried += 1;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    expect(killed).toBe(true);
    expect(retried).toBeGreaterThan(0); // some requests were in flight on A, or sent to it after it died
    expect(await a.exited).toBeNull(); // killed by a signal, not an exit
    expect(acknowledged).toBe(WRITERS * BATCHES * POINTS);
    for (const runId of runs) {
      const history = await B.data<any, any>('query($id: ID!) { run(id: $id) { metricHistory(key: "loss", maxPoints: 10000) { totalPoints steps } } }', {
        id: runId,
      });
      const steps: number[] = history.run.metricHistory.steps;
      expect(history.run.metricHistory.totalPoints).toBe(BATCHES * POINTS);
      expect(new Set(steps).size).toBe(BATCHES * POINTS);
    }
    console.log(`kill -9 mid-ingest: ${acknowledged} points acknowledged, ${retried} requests retried on B, each point stored once`);
  });
});
