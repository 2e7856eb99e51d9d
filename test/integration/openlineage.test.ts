// POST /api/v1/lineage over real HTTP: the mapping rules of pipeline runs (states, facets,
// versions, edges), the same event twice, events out of order, malformed events, and pipeline
// runs meeting training runs in one lineage graph, the incident queries and the quarantine gate.
import { operatorAccess } from '../../src/modules/auth/access.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LogInputsDocument,
  NamespacedDatasetVersionDocument,
  PipelineRunByUuidDocument,
  PipelineRunImpactDocument,
  PipelineRunLineageDocument,
  ModelsUsingDocument,
  PromoteDocument,
  QuarantineDatasetVersionDocument,
  RegisterDatasetVersionDocument,
} from '../generated/graphql.js';
import { parseLineageEvent } from '../../src/http/openlineage/parse.js';
import { newRun } from '../support/factories.js';
import { newModelVersion } from '../support/registry-factories.js';
import { newRunId, postEvent, runEvent } from '../support/openlineage.js';
import { uniqueName, useServer } from '../support/server.js';

const server = useServer();

async function count(table: 'openlineage_events' | 'pipeline_runs' | 'datasets', where: string, params: unknown[]): Promise<number> {
  const rows = await server().app.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params);
  return rows[0]!.n;
}

async function send(body: unknown) {
  const res = await postEvent(server().url, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const run = async (runId: string) => (await server().client.data(PipelineRunByUuidDocument, { runId })).pipelineRun!;

/**
 * extract -> raw@day, dedup: raw@day -> clean@day, features: clean@day -> features@day, each a
 * task run under one DAG run (parent facet); then a training run reads features@day and its model
 * version is promoted to production.
 */
async function pipelineAndModel() {
  const ns = uniqueName('airflow');
  const wh = `postgres://${uniqueName('warehouse')}:5432`;
  const day = '2026-11-01';
  const dagRun = newRunId();
  const runs = { extract: newRunId(), dedup: newRunId(), features: newRunId() };
  const parent = { parent: { _producer: 'test', run: { runId: dagRun }, job: { namespace: ns, name: 'daily' } } };
  const steps = [
    { job: 'extract', inputs: [], outputs: [{ namespace: wh, name: 'raw.events', version: day }] },
    { job: 'dedup', inputs: [{ namespace: wh, name: 'raw.events', version: day }], outputs: [{ namespace: wh, name: 'clean.events', version: day }] },
    { job: 'features', inputs: [{ namespace: wh, name: 'clean.events', version: day }], outputs: [{ namespace: wh, name: 'features.daily', version: day }] },
  ] as const;
  let minute = 0;
  for (const step of steps) {
    const common = {
      runId: runs[step.job],
      job: { namespace: ns, name: `daily.${step.job}` },
      runFacets: parent,
      inputs: [...step.inputs],
      outputs: [...step.outputs],
    };
    await send(runEvent({ ...common, eventType: 'START', eventTime: `${day}T01:${String(minute++).padStart(2, '0')}:00Z` }));
    await send(runEvent({ ...common, eventType: 'COMPLETE', eventTime: `${day}T01:${String(minute++).padStart(2, '0')}:00Z` }));
  }
  const { client } = server();
  const features = (await client.data(NamespacedDatasetVersionDocument, { namespace: wh, dataset: 'features.daily', version: day })).datasetVersion!;
  const beforeTraining = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 5));
  const training = await newRun(client, ns, { name: 'train-ctr' });
  await client.data(LogInputsDocument, { input: { runId: training.id, datasets: [{ datasetVersionId: features.id, role: 'train' }] } });
  const model = uniqueName('ctr');
  const version = await newModelVersion(server(), client, model, training.id);
  await client.data(PromoteDocument, { input: { model, alias: 'production', version: version.version } });
  return { ns, wh, day, dagRun, runs, features, training, model, version, beforeTraining };
}

let world: Awaited<ReturnType<typeof pipelineAndModel>>;
beforeAll(async () => {
  world = await pipelineAndModel();
});

