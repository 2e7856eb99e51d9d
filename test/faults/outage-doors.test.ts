// An outage looks the same at every door: with PostgreSQL stopped, GraphQL, MLflow (under both
// prefixes and its artifact proxy), OpenLineage, the artifact routes and /healthz answer 503
// with Retry-After and their protocol's "unavailable" code (MLflow: TEMPORARILY_UNAVAILABLE),
// so every client knows to retry; with authentication on too, where the token lookup itself
// fails. Afterwards every door serves again without a restart. Runs against a cluster of its
// own (initdb in a temp dir on a spare port).
import { randomUUID } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_URL } from '../support/openlineage.js';
import { clusterUnavailableReason, type PgCluster, startCluster } from '../support/pg-cluster.js';
import { startServer, testConfig, type TestServer } from '../support/server.js';
import { tokenFor } from '../support/users.js';

const unavailable = clusterUnavailableReason();
if (unavailable) console.warn(`outage-doors fault test not run: ${unavailable}`);

interface Door {
  name: string;
  method: string;
  path: string;
  body?: string;
  /** The code the door's error body carries. */
  code: (body: any) => unknown;
}

const graphqlCode = (body: any) => body.errors?.[0]?.extensions?.code;
const mlflowCode = (body: any) => body.error_code;

function doors(ids: { experiment: string; run: string; runGlobalId: string; artifactId: string }): Door[] {
  const event = JSON.stringify({
    eventType: 'START',
    eventTime: '2026-01-01T00:00:00Z',
    producer: 'https://github.com/runledger/tests',
    schemaURL: SCHEMA_URL,
    run: { runId: randomUUID() },
    job: { namespace: 'outage', name: 'job' },
  });
  return [
    { name: 'GraphQL query', method: 'POST', path: '/graphql', body: JSON.stringify({ query: '{ projects { edges { node { name } } } }' }), code: graphqlCode },
    {
      name: 'GraphQL mutation',
      method: 'POST',
      path: '/graphql',
      body: JSON.stringify({ query: 'mutation { createProject(input: { name: "x" }) { created } }' }),
      code: graphqlCode,
    },
    { name: 'MLflow search', method: 'POST', path: '/api/2.0/mlflow/experiments/search', body: '{}', code: mlflowCode },
    { name: 'MLflow write', method: 'POST', path: '/api/2.0/mlflow/runs/create', body: JSON.stringify({ experiment_id: ids.experiment }), code: mlflowCode },
    { name: 'MLflow ajax', method: 'GET', path: `/ajax-api/2.0/mlflow/runs/get?run_id=${ids.run}`, code: mlflowCode },
    { name: 'MLflow artifacts', method: 'GET', path: `/api/2.0/mlflow-artifacts/artifacts/${ids.experiment}/${ids.run}/artifacts/a.txt`, code: mlflowCode },
    { name: 'OpenLineage', method: 'POST', path: '/api/v1/lineage', body: event, code: graphqlCode },
    { name: 'artifact download', method: 'GET', path: `/artifacts/${encodeURIComponent(ids.artifactId)}`, code: graphqlCode },
    { name: 'artifact upload', method: 'PUT', path: `/artifacts/runs/${encodeURIComponent(ids.runGlobalId)}?name=b.txt`, body: 'bytes', code: graphqlCode },
  ];
}

async function send(base: string, door: Door, token?: string) {
  const res = await fetch(`${base}${door.path}`, {
    method: door.method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: door.body,
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, retryAfter: res.headers.get('retry-after'), text, json };
}

describe.runIf(!unavailable)('a PostgreSQL outage, at every door', () => {
  let cluster: PgCluster;
  let local: TestServer;
  let secured: TestServer;
  let token: string;
  let ids: Parameters<typeof doors>[0];

  beforeAll(async () => {
    cluster = await startCluster();
    const database = { kind: 'postgres' as const, url: cluster.url, poolSize: 4 };
    local = await startServer({ ...testConfig(), database });
    secured = await startServer({ ...testConfig({ RUNLEDGER_AUTH: 'on' }), database });
    token = await tokenFor(secured, 'outage-admin', true);
    const api = (path: string, body: unknown) =>
      fetch(`${local.url}/api/2.0/mlflow/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
        (r) => r.json() as Promise<any>,
      );
    const experiment = (await api('experiments/create', { name: 'outage' })).experiment_id as string;
    const run = (await api('runs/create', { experiment_id: experiment })).run.info.run_id as string;
    const runGlobalId = encodeGlobalID('Run', Number.parseInt(run, 16));
    await fetch(`${local.url}/api/2.0/mlflow-artifacts/artifacts/${experiment}/${run}/artifacts/a.txt`, { method: 'PUT', body: 'hello' });
    const upload = (await (
      await fetch(`${local.url}/artifacts/runs/${encodeURIComponent(runGlobalId)}?name=c.txt`, { method: 'PUT', body: 'c' })
    ).json()) as any;
    ids = { experiment, run, runGlobalId, artifactId: upload.artifact.id };
  }, 120_000);

  afterAll(async () => {
    await local?.app.stop().catch(() => {});
    await secured?.app.stop().catch(() => {});
    await cluster?.destroy();
  });

  it('answers 503 with Retry-After and the unavailable code, then serves again', async () => {
    await cluster.stop('fast');
    try {
      for (const [server, bearer] of [
        [local, undefined],
        [secured, token],
      ] as const) {
        for (const door of doors(ids)) {
          const reply = await send(server.url, door, bearer);
          const what = `${door.name}${bearer ? ' (token)' : ''}: ${reply.text.slice(0, 300)}`;
          expect(reply.status, what).toBe(503);
          expect(Number(reply.retryAfter), what).toBeGreaterThan(0);
          expect(door.code(reply.json), what).toBe(door.code === mlflowCode ? 'TEMPORARILY_UNAVAILABLE' : 'UNAVAILABLE');
        }
        const health = await fetch(`${server.url}/healthz`);
        expect(health.status).toBe(503);
        expect(Number(health.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    } finally {
      await cluster.start();
    }
    // No restart of the app: the pool reconnects, and every door answers again.
    await expect.poll(async () => (await fetch(`${local.url}/healthz`)).status, { timeout: 20_000 }).toBe(200);
    for (const door of doors(ids).filter((d) => d.method === 'GET' || d.name === 'MLflow search')) {
      const reply = await send(local.url, door);
      expect(reply.status, `${door.name} after: ${reply.text.slice(0, 300)}`).toBe(200);
    }
    expect(local.loggedErrors).toEqual([]);
  }, 120_000);
});
