// What the OpenLineage mapping answers through GraphQL beside pipeline runs: jobs with their
// versions, runs, durations and static lineage; field-level lineage; one search across
// datasets, jobs, runs and models; the raw events of a run; schemas from the schema facet.
import { beforeAll, describe, expect, it } from 'vitest';
import { newProject, newRun } from '../support/factories.js';
import { type EventStream, eventStream, inOrder } from '../support/event-stream.js';
import { postEvent } from '../support/openlineage.js';
import { uniqueName, useServer } from '../support/server.js';

const server = useServer();
let stream: EventStream;
const q = <T>(query: string, variables: Record<string, unknown> = {}) => server().client.data<T, Record<string, unknown>>(query, variables);
const runOf = (label: string) => [...stream.runLabels].find(([, l]) => l === label)![0];

beforeAll(async () => {
  stream = eventStream({ seed: 5, days: 3, tenant: uniqueName('cat') });
  for (const event of inOrder(stream.events)) expect((await postEvent(server().url, event)).status).toBe(201);
});

describe('jobs', () => {
  it('has versions from the defining facets, runs with states and durations, and what the current version reads and writes', async () => {
    const { job } = await q<{ job: any }>(
      `query($ns: String!) { job(namespace: $ns, name: "ingest_clicks.extract") {
         namespace name type project { name } createdAt updatedAt
         currentVersion { version facets createdAt inputs { name } outputs { name } }
         versions { version createdAt }
         latestRun { runId state durationMs }
         runs(first: 2) { edges { node { runId state startedAt endedAt durationMs jobVersion { version } } } pageInfo { hasNextPage } }
         inputs { namespace name } outputs { namespace name } } }`,
      { ns: stream.namespaces.airflow },
    );
    expect(job).toMatchObject({
      namespace: stream.namespaces.airflow,
      type: 'BATCH/AIRFLOW/TASK',
      createdAt: '2026-11-01T01:01:00.000Z',
      updatedAt: '2026-11-03T01:05:00.000Z',
      inputs: [{ namespace: stream.namespaces.source, name: 'app.clicks' }],
      outputs: [{ namespace: stream.namespaces.raw, name: 'clicks' }],
      latestRun: { runId: runOf('extract 2026-11-03'), state: 'COMPLETE', durationMs: 4 * 60_000 },
    });
    // Day 3 runs new code: a second version, current, with its source code location.
    expect(job.versions.map((v: { createdAt: string }) => v.createdAt)).toEqual(['2026-11-03T01:01:00.000Z', '2026-11-01T01:01:00.000Z']);
    expect(job.currentVersion.version).toBe(job.versions[0].version);
    expect(job.currentVersion.facets.sourceCodeLocation.version).toBe('9f8e7d6c5b4a39281706f5e4d3c2b1a098765432');
    expect(job.runs.edges.map((e: any) => e.node.runId)).toEqual([runOf('extract 2026-11-03'), runOf('extract 2026-11-02')]);
    expect(job.runs.edges[1].node.jobVersion.version).toBe(job.versions[1].version);
    expect(job.runs.pageInfo.hasNextPage).toBe(true);
  });

  it('keeps static lineage from a JobEvent for a job that never ran', async () => {
    const { job } = await q<{ job: any }>(
      'query($ns: String!) { job(namespace: $ns, name: "analytics.ctr_report") { latestRun { runId } inputs { name } outputs { name } } }',
      {
        ns: stream.namespaces.dbt,
      },
    );
    expect(job).toEqual({ latestRun: null, inputs: [{ name: 'analytics.public.daily_ctr' }], outputs: [{ name: 'analytics.public.ctr_report' }] });
  });

  it('names the jobs whose current version writes a dataset, from runs and from static lineage', async () => {
    const { daily, report, raw } = await q<Record<string, { writtenBy: { namespace: string; name: string }[] }>>(
      `query($wh: String!, $raw: String!) {
         daily: dataset(namespace: $wh, name: "analytics.public.daily_ctr") { writtenBy { namespace name } }
         report: dataset(namespace: $wh, name: "analytics.public.ctr_report") { writtenBy { namespace name } }
         raw: dataset(namespace: $raw, name: "clicks") { writtenBy { namespace name } } }`,
      { wh: stream.namespaces.warehouse, raw: stream.namespaces.raw },
    );
    expect(daily!.writtenBy).toEqual([{ namespace: stream.namespaces.dbt, name: 'analytics.daily_ctr' }]);
    expect(report!.writtenBy).toEqual([{ namespace: stream.namespaces.dbt, name: 'analytics.ctr_report' }]);
    expect(raw!.writtenBy).toEqual([{ namespace: stream.namespaces.airflow, name: 'ingest_clicks.extract' }]);
  });

  it('lists the jobs of a namespace, a page at a time', async () => {
    const first = await q<{ jobs: any }>(
      'query($ns: String!) { jobs(namespace: $ns, first: 2) { edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }',
      {
        ns: stream.namespaces.dbt,
      },
    );
    expect(first.jobs.edges.map((e: any) => e.node.name)).toEqual(['analytics.build', 'analytics.ctr_report']);
    const rest = await q<{ jobs: any }>(
      'query($ns: String!, $a: String) { jobs(namespace: $ns, first: 10, after: $a) { edges { node { name } } pageInfo { hasNextPage } } }',
      {
        ns: stream.namespaces.dbt,
        a: first.jobs.pageInfo.endCursor,
      },
    );
    expect(rest.jobs.edges.map((e: any) => e.node.name)).toEqual(['analytics.daily_ctr', 'analytics.stg_clicks']);
    expect(rest.jobs.pageInfo.hasNextPage).toBe(false);
  });
});