describe('a pipeline run', () => {
  it('keeps its job, state, times, parent and the datasets it read and wrote', async () => {
    const dedup = await run(world.runs.dedup);
    expect(dedup).toMatchObject({
      jobNamespace: world.ns,
      jobName: 'daily.dedup',
      state: 'COMPLETE',
      startedAt: '2026-11-01T01:02:00.000Z',
      endedAt: '2026-11-01T01:03:00.000Z',
      parentRunId: world.dagRun,
      parent: { runId: world.dagRun, jobName: 'daily', state: 'UNKNOWN' },
      inputs: [{ namespace: world.wh, name: 'raw.events' }],
      outputs: [{ namespace: world.wh, name: 'clean.events' }],
    });
  });

  it('stamps INPUT_TO and PRODUCED edges with the event time, and hangs under its parent', async () => {
    const { pipelineRun } = await server().client.data(PipelineRunLineageDocument, { runId: world.runs.dedup, direction: 'BOTH' });
    const edges = pipelineRun!.lineage.edges;
    const labels = new Map(pipelineRun!.lineage.nodes.map((n) => [n.id, n.label]));
    const described = edges.map((e) => `${labels.get(e.from)} -${e.kind}-> ${labels.get(e.to)} @${e.createdAt}`);
    expect(described).toEqual(
      expect.arrayContaining([
        'raw.events@2026-11-01 -INPUT_TO-> daily.dedup complete @2026-11-01T01:02:00.000Z',
        'daily.dedup complete -PRODUCED-> clean.events@2026-11-01 @2026-11-01T01:03:00.000Z',
        'daily unknown -PARENT_OF-> daily.dedup complete @2026-11-01T01:02:00.000Z',
        'clean.events@2026-11-01 -INPUT_TO-> daily.features complete @2026-11-01T01:04:00.000Z',
      ]),
    );
  });

  it('is upstream of the production model trained on its output, and not "as of" before the training run', async () => {
    const { client } = server();
    const now = (await client.data(PipelineRunImpactDocument, { runId: world.runs.dedup, aliases: ['production'] })).pipelineRun!;
    expect(now.impact.map((v) => `${v.model.name} v${v.version}`)).toEqual([`${world.model} v1`]);
    const before = (await client.data(PipelineRunImpactDocument, { runId: world.runs.dedup, aliases: ['production'], at: world.beforeTraining })).pipelineRun!;
    expect(before.impact).toEqual([]);
    const used = await client.data(ModelsUsingDocument, { usedDataset: { namespace: world.wh, name: 'raw.events' }, alias: 'production' });
    expect(used.models.map((v) => v.model.name)).toEqual([world.model]);
  });

  it('answers what a failed run would have affected: the models fed by the dataset it was to write', async () => {
    const failed = newRunId();
    const job = { namespace: world.ns, name: 'daily.dedup' };
    const io = { inputs: [{ namespace: world.wh, name: 'raw.events', version: '2026-11-02' }], outputs: [{ namespace: world.wh, name: 'clean.events' }] };
    await send(runEvent({ eventType: 'START', eventTime: '2026-11-02T01:00:00Z', runId: failed, job, ...io }));
    await send(
      runEvent({
        eventType: 'FAIL',
        eventTime: '2026-11-02T01:05:00Z',
        runId: failed,
        job,
        ...io,
        runFacets: { errorMessage: { message: 'duplicate key in events', programmingLanguage: 'python' } },
      }),
    );
    const { pipelineRun } = await server().client.data(PipelineRunImpactDocument, { runId: failed, aliases: ['production'] });
    expect(pipelineRun).toMatchObject({ state: 'FAIL' });
    expect(pipelineRun!.impact.map((v) => v.model.name)).toEqual([world.model]);
    expect((await run(failed)).errorMessage).toBe('duplicate key in events');
    // A failed run produced nothing: no version of clean.events comes out of it.
    const { pipelineRun: lineage } = await server().client.data(PipelineRunLineageDocument, { runId: failed, direction: 'DOWNSTREAM' });
    expect(lineage!.lineage.edges).toEqual([]);
  });

  it('makes a model trained downstream unpromotable once a pipeline-produced version is quarantined', async () => {
    const { client } = server();
    const clean = (await client.data(NamespacedDatasetVersionDocument, { namespace: world.wh, dataset: 'clean.events', version: world.day })).datasetVersion!;
    await client.data(QuarantineDatasetVersionDocument, { input: { id: clean.id, reason: 'dedup dropped late events' } });
    const error = await client.error(PromoteDocument, { input: { model: world.model, alias: 'staging', version: world.version.version } });
    expect(error.extensions?.code).toBe('CONFLICT');
    expect(error.message).toContain('clean.events@2026-11-01');
  });
});

