// Authentication and authorization over real HTTP, with two users and two projects on a
// server that requires tokens: every entry point hides what a user has no role in
// (NOT_FOUND) and refuses writes a role does not allow (FORBIDDEN).
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ApiTokensDocument,
  AuditEventsDocument,
  CompareRunsDocument,
  CreateApiTokenDocument,
  CreateProjectDocument,
  DeleteRunDocument,
  FinishRunDocument,
  GetRunDocument,
  GrantProjectRoleDocument,
  LogBatchDocument,
  NodeDocument,
  ParamValuesDocument,
  ProjectByNameDocument,
  ProjectsDocument,
  RestoreRunDocument,
  RevokeApiTokenDocument,
  RevokeProjectRoleDocument,
  RunGroupsDocument,
  RunProjectDocument,
  SearchRunsDocument,
  SetTagsDocument,
  StartRunDocument,
  UpdateRunDocument,
  ViewerDocument,
} from '../generated/graphql.js';
import type { GraphQLClient } from '../support/client.js';
import { seededRun } from '../support/factories.js';
import { testConfig, uniqueName, useServer } from '../support/server.js';
import { signInUsers, tokenFor } from '../support/users.js';

const server = useServer(() => testConfig({ RUNLEDGER_AUTH: 'on' }));

let admin: GraphQLClient;
let ana: GraphQLClient;
let bob: GraphQLClient;
let anaName: string;
let bobName: string;
let anaSecret: string;
let projectA: string;
let projectB: string;
let runA: { id: string };
let runB: { id: string };

beforeAll(async () => {
  const users = await signInUsers(server());
  admin = users.admin.client;
  ({ client: ana, name: anaName, secret: anaSecret } = users.ana);
  ({ client: bob, name: bobName } = users.bob);
  projectA = uniqueName('proj-ana');
  projectB = uniqueName('proj-bob');
  await ana.data(CreateProjectDocument, { input: { name: projectA } });
  await bob.data(CreateProjectDocument, { input: { name: projectB } });
  runA = await seededRun(ana, projectA, { name: 'a1', params: { lr: '0.1' }, metrics: { auc: 0.9 }, tags: { team: 'a' } });
  runB = await seededRun(bob, projectB, { name: 'b1', params: { lr: '0.2' }, metrics: { auc: 0.8 } });
});