describe('field-level lineage', () => {
  it('walks a field upstream through two models to the staging table, with the transformation of each hop', async () => {
    const { columnLineage } = await q<{ columnLineage: any }>(
      `query($ns: String!) { columnLineage(namespace: $ns, name: "features/ctr", field: "ctr_7d", direction: UPSTREAM, depth: 5) {
         edges { from { name field } to { name field } depth transformationType transformationSubtype } fields { name field dataset { name } } } }`,
      { ns: stream.namespaces.lake },
    );
    const hops = columnLineage.edges.map(
      (e: any) => `${e.depth} ${e.to.name}.${e.to.field} <- ${e.from.name}.${e.from.field} ${e.transformationType}/${e.transformationSubtype}`,
    );
    expect(hops).toEqual([
      '1 features/ctr.ctr_7d <- analytics.public.daily_ctr.clicks DIRECT/AGGREGATION',
      '1 features/ctr.ctr_7d <- analytics.public.daily_ctr.day INDIRECT/WINDOW',
      '2 analytics.public.daily_ctr.clicks <- analytics.public.stg_clicks.user_id DIRECT/AGGREGATION',
      '2 analytics.public.daily_ctr.day <- analytics.public.stg_clicks.ts DIRECT/TRANSFORMATION',
      '3 analytics.public.stg_clicks.ts <- analytics.staging.clicks.event_time DIRECT/IDENTITY',
      '3 analytics.public.stg_clicks.user_id <- analytics.staging.clicks.user_id DIRECT/IDENTITY',
    ]);
    expect(columnLineage.fields).toContainEqual({ name: 'analytics.staging.clicks', field: 'event_time', dataset: { name: 'analytics.staging.clicks' } });
  });

  it('walks downstream from a dataset, and stops at the depth asked', async () => {
    const { dataset } = await q<{ dataset: any }>(
      `query($ns: String!) { dataset(namespace: $ns, name: "analytics.staging.clicks") {
         columnLineage(field: "user_id", direction: DOWNSTREAM, depth: 2) { edges { to { name field } depth } } } }`,
      { ns: stream.namespaces.warehouse },
    );
    expect(dataset.columnLineage.edges.map((e: any) => `${e.depth} ${e.to.name}.${e.to.field}`)).toEqual([
      '1 analytics.public.stg_clicks.user_id',
      '2 analytics.public.daily_ctr.clicks',
    ]);
  });

  it('answers NOT_FOUND for a dataset that does not exist, and names a bad depth', async () => {
    const missing = await server().client.error('query { columnLineage(namespace: "nowhere", name: "nothing") { edges { depth } } }');
    expect(missing.extensions?.code).toBe('NOT_FOUND');
    const deep = await server().client.error(`query($ns: String!) { columnLineage(namespace: $ns, name: "features/ctr", depth: 99) { edges { depth } } }`, {
      ns: stream.namespaces.lake,
    });
    expect(deep.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'depth' });
  });
});

describe('search', () => {
  it('finds datasets, jobs, training runs and models by name prefix in one query, any case', async () => {
    const project = await newProject(server().client, uniqueName('search'));
    const prefix = `Daily_${stream.tenant.replace(/[^a-z0-9]/gi, '')}`;
    await newRun(server().client, project, { name: `${prefix} training` });
    const { search } = await q<{ search: any[] }>(
      `query($q: String!) { search(query: $q) { kind name namespace node { __typename ... on Run { name } ... on Job { namespace } } } }`,
      { q: prefix.toLowerCase() },
    );
    expect(search).toEqual([{ kind: 'RUN', name: `${prefix} training`, namespace: null, node: { __typename: 'Run', name: `${prefix} training` } }]);
    const { search: jobs } = await q<{ search: any[] }>(
      'query { search(query: "analytics.DAILY", kinds: [JOB, DATASET], first: 1000) { kind name namespace } }',
    );
    expect(jobs.filter((h) => h.namespace === stream.namespaces.dbt)).toEqual([{ kind: 'JOB', name: 'analytics.daily_ctr', namespace: stream.namespaces.dbt }]);
  });

  it('takes % and _ literally', async () => {
    const { search } = await q<{ search: any[] }>('query { search(query: "%", first: 5) { name } }');
    expect(search.every((h) => h.name.startsWith('%'))).toBe(true);
  });
});

describe('a run’s raw events and a version’s schema', () => {
  it('lists the events of a run in event-time order, verbatim', async () => {
    const { pipelineRun } = await q<{ pipelineRun: any }>(
      'query($r: String!) { pipelineRun(runId: $r) { events { eventType eventTime schemaURL warnings body } } }',
      {
        r: runOf('extract 2026-11-02'),
      },
    );
    expect(pipelineRun.events.map((e: any) => e.eventType)).toEqual(['START', 'RUNNING', 'COMPLETE']);
    expect(pipelineRun.events[0].body.run.runId).toBe(runOf('extract 2026-11-02'));
    expect(pipelineRun.events[0].warnings).toEqual([]);
  });

  it('fills DatasetVersion.schema from the schema facet', async () => {
    const { datasetVersion } = await q<{ datasetVersion: any }>(
      `query($ns: String!) { datasetVersion(namespace: $ns, dataset: "features/ctr", version: "1") { schema facets } }`,
      { ns: stream.namespaces.lake },
    );
    expect(datasetVersion.schema).toEqual({
      fields: [
        { name: 'ad_id', type: 'long' },
        { name: 'ctr_7d', type: 'double' },
      ],
    });
  });
});