describe('dataset identity and versions', () => {
  it('keeps namespace and name verbatim, and the facets on the version', async () => {
    const features = (await server().client.data(NamespacedDatasetVersionDocument, { namespace: world.wh, dataset: 'features.daily', version: world.day }))
      .datasetVersion!;
    expect(features.dataset).toEqual({ namespace: world.wh, name: 'features.daily', project: { name: world.ns } });
    expect(features.facets).toMatchObject({ version: { datasetVersion: world.day } });
  });

  it('derives a version per producing run when no version facet is sent, and reads the latest one', async () => {
    const ns = uniqueName('dbt');
    const wh = `snowflake://${uniqueName('acct')}`;
    const producer = newRunId();
    const consumer = newRunId();
    await send(
      runEvent({
        eventType: 'COMPLETE',
        eventTime: '2026-11-03T00:00:00Z',
        runId: producer,
        job: { namespace: ns, name: 'model.orders' },
        outputs: [{ namespace: wh, name: 'db.orders', facets: { schema: { fields: [{ name: 'id', type: 'INT' }] } } }],
      }),
    );
    await send(
      runEvent({
        eventType: 'COMPLETE',
        eventTime: '2026-11-03T00:10:00Z',
        runId: consumer,
        job: { namespace: ns, name: 'model.revenue' },
        inputs: [{ namespace: wh, name: 'db.orders' }],
      }),
    );
    const produced = (await server().client.data(NamespacedDatasetVersionDocument, { namespace: wh, dataset: 'db.orders', version: `ol:run:${producer}` }))
      .datasetVersion!;
    expect(produced.facets).toEqual({ schema: { fields: [{ name: 'id', type: 'INT' }] } });
    const { pipelineRun } = await server().client.data(PipelineRunLineageDocument, { runId: consumer, direction: 'UPSTREAM' });
    expect(pipelineRun!.lineage.nodes.map((n) => n.label)).toContain(`db.orders@ol:run:${producer}`);
  });

  it('lets registerDatasetVersion with the same namespace, name and version meet the pipeline version', async () => {
    const { datasetVersion } = await server().client.data(NamespacedDatasetVersionDocument, {
      namespace: world.wh,
      dataset: 'features.daily',
      version: world.day,
    });
    const { registerDatasetVersion } = await server().client.data(RegisterDatasetVersionDocument, {
      input: { namespace: world.wh, dataset: 'features.daily', version: world.day, digest: 'a'.repeat(64) },
    });
    expect(registerDatasetVersion).toMatchObject({ created: false, datasetVersion: { id: datasetVersion!.id } });
  });
});

