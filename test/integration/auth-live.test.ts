// Subscriptions enforce the same rules as queries: a token is needed to connect (in
// connectionParams over graphql-ws, in the Authorization header over SSE), and nobody can
// watch a run or project they have no role in.
import { beforeAll, describe, expect, it } from 'vitest';
import { CreateProjectDocument, LogBatchDocument, MetricLoggedDocument, RunUpdatedDocument } from '../generated/graphql.js';
import type { GraphQLClient } from '../support/client.js';
import { newRun } from '../support/factories.js';
import { subscribeSse, subscribeWs, wsClient } from '../support/live.js';
import { testConfig, uniqueName, useServer } from '../support/server.js';

const server = useServer(() => testConfig({ RUNLEDGER_AUTH: 'on' }));

let ana: GraphQLClient;
let anaToken: string;
let bobToken: string;
let project: string;
let runId: string;

beforeAll(async () => {
  const { auth } = server().app.services;
  anaToken = (await auth.createToken({ user: uniqueName('ana') })).secret;
  bobToken = (await auth.createToken({ user: uniqueName('bob') })).secret;
  ana = server().withToken(anaToken);
  project = uniqueName('live-auth');
  await ana.data(CreateProjectDocument, { input: { name: project } });
  runId = (await newRun(ana, project)).id;
});

describe('subscriptions and authorization', () => {
  it('closes a graphql-ws connection without a valid token', async () => {
    for (const params of [undefined, { authorization: 'Bearer rl_unknown' }]) {
      const client = wsClient(server().url, params);
      const sub = subscribeWs(client, MetricLoggedDocument, { runId });
      await expect(sub.done).rejects.toMatchObject({ code: 4403 });
      await client.dispose();
    }
  });

  it('hides runs and projects of others from graphql-ws subscribers', async () => {
    const client = wsClient(server().url, { authorization: `Bearer ${bobToken}` });
    try {
      for (const sub of [subscribeWs(client, MetricLoggedDocument, { runId }), subscribeWs(client, RunUpdatedDocument, { project })]) {
        await sub.done.catch(() => {});
        expect(sub.results.flatMap((r) => r.errors ?? []).map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
      }
    } finally {
      await client.dispose();
    }
  });

  it('streams to a subscriber with a role, authenticated through connectionParams', async () => {
    const client = wsClient(server().url, { authorization: `Bearer ${anaToken}` });
    try {
      const sub = subscribeWs(client, MetricLoggedDocument, { runId, sinceStep: 0 });
      await ana.data(LogBatchDocument, { input: { runId, metrics: [{ key: 'loss', value: 0.5, step: 1 }] } });
      await sub.until((results) => results.some((r) => r.data?.metricLogged.points.some((p) => p.step === 1)));
      sub.stop();
    } finally {
      await client.dispose();
    }
  });

  it('applies the same rules over SSE', async () => {
    const anonymous = await subscribeSse(server().url, MetricLoggedDocument, { runId });
    expect(anonymous.status).toBe(401);
    anonymous.close();
    const bob = await subscribeSse(server().url, MetricLoggedDocument, { runId }, { authorization: `Bearer ${bobToken}` });
    const first = await bob.next();
    expect((first?.errors as { extensions: { code: string } }[] | undefined)?.[0]?.extensions.code).toBe('NOT_FOUND');
    bob.close();
  });
});