describe('authentication', () => {
  it('refuses a request without a token with 401 UNAUTHENTICATED', async () => {
    const res = await server().client.request(ViewerDocument, {});
    expect(res.status).toBe(401);
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses unknown and malformed tokens', async () => {
    for (const headers of [{ authorization: 'Bearer rl_not-a-real-token' }, { authorization: 'Basic abc' }, { authorization: `Bearer ${'x'.repeat(5000)}` }]) {
      const res = await fetch(`${server().url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ viewer { name } }' }),
      });
      const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
      expect(res.status).toBe(401);
      expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    }
  });

  it('names the token user, whatever x-runledger-user says', async () => {
    const res = await fetch(`${server().url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${anaSecret}`, 'x-runledger-user': bobName },
      body: JSON.stringify({ query: '{ viewer { name authenticated isAdmin } }' }),
    });
    expect(((await res.json()) as { data: unknown }).data).toEqual({ viewer: { name: anaName, authenticated: true, isAdmin: false } });
  });

  it('stores only the sha256 of a token, and shows the secret once', async () => {
    const { createApiToken } = await ana.data(CreateApiTokenDocument, { input: { label: 'laptop' } });
    expect(createApiToken.secret).toMatch(/^rl_[A-Za-z0-9_-]{43}$/);
    const rows = await server().app.db.sql.query<{ token_hash: string }>('SELECT token_hash FROM api_tokens WHERE token_hash = $1 OR token_hash = $2', [
      createHash('sha256').update(createApiToken.secret).digest('hex'),
      createApiToken.secret,
    ]);
    expect(rows).toEqual([{ token_hash: createHash('sha256').update(createApiToken.secret).digest('hex') }]);
    const { apiTokens } = await ana.data(ApiTokensDocument, {});
    expect(apiTokens.map((t) => t.label)).toContain('laptop');
    expect(JSON.stringify(apiTokens)).not.toContain(createApiToken.secret);
  });

  it('refuses a token once revoked, and another user cannot revoke it', async () => {
    const { createApiToken } = await ana.data(CreateApiTokenDocument, { input: { label: 'to revoke' } });
    const mine = server().withToken(createApiToken.secret);
    expect((await mine.data(ViewerDocument, {})).viewer.name).toBe(anaName);
    expect((await bob.error(RevokeApiTokenDocument, { input: { tokenId: createApiToken.token.id } })).extensions?.code).toBe('NOT_FOUND');
    const revoked = await ana.data(RevokeApiTokenDocument, { input: { tokenId: createApiToken.token.id } });
    expect(revoked.revokeApiToken.token.revokedAt).not.toBeNull();
    expect((await mine.error(ViewerDocument, {})).extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an expired token', async () => {
    const { createApiToken } = await ana.data(CreateApiTokenDocument, { input: { label: 'short', expiresAt: new Date(Date.now() + 3_600_000).toISOString() } });
    const short = server().withToken(createApiToken.secret);
    expect((await short.data(ViewerDocument, {})).viewer.name).toBe(anaName);
    await server().app.db.sql.query(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [
      createHash('sha256').update(createApiToken.secret).digest('hex'),
    ]);
    expect((await short.error(ViewerDocument, {})).extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('records the last use, but writes it at most once a minute', async () => {
    const secret = await tokenFor(server(), anaName);
    const hash = createHash('sha256').update(secret).digest('hex');
    const lastUsed = async () =>
      (await server().app.db.sql.query<{ t: Date | null }>('SELECT last_used_at AS t FROM api_tokens WHERE token_hash = $1', [hash]))[0]!.t;
    expect(await lastUsed()).toBeNull();
    const client = server().withToken(secret);
    await client.data(ViewerDocument, {});
    const first = await lastUsed();
    expect(first).not.toBeNull();
    await client.data(ViewerDocument, {});
    expect(await lastUsed()).toEqual(first);
    await server().app.db.sql.query(`UPDATE api_tokens SET last_used_at = now() - interval '2 minutes' WHERE token_hash = $1`, [hash]);
    const stale = await lastUsed();
    await client.data(ViewerDocument, {});
    expect((await lastUsed())!.getTime()).toBeGreaterThan(new Date(stale!).getTime());
  });

  it('lets only global admins make tokens for others or make admins', async () => {
    expect((await ana.error(CreateApiTokenDocument, { input: { user: bobName } })).extensions?.code).toBe('FORBIDDEN');
    expect((await ana.error(CreateApiTokenDocument, { input: { admin: true } })).extensions?.code).toBe('FORBIDDEN');
    const made = await admin.data(CreateApiTokenDocument, { input: { user: uniqueName('carol') } });
    expect((await server().withToken(made.createApiToken.secret).data(ViewerDocument, {})).viewer.isAdmin).toBe(false);
  });
});

describe('authorization: nobody sees a project they have no role in', () => {
  it('makes the creator the project admin', async () => {
    expect((await ana.data(ProjectByNameDocument, { name: projectA })).project?.myRole).toBe('ADMIN');
  });

  it('hides the project and its runs through every read', async () => {
    expect((await bob.data(ProjectByNameDocument, { name: projectA })).project).toBeNull();
    const { projects } = await bob.data(ProjectsDocument, { first: 1000 });
    const names = projects.edges.map((e) => e.node.name);
    expect(names).toContain(projectB);
    expect(names).not.toContain(projectA);
    expect((await bob.data(GetRunDocument, { id: runA.id })).run).toBeNull();
    expect((await bob.data(NodeDocument, { id: runA.id })).node).toBeNull();
    const { project } = await ana.data(ProjectByNameDocument, { name: projectA });
    expect((await bob.data(NodeDocument, { id: project!.id })).node).toBeNull();
    for (const [doc, vars] of [
      [SearchRunsDocument, { project: projectA }],
      [SearchRunsDocument, { project: projectA, filter: "params.lr = '0.1'" }],
      [RunGroupsDocument, { project: projectA, groupBy: 'attributes.user' }],
      [ParamValuesDocument, { project: projectA, key: 'lr', metric: 'auc' }],
      [CompareRunsDocument, { ids: [runB.id, runA.id] }],
    ] as const) {
      const error = await bob.error(doc as never, vars as never);
      expect(error.extensions?.code, JSON.stringify(vars)).toBe('NOT_FOUND');
    }
  });

  it('answers NOT_FOUND to writes into an invisible project, and changes nothing', async () => {
    const writes = [
      () => bob.error(StartRunDocument, { input: { project: projectA } }),
      () => bob.error(LogBatchDocument, { input: { runId: runA.id, metrics: [{ key: 'auc', value: 0.1, step: 2 }] } }),
      () => bob.error(SetTagsDocument, { input: { runId: runA.id, tags: [{ key: 'team', value: 'b' }] } }),
      () => bob.error(FinishRunDocument, { input: { runId: runA.id } }),
      () => bob.error(DeleteRunDocument, { input: { runId: runA.id } }),
      () => bob.error(UpdateRunDocument, { input: { runId: runA.id, name: 'hijacked' } }),
      () => bob.error(GrantProjectRoleDocument, { input: { project: projectA, user: bobName, role: 'ADMIN' } }),
    ];
    for (const write of writes) expect((await write()).extensions?.code).toBe('NOT_FOUND');
    const { run } = await ana.data(GetRunDocument, { id: runA.id });
    expect(run).toMatchObject({ name: 'a1', status: 'RUNNING', deletedAt: null });
    expect(run?.tags).toEqual([{ key: 'team', value: 'a' }]);
    expect(run?.metrics.map((m) => m.count)).toEqual([1]);
  });

  it('refuses to hand out an existing project name to someone without a role in it', async () => {
    const refused = await bob.error(CreateProjectDocument, { input: { name: projectA } });
    expect(refused.extensions?.code).toBe('FORBIDDEN');
    expect(refused.message).not.toMatch(/exists/);
  });
});

describe('authorization: roles', () => {
  it('lets a viewer read but not write (FORBIDDEN), an editor write, and only admins grant', async () => {
    const granted = await ana.data(GrantProjectRoleDocument, { input: { project: projectA, user: bobName, role: 'VIEWER' } });
    expect(granted.grantProjectRole.members).toEqual(
      expect.arrayContaining([
        { user: anaName, role: 'ADMIN' },
        { user: bobName, role: 'VIEWER' },
      ]),
    );

    expect((await bob.data(RunProjectDocument, { id: runA.id })).run?.project.name).toBe(projectA);
    expect((await bob.data(SearchRunsDocument, { project: projectA })).runs.edges).toHaveLength(1);
    expect((await bob.data(ProjectByNameDocument, { name: projectA })).project?.myRole).toBe('VIEWER');
    for (const write of [
      () => bob.error(StartRunDocument, { input: { project: projectA } }),
      () => bob.error(LogBatchDocument, { input: { runId: runA.id, metrics: [{ key: 'auc', value: 0.1, step: 2 }] } }),
      () => bob.error(SetTagsDocument, { input: { runId: runA.id, tags: [{ key: 'x', value: 'y' }] } }),
      () => bob.error(DeleteRunDocument, { input: { runId: runA.id } }),
      () => bob.error(RestoreRunDocument, { input: { runId: runA.id } }),
      () => bob.error(GrantProjectRoleDocument, { input: { project: projectA, user: bobName, role: 'ADMIN' } }),
    ]) {
      expect((await write()).extensions?.code).toBe('FORBIDDEN');
    }

    await ana.data(GrantProjectRoleDocument, { input: { project: projectA, user: bobName, role: 'EDITOR' } });
    const logged = await bob.data(LogBatchDocument, { input: { runId: runA.id, metrics: [{ key: 'auc', value: 0.95, step: 2 }] } });
    expect(logged.logBatch.pointsWritten).toBe(1);
    expect((await bob.data(StartRunDocument, { input: { project: projectA, name: 'by-bob' } })).startRun.run.user).toBe(bobName);
    expect((await bob.error(GrantProjectRoleDocument, { input: { project: projectA, user: bobName, role: 'ADMIN' } })).extensions?.code).toBe('FORBIDDEN');

    const revoked = await ana.data(RevokeProjectRoleDocument, { input: { project: projectA, user: bobName } });
    expect(revoked.revokeProjectRole.role).toBeNull();
    expect((await bob.data(GetRunDocument, { id: runA.id })).run).toBeNull();
    expect((await bob.error(LogBatchDocument, { input: { runId: runA.id, metrics: [] } })).extensions?.code).toBe('NOT_FOUND');
  });

  it('lets a global admin see and change every project', async () => {
    expect((await admin.data(GetRunDocument, { id: runB.id })).run?.name).toBe('b1');
    const { projects } = await admin.data(ProjectsDocument, { first: 1000 });
    expect(projects.edges.map((e) => e.node.name)).toEqual(expect.arrayContaining([projectA, projectB]));
    expect((await admin.data(SetTagsDocument, { input: { runId: runB.id, tags: [{ key: 'audited', value: 'yes' }] } })).setTags.run.id).toBe(runB.id);
  });
});

describe('audit log', () => {
  it('records every mutation with who, what, targets and outcome, for admins only', async () => {
    await bob.error(SetTagsDocument, { input: { runId: runA.id, tags: [{ key: 'k', value: 'v' }] } });
    expect((await bob.error(AuditEventsDocument, { first: 10 })).extensions?.code).toBe('FORBIDDEN');

    const { auditEvents } = await admin.data(AuditEventsDocument, { first: 100, filter: { targetId: runA.id } });
    const events = auditEvents.edges.map((e) => e.node);
    expect(events[0]).toMatchObject({ actor: bobName, operation: 'setTags', outcome: 'NOT_FOUND', targetIds: [runA.id] });
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ actor: bobName, operation: 'logBatch', outcome: 'OK' })]));
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ actor: bobName, operation: 'logBatch', outcome: 'FORBIDDEN' })]));

    const created = await admin.data(AuditEventsDocument, { first: 10, filter: { actor: anaName, operation: 'createProject' } });
    expect(created.auditEvents.edges.map((e) => e.node.targetIds)).toEqual(expect.arrayContaining([expect.arrayContaining([projectA])]));

    // Paging: newest first, no overlap.
    const page1 = await admin.data(AuditEventsDocument, { first: 2, filter: { actor: bobName } });
    const page2 = await admin.data(AuditEventsDocument, { first: 2, after: page1.auditEvents.pageInfo.endCursor, filter: { actor: bobName } });
    const ids = [...page1.auditEvents.edges, ...page2.auditEvents.edges].map((e) => Number(e.node.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(4);
  });

  it("writes startRun's audit row with the run it created, once, naming the request's ids and the run", async () => {
    // startRun writes its audit row in the run's own statement (modules/audit/pending.ts); a
    // retry that creates nothing, and a refusal, are recorded by the plugin as before.
    const clientRunId = uniqueName('audited');
    const { startRun } = await ana.data(StartRunDocument, { input: { project: projectA, name: 'audited', clientRunId } });
    expect(startRun.created).toBe(true);
    const retry = await ana.data(StartRunDocument, { input: { project: projectA, name: 'audited', clientRunId } });
    expect(retry.startRun).toMatchObject({ created: false, run: { id: startRun.run.id } });
    const { auditEvents } = await admin.data(AuditEventsDocument, { first: 10, filter: { targetId: startRun.run.id, operation: 'startRun' } });
    const events = auditEvents.edges.map((e) => e.node);
    expect(events).toHaveLength(2);
    const named = [projectA, 'audited', clientRunId, startRun.run.id];
    // Newest first: the retry's row (the plugin's: also what the answer's selection named), then the run's own.
    expect(events[1]).toMatchObject({ actor: anaName, outcome: 'OK' });
    expect([...events[1]!.targetIds].sort()).toEqual([...named].sort());
    expect(events[0]).toMatchObject({ actor: anaName, outcome: 'OK', targetIds: expect.arrayContaining(named) });

    const refused = uniqueName('refused');
    expect((await bob.error(StartRunDocument, { input: { project: projectA, clientRunId: refused } })).extensions?.code).toBe('NOT_FOUND');
    const { auditEvents: refusals } = await admin.data(AuditEventsDocument, { first: 10, filter: { targetId: refused } });
    expect(refusals.edges.map((e) => e.node)).toEqual([
      expect.objectContaining({ actor: bobName, operation: 'startRun', outcome: 'NOT_FOUND', targetIds: [projectA, refused] }),
    ]);
    const { sql } = server().app.db;
    expect((await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM runs WHERE client_run_id = $1', [refused]))[0]!.n).toBe(0);
  });

  it('stores the row of each of many concurrent mutations before answering it', async () => {
    // Concurrent mutations share audit inserts (group commit); each must still be on record
    // by the time its own response arrives.
    const { sql } = server().app.db;
    const onRecord = async () =>
      (
        await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_events WHERE actor = $1 AND operation = 'setTags' AND outcome = 'OK'", [anaName])
      )[0]!.n;
    const before = await onRecord();
    const tags = Array.from({ length: 24 }, (_, i) => `concurrent-${i}`);
    let answered = 0;
    await Promise.all(
      tags.map(async (key) => {
        await ana.data(SetTagsDocument, { input: { runId: runA.id, tags: [{ key, value: 'v' }] } });
        answered += 1;
        const seen = answered;
        expect(await onRecord()).toBeGreaterThanOrEqual(before + seen);
      }),
    );
    expect(await onRecord()).toBe(before + tags.length);
  });

  it('is append-only in the database itself', async () => {
    const { sql } = server().app.db;
    await expect(sql.query("UPDATE audit_events SET outcome = 'OK'")).rejects.toThrow(/append-only/);
    await expect(sql.query('DELETE FROM audit_events')).rejects.toThrow(/append-only/);
    await expect(sql.query('TRUNCATE audit_events')).rejects.toThrow(/append-only/);
  });
});

describe('artifact routes', () => {
  it('need a token and a role: NOT_FOUND without one, FORBIDDEN to upload as a viewer', async () => {
    const put = (token: string | null, runId: string) =>
      fetch(`${server().url}/artifacts/runs/${encodeURIComponent(runId)}?name=model.bin&kind=MODEL`, {
        method: 'PUT',
        body: 'weights',
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    const made = await put(anaSecret, runA.id);
    expect(made.status).toBe(201);
    const { artifact } = (await made.json()) as { artifact: { id: string; downloadUrl: string } };
    const node = await server()
      .withToken((await server().app.services.auth.createToken({ user: bobName })).secret)
      .request(NodeDocument, { id: artifact.id });
    // Like a run of an invisible project, the artifact loads as null: no object, no error.
    expect(node.data?.node ?? null).toBeNull();
    expect(node.errors).toBeUndefined();

    expect((await fetch(`${server().url}${artifact.downloadUrl}`)).status).toBe(401);
    expect((await put(null, runA.id)).status).toBe(401);
    const bobSecret = (await server().app.services.auth.createToken({ user: bobName })).secret;
    expect((await fetch(`${server().url}${artifact.downloadUrl}`, { headers: { authorization: `Bearer ${bobSecret}` } })).status).toBe(404);
    expect((await put(bobSecret, runA.id)).status).toBe(404);

    await ana.data(GrantProjectRoleDocument, { input: { project: projectA, user: bobName, role: 'VIEWER' } });
    const download = await fetch(`${server().url}${artifact.downloadUrl}`, { headers: { authorization: `Bearer ${bobSecret}` } });
    expect(await download.text()).toBe('weights');
    expect((await put(bobSecret, runA.id)).status).toBe(403);
    await ana.data(RevokeProjectRoleDocument, { input: { project: projectA, user: bobName } });
  });
});