describe('delivery', () => {
  it('changes nothing when the same event arrives twice', async () => {
    const runId = newRunId();
    const event = runEvent({ eventType: 'START', eventTime: '2026-11-04T00:00:00Z', runId, job: { namespace: world.ns, name: 'retry' } });
    expect(await send(event)).toEqual({ status: 'created' });
    const before = await run(runId);
    // The same event with its keys in another order is the same event.
    const reordered = Object.fromEntries(Object.entries(event).reverse());
    expect(await send(reordered)).toEqual({ status: 'duplicate' });
    expect(await run(runId)).toEqual(before);
    expect(await count('openlineage_events', 'run_uuid = $1', [runId])).toBe(1);
  });

  it('never lets a late START reopen a completed run, and keeps the newest facet whatever the arrival order', async () => {
    const runId = newRunId();
    const job = { namespace: world.ns, name: 'late' };
    await send(
      runEvent({
        eventType: 'COMPLETE',
        eventTime: '2026-11-05T02:00:00Z',
        runId,
        job,
        runFacets: { nominalTime: { nominalStartTime: '2026-11-05T00:00:00Z' } },
      }),
    );
    await send(
      runEvent({ eventType: 'START', eventTime: '2026-11-05T01:00:00Z', runId, job, runFacets: { nominalTime: { nominalStartTime: '2026-11-04T00:00:00Z' } } }),
    );
    expect(await run(runId)).toMatchObject({
      state: 'COMPLETE',
      startedAt: '2026-11-05T01:00:00.000Z',
      endedAt: '2026-11-05T02:00:00.000Z',
      nominalStartTime: '2026-11-05T00:00:00.000Z',
    });
  });

  it('answers 400 naming the field for a malformed event, and writes nothing', async () => {
    const runId = newRunId();
    const good = runEvent({
      eventType: 'START',
      eventTime: '2026-11-06T00:00:00Z',
      runId,
      job: { namespace: world.ns, name: 'bad' },
      outputs: [{ namespace: world.wh, name: 'never.written' }],
    });
    const cases: [unknown, string][] = [
      [{ ...good, run: { runId: 'not-a-uuid' } }, 'run.runId'],
      [{ ...good, eventTime: 'yesterday' }, 'eventTime'],
      [{ ...good, eventType: 'FINISHED' }, 'eventType'],
      [{ ...good, schemaURL: 'https://example.com/other.json' }, 'schemaURL'],
      [{ ...good, outputs: [{ namespace: world.wh }] }, 'outputs[0].name'],
      [{ ...good, job: { namespace: world.ns, name: 'bad', facets: { sql: 'SELECT 1' } } }, 'job.facets.sql'],
      ['{"eventType": "START",', 'body'],
      [[good], 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await postEvent(server().url, body);
      expect(res.status, field).toBe(400);
      expect(res.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(res.body.errors[0].message.startsWith(`${field}: `)).toBe(true);
    }
    expect(await count('openlineage_events', 'run_uuid = $1', [runId])).toBe(0);
    expect(await count('pipeline_runs', 'run_uuid = $1', [runId])).toBe(0);
    expect(await count('datasets', 'namespace = $1 AND name = $2', [world.wh, 'never.written'])).toBe(0);
  });

  it('accepts 1-0-x schema URLs, JobEvents and DatasetEvents', async () => {
    const wh = `s3://${uniqueName('bucket')}`;
    const old = {
      ...runEvent({ eventType: 'COMPLETE', eventTime: '2026-11-07T00:00:00Z', runId: newRunId(), job: { namespace: world.ns, name: 'old' } }),
      schemaURL: 'https://openlineage.io/spec/1-0-5/OpenLineage.json#/definitions/RunEvent',
    };
    await send(old);
    await send({
      eventTime: '2026-11-07T00:00:00Z',
      producer: 'p',
      schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/JobEvent',
      job: { namespace: world.ns, name: 'static' },
      inputs: [{ namespace: wh, name: 'in' }],
      outputs: [],
    });
    await send({
      eventTime: '2026-11-07T00:00:00Z',
      producer: 'p',
      schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/DatasetEvent',
      dataset: {
        namespace: world.ns,
        name: 'snapshot',
        facets: { version: { datasetVersion: 's1' }, storage: { storageLayer: 'iceberg', fileFormat: 'parquet' } },
      },
    });
    const snapshot = (await server().client.data(NamespacedDatasetVersionDocument, { namespace: world.ns, dataset: 'snapshot', version: 's1' }))
      .datasetVersion!;
    expect(snapshot.facets).toMatchObject({ storage: { storageLayer: 'iceberg' } });
    expect(await count('datasets', 'namespace = $1 AND name = $2', [wh, 'in'])).toBe(1);
  });
});

describe('replay', () => {
  /** Everything the mapping wrote for the world's project: runs (without updatedAt), versions and edges. */
  async function snapshot(projectId: number) {
    const { sql } = server().app.db;
    const runs = await sql.query(
      `SELECT run_uuid, state::text, state_at, started_at, ended_at, nominal_start_time, parent_run_uuid, error_message, run_facets, job_facets
       FROM pipeline_runs WHERE project_id = $1 ORDER BY id`,
      [projectId],
    );
    const versions = await sql.query(
      'SELECT v.id, v.version, v.facets FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE d.project_id = $1 ORDER BY v.id',
      [projectId],
    );
    const edges = await sql.query(
      `SELECT e.from_type, e.from_id, e.to_type, e.to_id, e.kind, e.created_at FROM lineage_edges e JOIN pipeline_runs r
         ON (e.from_type = 'PipelineRun' AND e.from_id = r.id) OR (e.to_type = 'PipelineRun' AND e.to_id = r.id)
       WHERE r.project_id = $1 ORDER BY e.id`,
      [projectId],
    );
    return { runs, versions, edges };
  }

  it('applies every kept event again without changing anything the mapping already wrote', async () => {
    const { pipelines } = server().app.services;
    const projectId = (await server().app.services.projects.get(operatorAccess(), world.ns))!.id;
    const before = await snapshot(projectId);
    expect(before.runs.length).toBeGreaterThan(3);
    let replayed = 0;
    for (let after = 0; ; ) {
      const batch = await pipelines.keptEvents(operatorAccess(), after, 100);
      if (batch.length === 0) break;
      for (const kept of batch) {
        after = kept.id;
        if (kept.projectId !== projectId) continue;
        await pipelines.replay(operatorAccess(), parseLineageEvent(kept.body), kept);
        replayed += 1;
      }
    }
    expect(replayed).toBeGreaterThan(6);
    expect(await snapshot(projectId)).toEqual(before);
  });
});
