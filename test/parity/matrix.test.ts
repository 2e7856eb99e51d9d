// One rule, every door, one outcome: the parity matrix (rows in matrix.ts) on a server that
// requires tokens, plus the rules whose outcome is a state rather than an answer (who a move is
// recorded for, what a retried write leaves behind, what the audit log holds).
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../support/artifacts.js';
import { GraphQLClient } from '../support/client.js';
import { newRunId, runEvent } from '../support/openlineage.js';
import { testConfig, useServer } from '../support/server.js';
import { agrees, artifactPut, graphql, mlflow, openLineage, type Outcome } from './doors.js';
import { ALL_ROWS } from './matrix.js';
import { aliasHistory, auditOf, buildWorld, type World } from './world.js';

const server = useServer(() => testConfig({ RUNLEDGER_AUTH: 'on' }));
let world: World;

beforeAll(async () => {
  world = await buildWorld(server());
});

describe.each(ALL_ROWS)('$rule', (row) => {
  it.each(row.doors.map((d) => [d.route, d] as const))(`%s answers ${row.expected}`, async (_route, door) => {
    const got: Outcome | Outcome[] = await door.call(world);
    expect(agrees(row.expected, got), `${door.route} answered ${JSON.stringify(got)}`).toBe(true);
  });
});

describe('state every door leaves the same', () => {
  const gqlAs = (secret: string) => new GraphQLClient(`${world.url}/graphql`, { authorization: `Bearer ${secret}` });

  it('refused alias moves left the history untouched, and moves through GraphQL and MLflow are both recorded as their caller', async () => {
    const before = await aliasHistory(server(), world);
    expect(before.filter((e) => ['cross', 'gated', 'champion'].includes(e.alias))).toEqual([]);
    expect(
      await graphql(world.url, world.ana, 'mutation($m: String!) { setModelAlias(input: { model: $m, alias: "staging", version: 1 }) { changed } }', {
        m: world.model,
      }),
    ).toBe('OK');
    expect(await mlflow(world.url, world.ana, 'POST', '/mlflow/registered-models/alias', { name: world.model, alias: 'prod', version: '1' })).toEqual(['OK']);
    const after = await aliasHistory(server(), world);
    expect(after.filter((e) => e.alias === 'staging' || e.alias === 'prod')).toEqual([
      { alias: 'staging', who: world.ana.name, to: 1 },
      { alias: 'prod', who: world.ana.name, to: 1 },
    ]);
  });

  it('a retried write changes nothing the second time, at every door', async () => {
    const ana = gqlAs(world.ana.secret);
    const { startRun } = await ana.data<{ startRun: { run: { id: string; mlflowRunId: string } } }, object>(
      'mutation($p: String!) { startRun(input: { project: $p, clientRunId: "parity-retry" }) { run { id mlflowRunId } } }',
      { p: world.projectA.name },
    );
    const again = await ana.data<{ startRun: { run: { id: string }; created: boolean } }, object>(
      'mutation($p: String!) { startRun(input: { project: $p, clientRunId: "parity-retry" }) { created run { id } } }',
      { p: world.projectA.name },
    );
    expect(again.startRun).toEqual({ created: false, run: { id: startRun.run.id } });

    const batch =
      'mutation($r: ID!) { logBatch(input: { runId: $r, batchId: "b1", metrics: [{ key: "gql", value: 1, step: 1 }] }) { pointsWritten replayed } }';
    expect((await ana.data<{ logBatch: object }, object>(batch, { r: startRun.run.id })).logBatch).toEqual({ pointsWritten: 1, replayed: false });
    // A replay answers what the first call did, marked as a replay: nothing is written again.
    expect((await ana.data<{ logBatch: object }, object>(batch, { r: startRun.run.id })).logBatch).toEqual({ pointsWritten: 1, replayed: true });

    const body = { run_id: startRun.run.mlflowRunId, metrics: [{ key: 'rest', value: 2, timestamp: 1_700_000_000_000, step: 1 }] };
    expect(await mlflow(world.url, world.ana, 'POST', '/mlflow/runs/log-batch', body)).toEqual(['OK']);
    expect(await mlflow(world.url, world.ana, 'POST', '/mlflow/runs/log-batch', body)).toEqual(['OK']);

    const counts = await ana.data<{ run: { gql: { totalPoints: number }; rest: { totalPoints: number } } }, object>(
      'query($r: ID!) { run(id: $r) { gql: metricHistory(key: "gql") { totalPoints } rest: metricHistory(key: "rest") { totalPoints } } }',
      { r: startRun.run.id },
    );
    expect(counts.run).toEqual({ gql: { totalPoints: 1 }, rest: { totalPoints: 1 } });

    const ev = runEvent({ eventType: 'START', eventTime: new Date().toISOString(), runId: newRunId(), job: { namespace: world.projectA.name, name: 'retry' } });
    expect(await openLineage(world.url, world.ana, ev)).toBe('OK');
    const dup = await fetch(`${world.url}/api/v1/lineage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${world.ana.secret}` },
      body: JSON.stringify(ev),
    });
    expect(await dup.json()).toEqual({ status: 'duplicate' });

    const put = () =>
      fetch(`${world.url}/artifacts/runs/${encodeURIComponent(startRun.run.id)}?name=same.txt`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${world.ana.secret}` },
        body: 'same bytes',
      }).then(async (r) => ({ status: r.status, created: ((await r.json()) as { created: boolean }).created }));
    expect(await put()).toEqual({ status: 201, created: true });
    expect(await put()).toEqual({ status: 200, created: false });
    expect(sha256('same bytes')).toHaveLength(64);
  });

  it('a protected alias stayed where it was through every refused door, the requests they filed are one per move, and the approval moves it', async () => {
    const read =
      'query($m: String!) { registeredModel(name: $m) { alias(name: "production") { version } promotionRequests(status: PENDING) { edges { node { number action requestedBy to { version } } } } } }';
    const before = await gqlAs(world.admin.secret).data<
      {
        registeredModel: {
          alias: { version: number };
          promotionRequests: { edges: { node: { number: number; action: string; requestedBy: string; to: { version: number } | null } }[] };
        };
      },
      object
    >(read, { m: world.model });
    expect(before.registeredModel.alias.version).toBe(3);
    // Set (GraphQL and MLflow alike), rollback and removal (GraphQL and MLflow alike): three distinct moves, three requests.
    expect(before.registeredModel.promotionRequests.edges.map((e) => [e.node.action, e.node.to?.version ?? null]).sort()).toEqual([
      ['REMOVE', null],
      ['ROLLBACK', 1],
      ['SET', 1],
    ]);
    expect(before.registeredModel.promotionRequests.edges.every((e) => e.node.requestedBy === world.ana.name)).toBe(true);
    const approved = await gqlAs(world.lee.secret).data<{ approvePromotion: { moved: boolean; event: { promotionRequest: { number: number } } } }, object>(
      'mutation($n: Int!) { approvePromotion(input: { request: $n, comment: "ok" }) { moved event { promotionRequest { number } } } }',
      { n: world.promotionRequest },
    );
    expect(approved.approvePromotion).toEqual({ moved: true, event: { promotionRequest: { number: world.promotionRequest } } });
    const history = await aliasHistory(server(), world);
    expect(history.filter((e) => e.alias === 'production').map((e) => e.to)).toEqual([1, 3, 1]);
  });

  it('every door audits what it was asked to write, as the caller, refused or not', async () => {
    const operations = new Set((await auditOf(server(), world, world.vic.name)).map((e) => `${e.operation} ${e.outcome}`));
    expect(operations).toContain('logBatch FORBIDDEN');
    expect(operations).toContain('mlflow POST /mlflow/runs/log-batch PERMISSION_DENIED');
    expect(operations).toContain('openlineage.event FORBIDDEN');
    expect(operations).toContain('artifacts.upload FORBIDDEN');
    expect(await artifactPut(world.url, world.ana, world.runA.id, `audited ${Math.random()}`, { name: 'audited.txt' })).toBe('OK');
    expect((await auditOf(server(), world, world.ana.name)).map((e) => `${e.operation} ${e.outcome}`)).toContain('artifacts.upload OK');
  });
});
