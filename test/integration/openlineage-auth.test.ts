// Who may send OpenLineage events: a token writes into the project its namespace maps to only
// with EDITOR there; anything else is 403 (401 without a token) and writes nothing. Datasets and
// runs of other projects are guarded the same way, and every attempt is in the audit log.
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditEventsDocument, CreateProjectDocument, GrantProjectRoleDocument, PipelineRunByUuidDocument } from '../generated/graphql.js';
import { newRunId, postEvent, runEvent } from '../support/openlineage.js';
import { testConfig, uniqueName, useServer } from '../support/server.js';
import { type SignedIn, signInUsers } from '../support/users.js';

const mappedNamespace = uniqueName('airflow-prod');
const mappedProject = uniqueName('pipelines');
const server = useServer(() => testConfig({ RUNLEDGER_AUTH: 'on', RUNLEDGER_OPENLINEAGE_PROJECTS: `${mappedNamespace}=${mappedProject}` }));

let users: { admin: SignedIn; ana: SignedIn; bob: SignedIn };
const projects = { ana: uniqueName('ana-etl'), bob: uniqueName('bob-etl'), viewed: uniqueName('viewed') };
const wh = `postgres://${uniqueName('wh')}:5432`;

async function rows(table: string, where: string, params: unknown[]): Promise<number> {
  return (await server().app.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params))[0]!.n;
}

const event = (namespace: string, extra: Partial<Parameters<typeof runEvent>[0]> = {}) =>
  runEvent({ eventType: 'COMPLETE', eventTime: '2026-11-10T00:00:00Z', runId: newRunId(), job: { namespace, name: 'job' }, ...extra });

beforeAll(async () => {
  users = await signInUsers(server());
  const admin = users.admin.client;
  for (const name of [...Object.values(projects), mappedProject]) await admin.data(CreateProjectDocument, { input: { name } });
  await admin.data(GrantProjectRoleDocument, { input: { project: projects.ana, user: users.ana.name, role: 'EDITOR' } });
  await admin.data(GrantProjectRoleDocument, { input: { project: mappedProject, user: users.ana.name, role: 'EDITOR' } });
  await admin.data(GrantProjectRoleDocument, { input: { project: projects.viewed, user: users.ana.name, role: 'VIEWER' } });
  await admin.data(GrantProjectRoleDocument, { input: { project: projects.bob, user: users.bob.name, role: 'EDITOR' } });
});

