// Access is checked for as long as a subscription runs, not only when it starts: revoking a
// project role or an API token, or a token expiring, ends open metricLogged and runUpdated
// subscriptions (graphql-ws and SSE) with an authorization error, on every replica.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogBatchDocument, MetricLoggedDocument, RunUpdatedDocument, UpdateRunDocument } from '../generated/graphql.js';
import type { GraphQLClient } from '../support/client.js';
import { newRun } from '../support/factories.js';
import { subscribeSse, subscribeWs, wsClient } from '../support/live.js';
import { startServer, type TestServer, testConfig, uniqueName } from '../support/server.js';

const redisUrl = process.env.TEST_REDIS_URL;
// Generous: the issue asks for "within a second"; this only bounds a stall.
const DEADLINE_MS = 10_000;

interface Fixture {
  owner: GraphQLClient;
  project: string;
  runId: string;
}

async function fixture(server: TestServer): Promise<Fixture> {
  const { auth } = server.app.services;
  const owner = server.withToken((await auth.createToken({ user: uniqueName('owner') })).secret);
  const project = uniqueName('revoke');
  await owner.data('mutation($n: String!) { createProject(input: {name: $n}) { created } }', { n: project });
  return { owner, project, runId: (await newRun(owner, project)).id };
}

async function grantViewer(f: Fixture, user: string) {
  await f.owner.data('mutation($p: String!, $u: String!) { grantProjectRole(input: {project: $p, user: $u, role: VIEWER}) { __typename } }', {
    p: f.project,
    u: user,
  });
}

/** Opens metricLogged and runUpdated over graphql-ws and SSE on `server`, and waits until each has delivered an event. */
async function openSubscriptions(server: TestServer, writer: TestServer, f: Fixture, secret: string) {
  const headers = { authorization: `Bearer ${secret}` };
  const ws = wsClient(server.url, headers);
  const wsMetrics = subscribeWs(ws, MetricLoggedDocument, { runId: f.runId });
  const wsRuns = subscribeWs(ws, RunUpdatedDocument, { project: f.project });
  const sseMetrics = await subscribeSse(server.url, MetricLoggedDocument, { runId: f.runId }, headers);
  const sseRuns = await subscribeSse(server.url, RunUpdatedDocument, { project: f.project }, headers);
  expect([sseMetrics.status, sseRuns.status]).toEqual([200, 200]);
  // Live on both transports: an event reaches every subscription before anything is revoked.
  const owner = writer.withToken(f.owner.headers.authorization!.slice(7));
  const firstSse = Promise.all([sseMetrics.next(), sseRuns.next()]);
  for (let step = 0; ; step += 1) {
    await owner.data(LogBatchDocument, { input: { runId: f.runId, metrics: [{ key: 'loss', value: 1, step }] } });
    await owner.data(UpdateRunDocument, { input: { runId: f.runId, notes: `n${step}` } });
    if (wsMetrics.results.length && wsRuns.results.length) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const [m, r] = await firstSse;
  expect(m?.data).toBeTruthy();
  expect(r?.data).toBeTruthy();
  return { ws, wsMetrics, wsRuns, sseMetrics, sseRuns };
}

type Opened = Awaited<ReturnType<typeof openSubscriptions>>;

/** Every subscription ends with `code` as its last event, and nothing after it. */
async function expectEnded(opened: Opened, code: string) {
  const deadline = <T>(p: Promise<T>, what: string) =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} still open after ${DEADLINE_MS} ms`)), DEADLINE_MS))]);
  for (const [name, sub] of [
    ['graphql-ws metricLogged', opened.wsMetrics],
    ['graphql-ws runUpdated', opened.wsRuns],
  ] as const) {
    await deadline(
      sub.done.catch(() => {}),
      name,
    );
    expect(sub.results.at(-1)?.errors?.[0]?.extensions?.code, `${name}: ${JSON.stringify(sub.results.at(-1))}`).toBe(code);
  }
  for (const [name, sse] of [
    ['SSE metricLogged', opened.sseMetrics],
    ['SSE runUpdated', opened.sseRuns],
  ] as const) {
    let last: { errors?: unknown[] } | null = null;
    for (;;) {
      const event = await deadline<{ errors?: unknown[] } | null>(sse.next(), name);
      if (!event) break;
      last = event;
    }
    expect((last?.errors?.[0] as { extensions?: { code?: string } } | undefined)?.extensions?.code, `${name}: ${JSON.stringify(last)}`).toBe(code);
  }
  await opened.ws.dispose();
}

function suite(name: string, servers: () => { reader: TestServer; writer: TestServer }) {
  describe(name, () => {
    it("revokeProjectRole ends the user's subscriptions with FORBIDDEN", async () => {
      const { reader, writer } = servers();
      const f = await fixture(writer);
      const user = uniqueName('viewer');
      const secret = (await writer.app.services.auth.createToken({ user })).secret;
      await grantViewer(f, user);
      const opened = await openSubscriptions(reader, writer, f, secret);
      await f.owner.data('mutation($p: String!, $u: String!) { revokeProjectRole(input: {project: $p, user: $u}) { __typename } }', { p: f.project, u: user });
      await expectEnded(opened, 'FORBIDDEN');
    });

    it("revokeApiToken ends the token's subscriptions with UNAUTHENTICATED", async () => {
      const { reader, writer } = servers();
      const f = await fixture(writer);
      const user = uniqueName('viewer');
      const { secret, token } = await writer.app.services.auth.createToken({ user });
      await grantViewer(f, user);
      const opened = await openSubscriptions(reader, writer, f, secret);
      const tokenId = Buffer.from(`ApiToken:${token.id}`).toString('base64');
      await writer.withToken(secret).data('mutation($i: RevokeApiTokenInput!) { revokeApiToken(input: $i) { token { revokedAt } } }', { i: { tokenId } });
      await expectEnded(opened, 'UNAUTHENTICATED');
    });
  });
}

describe('one server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(testConfig({ RUNLEDGER_AUTH: 'on' }));
  });
  afterAll(async () => {
    await server?.app.stop();
  });
  suite('revocation', () => ({ reader: server, writer: server }));

  it('a token that expires while subscribed ends its subscriptions with UNAUTHENTICATED', async () => {
    const f = await fixture(server);
    const user = uniqueName('viewer');
    await grantViewer(f, user);
    const { secret } = await server.app.services.auth.createToken({ user, expiresAt: new Date(Date.now() + 4000) });
    const opened = await openSubscriptions(server, server, f, secret);
    await expectEnded(opened, 'UNAUTHENTICATED');
  });
});

// Two replicas share PostgreSQL and Redis: the revocation goes through one, the subscriber
// is on the other.
describe.runIf(redisUrl && process.env.TEST_DATABASE_URL)('two replicas sharing Redis', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    const prefix = uniqueName('rl-revoke');
    a = await startServer(testConfig({ RUNLEDGER_AUTH: 'on', REDIS_URL: redisUrl!, RUNLEDGER_PUBSUB_PREFIX: prefix }));
    b = await startServer(testConfig({ RUNLEDGER_AUTH: 'on', REDIS_URL: redisUrl!, RUNLEDGER_PUBSUB_PREFIX: prefix }));
  });
  afterAll(async () => {
    await a?.app.stop();
    await b?.app.stop();
  });
  suite('revocation across replicas', () => ({ reader: b, writer: a }));
});
