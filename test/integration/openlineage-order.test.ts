// Lineage across runs does not depend on the order events arrive in: a realistic stream of
// Airflow, dbt and Spark events (test/support/event-stream.ts) sent shuffled builds the same
// graph as sent in the order things happened, and a replay of the kept events converges to it,
// even over edges an older mapping linked wrongly.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseLineageEvent } from '../../src/http/openlineage/parse.js';
import { operatorAccess } from '../../src/modules/auth/access.js';
import { type EventStream, eventStream, inOrder, shuffled } from '../support/event-stream.js';
import { postEvent } from '../support/openlineage.js';
import { pipelineGraph } from '../support/pipeline-graph.js';
import { uniqueName, useServer } from '../support/server.js';

const server = useServer();
const SEED = 24;
const DAYS = 4;

// A kept-alive connection the server closed while idle (a replay above ran for seconds without
// HTTP) can reset the next request under load: sent again, an event is the same event (201).
async function post(event: Record<string, unknown>) {
  try {
    return await postEvent(server().url, event);
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw error;
    return postEvent(server().url, event);
  }
}

async function send(events: readonly Record<string, unknown>[]) {
  for (const event of events) {
    const res = await post(event);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
}

async function replay(stream: EventStream) {
  const { pipelines } = server().app.services;
  const ids = new Set(stream.runLabels.keys());
  for (let after = 0; ; ) {
    const batch = await pipelines.keptEvents(operatorAccess(), after, 200);
    if (batch.length === 0) return;
    for (const kept of batch) {
      after = kept.id;
      const body = kept.body as { run?: { runId?: string }; job?: { namespace?: string }; dataset?: { namespace?: string } };
      const ours = ids.has(body.run?.runId ?? '') || JSON.stringify(body).includes(stream.tenant);
      if (ours) await pipelines.replay(operatorAccess(), parseLineageEvent(kept.body), kept);
    }
  }
}

let reference: EventStream;
let expected: Awaited<ReturnType<typeof pipelineGraph>>;

beforeAll(async () => {
  reference = eventStream({ seed: SEED, days: DAYS, tenant: uniqueName('ordered') });
  await send(inOrder(reference.events));
  expected = await pipelineGraph(server(), reference);
});

describe('a stream sent in the order things happened', () => {
  it('links each consumer to the version its producer wrote before it read, and a never-produced source to a placeholder', () => {
    expect(expected.edges).toEqual(
      expect.arrayContaining([
        'version s3://raw-<tenant>/clicks@ol:run:<extract 2026-11-01> -INPUT_TO-> run <load 2026-11-01> @2026-11-01T01:06:00.000Z',
        'version s3://raw-<tenant>/clicks@ol:run:<extract 2026-11-02> -INPUT_TO-> run <load 2026-11-02 try 2> @2026-11-02T01:16:00.000Z',
        'version postgres://warehouse-<tenant>:5432/analytics.public.daily_ctr@ol:run:<daily_ctr 2026-11-03> -INPUT_TO-> run <spark job 2026-11-03> @2026-11-03T03:01:00.000Z',
        'run <spark job 2026-11-04> -PRODUCED-> version s3://lake-<tenant>/features/ctr@3 @2026-11-04T03:10:00.000Z',
        'version mysql://app-<tenant>:3306/app.clicks@ol:unversioned -INPUT_TO-> run <extract 2026-11-01> @2026-11-01T01:01:00.000Z',
      ]),
    );
    // Only the source nobody produces keeps a placeholder.
    expect(expected.versions.filter((v) => v.version === 'ol:unversioned').map((v) => v.name)).toEqual(['app.clicks']);
    // The failed try read the raw version too, and produced nothing.
    expect(expected.edges.filter((e) => e.includes('<load 2026-11-02 try 1>'))).toEqual([
      'commit https://github.com/acme/dags.git@1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d -INPUT_TO-> run <load 2026-11-02 try 1> @2026-11-02T01:06:00.000Z',
      'run <dag 2026-11-02> -PARENT_OF-> run <load 2026-11-02 try 1> @2026-11-02T01:06:00.000Z',
      'version s3://raw-<tenant>/clicks@ol:run:<extract 2026-11-02> -INPUT_TO-> run <load 2026-11-02 try 1> @2026-11-02T01:06:00.000Z',
    ]);
  });
});

describe('jobs, their versions and column lineage of the stream', () => {
  it('derive one version per job definition (SQL, code location), dated by its earliest run, with static lineage from the JobEvent', () => {
    const versions = (name: string) => expected.jobVersions.filter((v) => v.name === name);
    // The Airflow task's code changed after day 2: two versions; the dbt model's SQL never did.
    expect(
      versions('ingest_clicks.extract')
        .map((v) => v.created_at)
        .sort(),
    ).toEqual(['2026-11-01T01:01:00.000Z', '2026-11-03T01:01:00.000Z']);
    expect(versions('analytics.stg_clicks')).toHaveLength(1);
    expect(versions('analytics.ctr_report')).toEqual([
      expect.objectContaining({
        static_lineage: [
          'postgres://warehouse-<tenant>:5432/analytics.public.ctr_report OUTPUT',
          'postgres://warehouse-<tenant>:5432/analytics.public.daily_ctr INPUT',
        ],
      }),
    ]);
    const stg = expected.runs.filter((r) => r.job === 'dbt-<tenant>/analytics.stg_clicks');
    expect(new Set(stg.map((r) => r.job_version))).toEqual(new Set([versions('analytics.stg_clicks')[0]!.version]));
  });

  it('keeps the column lineage of the latest facet per dataset', () => {
    expect(expected.columns.filter((c) => c.name === 'features/ctr').map((c) => `${c.field} <- ${c.input_field} ${c.transformation_subtype}`)).toEqual(
      expect.arrayContaining(['ad_id <- ad_id IDENTITY', 'ctr_7d <- clicks AGGREGATION', 'ctr_7d <- day WINDOW']),
    );
  });
});

describe('the same stream shuffled', () => {
  it.each([1, 2, 3])('builds the same graph as in order (shuffle %i)', async (seed) => {
    const stream = eventStream({ seed: SEED, days: DAYS, tenant: uniqueName(`shuffled${seed}`) });
    await send(shuffled(stream.events, seed));
    expect(await pipelineGraph(server(), stream)).toEqual(expected);
  });

  it('in reverse, the worst order for linking, builds it too; and a replay changes nothing', async () => {
    const stream = eventStream({ seed: SEED, days: DAYS, tenant: uniqueName('reversed') });
    await send(inOrder(stream.events).reverse());
    expect(await pipelineGraph(server(), stream)).toEqual(expected);
    await replay(stream);
    expect(await pipelineGraph(server(), stream)).toEqual(expected);
  });
});

describe('npm run openlineage:replay', () => {
  it('repairs what an older mapping linked by arrival order: the consumer moves to its producer’s version, the placeholder goes', async () => {
    const stream = eventStream({ seed: SEED, days: DAYS, tenant: uniqueName('legacy') });
    await send(shuffled(stream.events, 7));
    // What the mapping before this fix left when daily_ctr's events arrived before stg_clicks'
    // COMPLETE: an `ol:unversioned` version linked to the consumer, next to nothing else.
    const { sql } = server().app.db;
    const [consumer] = await sql.query<{ id: number }>('SELECT id FROM pipeline_runs WHERE run_uuid = $1', [
      [...stream.runLabels].find(([, label]) => label === 'daily_ctr 2026-11-02')![0],
    ]);
    const [dataset] = await sql.query<{ id: number }>('SELECT id FROM datasets WHERE namespace = $1 AND name = $2', [
      stream.namespaces.warehouse,
      'analytics.public.stg_clicks',
    ]);
    const [placeholder] = await sql.query<{ id: number }>(
      `INSERT INTO dataset_versions (dataset_id, version, digest, created_at) VALUES ($1, 'ol:unversioned', $2, '2026-11-02T02:03:00Z') RETURNING id`,
      [dataset!.id, 'f'.repeat(64)],
    );
    await sql.query(
      `INSERT INTO lineage_edges (from_type, from_id, to_type, to_id, kind, created_at) VALUES ('DatasetVersion', $1, 'PipelineRun', $2, 'INPUT_TO', '2026-11-02T02:03:00Z')`,
      [placeholder!.id, consumer!.id],
    );
    expect(await pipelineGraph(server(), stream)).not.toEqual(expected);
    await replay(stream);
    expect(await pipelineGraph(server(), stream)).toEqual(expected);
    const retracted = await sql.query<{ reason: string }>("SELECT reason FROM lineage_edge_retractions WHERE to_type = 'PipelineRun' AND to_id = $1", [
      consumer!.id,
    ]);
    expect(retracted.map((r) => r.reason)).toEqual([expect.stringContaining('derived again')]);
  });
});