describe('POST /api/v1/lineage with authentication on', () => {
  it('needs a token', async () => {
    const res = await postEvent(server().url, event(projects.ana));
    expect(res.status).toBe(401);
    expect(res.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('writes as an EDITOR of the project named like the namespace, and audits it', async () => {
    const body = event(projects.ana, { outputs: [{ namespace: wh, name: 'ana.table', version: 'v1' }] });
    expect((await postEvent(server().url, body, users.ana.secret)).status).toBe(201);
    const { pipelineRun } = await users.ana.client.data(PipelineRunByUuidDocument, { runId: body.run.runId });
    expect(pipelineRun).toMatchObject({ state: 'COMPLETE', jobNamespace: projects.ana });
    const { auditEvents } = await users.admin.client.data(AuditEventsDocument, { filter: { actor: users.ana.name, operation: 'openlineage.event' } });
    expect(auditEvents.edges.map((e) => e.node)).toEqual(expect.arrayContaining([expect.objectContaining({ outcome: 'OK', targetIds: [pipelineRun!.id] })]));
    // bob has no role there: the run is invisible to him.
    expect((await users.bob.client.data(PipelineRunByUuidDocument, { runId: body.run.runId })).pipelineRun).toBeNull();
  });

  it('maps a configured namespace to its project', async () => {
    const body = event(mappedNamespace);
    expect((await postEvent(server().url, body, users.ana.secret)).status).toBe(201);
    const owner = await server().app.db.sql.query<{ name: string }>(
      'SELECT p.name FROM pipeline_runs r JOIN projects p ON p.id = r.project_id WHERE r.run_uuid = $1',
      [body.run.runId],
    );
    expect(owner).toEqual([{ name: mappedProject }]);
  });

  const refusals: [string, () => ReturnType<typeof event>][] = [
    ['a namespace whose project the token has no role in', () => event(projects.bob)],
    ['a namespace whose project the token may only view', () => event(projects.viewed)],
    ['a namespace with no project (only admins create one)', () => event(uniqueName('nowhere'))],
  ];
  for (const [what, make] of refusals) {
    it(`answers 403 and writes nothing for ${what}`, async () => {
      const body = make();
      const res = await postEvent(server().url, body, users.ana.secret);
      expect(res.status).toBe(403);
      expect(res.body.errors[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
      expect(res.body.errors[0].message).toContain(`namespace "${body.job.namespace}"`);
      expect(await rows('openlineage_events', 'run_uuid = $1', [body.run.runId])).toBe(0);
      expect(await rows('pipeline_runs', 'run_uuid = $1', [body.run.runId])).toBe(0);
      const { auditEvents } = await users.admin.client.data(AuditEventsDocument, { filter: { actor: users.ana.name, outcome: 'FORBIDDEN' } });
      expect(auditEvents.edges.length).toBeGreaterThan(0);
    });
  }

  it('refuses to write into a dataset of another project, or to take over its run, writing nothing', async () => {
    const bobs = event(projects.bob, { outputs: [{ namespace: wh, name: 'bob.table', version: 'v1' }] });
    expect((await postEvent(server().url, bobs, users.bob.secret)).status).toBe(201);
    const intoBobsTable = event(projects.ana, {
      outputs: [
        { namespace: wh, name: 'bob.table', version: 'v2' },
        { namespace: wh, name: 'ana.other' },
      ],
    });
    const res = await postEvent(server().url, intoBobsTable, users.ana.secret);
    expect(res.status).toBe(403);
    expect(res.body.errors[0].message).toContain(`dataset "${wh}/bob.table"`);
    expect(await rows('datasets', 'namespace = $1 AND name = $2', [wh, 'ana.other'])).toBe(0);
    expect(await rows('pipeline_runs', 'run_uuid = $1', [intoBobsTable.run.runId])).toBe(0);
    const takeover = { ...event(projects.ana), run: bobs.run };
    expect((await postEvent(server().url, takeover, users.ana.secret)).status).toBe(403);
    expect(await rows('openlineage_events', 'run_uuid = $1', [bobs.run.runId])).toBe(1);
  });

  it('lets a reader of another project link its recorded versions, but not create or annotate them', async () => {
    const produced = event(projects.viewed, {
      outputs: [{ namespace: wh, name: 'viewed.table', version: 'v1', facets: { schema: { fields: [{ name: 'id' }] } } }],
    });
    expect((await postEvent(server().url, produced, users.admin.secret)).status).toBe(201);
    const facetsOf = async () =>
      (
        await server().app.db.sql.query<{ facets: Record<string, { value: unknown }> }>(
          "SELECT v.facets FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE d.namespace = $1 AND d.name = 'viewed.table' AND v.version = 'v1'",
          [wh],
        )
      )[0]!.facets;
    const before = await facetsOf();
    const reads = event(projects.ana, {
      inputs: [{ namespace: wh, name: 'viewed.table', version: 'v1', facets: { schema: { fields: [{ name: 'overwritten' }] } } }],
    });
    expect((await postEvent(server().url, reads, users.ana.secret)).status).toBe(201);
    expect(await facetsOf()).toEqual(before);
    expect(
      await rows('lineage_edges e JOIN pipeline_runs r ON e.to_type = $2 AND e.to_id = r.id', "r.run_uuid = $1 AND e.kind = 'INPUT_TO'", [
        reads.run.runId,
        'PipelineRun',
      ]),
    ).toBe(1);
    // A version not recorded yet is not created by a reader who may only view: the read waits
    // for its producer (whose event may simply arrive later), and is linked when it does.
    const readsUnrecorded = event(projects.ana, { inputs: [{ namespace: wh, name: 'viewed.table', version: 'v2' }] });
    expect((await postEvent(server().url, readsUnrecorded, users.ana.secret)).status).toBe(201);
    const versions = () =>
      rows('dataset_versions v JOIN datasets d ON d.id = v.dataset_id', "d.namespace = $1 AND d.name = 'viewed.table' AND v.version = 'v2'", [wh]);
    const inputEdges = () =>
      rows('lineage_edges e JOIN pipeline_runs r ON e.to_type = $2 AND e.to_id = r.id', "r.run_uuid = $1 AND e.kind = 'INPUT_TO'", [
        readsUnrecorded.run.runId,
        'PipelineRun',
      ]);
    expect(await versions()).toBe(0);
    expect(await inputEdges()).toBe(0);
    const producesV2 = event(projects.viewed, { outputs: [{ namespace: wh, name: 'viewed.table', version: 'v2' }] });
    expect((await postEvent(server().url, producesV2, users.admin.secret)).status).toBe(201);
    expect(await versions()).toBe(1);
    expect(await inputEdges()).toBe(1);
  });

  it("links a user's training run only to pipeline data that user may see", async () => {
    const bucket = `s3://${uniqueName('bucket')}`;
    const produce = async (project: string, name: string) =>
      expect(
        (await postEvent(server().url, event(project, { eventTime: '2026-11-01T00:00:00Z', outputs: [{ namespace: bucket, name }] }), users.admin.secret))
          .status,
      ).toBe(201);
    await produce(projects.viewed, 'shared');
    await produce(projects.bob, 'secret');
    const ana = users.ana.client;
    const { startRun } = await ana.data<{ startRun: { run: { id: string } } }, object>(
      'mutation($p: String!) { startRun(input: { project: $p }) { run { id } } }',
      {
        p: projects.ana,
      },
    );
    for (const name of ['shared', 'secret']) {
      const { registerDatasetVersion } = await ana.data<{ registerDatasetVersion: { datasetVersion: { id: string } } }, object>(
        'mutation($p: String!, $d: String!, $g: String!, $s: String!) { registerDatasetVersion(input: { project: $p, dataset: $d, version: "v1", digest: $g, sourceUri: $s }) { datasetVersion { id } } }',
        { p: projects.ana, d: uniqueName(`in-${name}`), g: `${name === 'shared' ? 'a' : 'b'}${'0'.repeat(63)}`, s: `${bucket}/${name}` },
      );
      await ana.data(
        'mutation($r: ID!, $v: ID!) { logInputs(input: { runId: $r, datasets: [{ datasetVersionId: $v, role: "train" }] }) { datasetInputsWritten } }',
        {
          r: startRun.run.id,
          v: registerDatasetVersion.datasetVersion.id,
        },
      );
    }
    const linked = await server().app.db.sql.query<{ name: string }>(
      `SELECT d.name FROM lineage_edges e JOIN dataset_versions v ON v.id = e.from_id JOIN datasets d ON d.id = v.dataset_id
       WHERE e.to_type = 'Run' AND e.from_type = 'DatasetVersion' AND d.namespace = $1 ORDER BY 1`,
      [bucket],
    );
    expect(linked.map((r) => r.name)).toEqual(['shared']);
  });

  it('lets a global admin send a namespace with no project yet, creating it', async () => {
    const namespace = uniqueName('fresh');
    expect((await postEvent(server().url, event(namespace), users.admin.secret)).status).toBe(201);
    expect(await rows('projects', 'name = $1', [namespace])).toBe(1);
  });
});
