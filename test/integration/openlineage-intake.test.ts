// Valid events that used to be refused: URI-like namespaces (`airflow://production`), gzip and
// deflate bodies (with the body limit applied to the inflated size), and events without a
// schemaURL from clients before openlineage-python 0.28.
import { gzipSync, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { newRunId, runEvent } from '../support/openlineage.js';
import { testConfig, uniqueName, useServer } from '../support/server.js';

const LIMIT = 64 * 1024;
const server = useServer(() => testConfig({ RUNLEDGER_MAX_BODY_BYTES: String(LIMIT), RUNLEDGER_OPENLINEAGE_PROJECTS: 'airflow://mapped-prod=mapped-etl' }));

async function post(payload: Buffer | string, headers: Record<string, string> = {}) {
  const body = typeof payload === 'string' ? payload : new Uint8Array(payload);
  const res = await fetch(`${server().url}/api/v1/lineage`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const pipelineRun = async (runId: string) =>
  (
    await server().client.data<{ pipelineRun: { jobNamespace: string; jobName: string; state: string; project: { name: string } } | null }, object>(
      'query($r: String!) { pipelineRun(runId: $r) { jobNamespace jobName state project { name } } }',
      { r: runId },
    )
  ).pipelineRun;

describe('namespaces as OpenLineage names them', () => {
  it.each([
    ['airflow://production', 'airflow-production'],
    ['spark://spark-master:7077', 'spark-spark-master-7077'],
    ['postgres://db:5432', 'postgres-db-5432'],
    ['kafka://broker1:9092,broker2:9092', 'kafka-broker1-9092-broker2-9092'],
  ])('accepts %s verbatim as the job namespace, in the project %s', async (namespace, project) => {
    const runId = newRunId();
    const event = runEvent({
      eventType: 'COMPLETE',
      eventTime: '2026-11-01T00:00:00Z',
      runId,
      job: { namespace, name: 'etl.load' },
      outputs: [{ namespace: 's3://bucket', name: `out/${uniqueName('x')}` }],
    });
    const res = await post(JSON.stringify(event));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(await pipelineRun(runId)).toEqual({ jobNamespace: namespace, jobName: 'etl.load', state: 'COMPLETE', project: { name: project } });
  });

  it('maps a namespace by RUNLEDGER_OPENLINEAGE_PROJECTS before the default', async () => {
    const runId = newRunId();
    const res = await post(
      JSON.stringify(runEvent({ eventType: 'START', eventTime: '2026-11-01T00:00:00Z', runId, job: { namespace: 'airflow://mapped-prod', name: 'j' } })),
    );
    expect(res.status).toBe(201);
    expect((await pipelineRun(runId))?.project.name).toBe('mapped-etl');
  });

  it('names the namespace field, not the project, when the namespace is refused', async () => {
    const event = runEvent({ eventType: 'START', eventTime: '2026-11-01T00:00:00Z', runId: newRunId(), job: { namespace: 'x'.repeat(1001), name: 'j' } });
    const res = await post(JSON.stringify(event));
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'job.namespace' });
  });
});

describe('compressed bodies', () => {
  const event = (runId: string) =>
    runEvent({ eventType: 'START', eventTime: '2026-11-02T00:00:00Z', runId, job: { namespace: 'airflow://production', name: 'gz' } });

  it('accepts gzip (openlineage-python compression=gzip) and deflate', async () => {
    for (const [encoding, pack] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
    ] as const) {
      const runId = newRunId();
      const res = await post(pack(Buffer.from(JSON.stringify(event(runId)))), { 'content-encoding': encoding });
      expect(res.status, `${encoding}: ${JSON.stringify(res.body)}`).toBe(201);
      expect((await pipelineRun(runId))?.jobName).toBe('gz');
    }
  });

  it('applies the body limit to the inflated size: a zip bomb is 413 without inflating it whole', async () => {
    const bomb = gzipSync(Buffer.from(`{"eventTime": "${' '.repeat(20 * 1024 * 1024)}"}`));
    expect(bomb.length).toBeLessThan(LIMIT);
    const started = performance.now();
    const res = await post(bomb, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', field: 'body' });
    expect(res.body.errors[0].message).toContain('inflated');
    // Not a timing assertion on speed, only a bound far above any honest answer: a whole inflation is 20 MB.
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it('refuses corrupt gzip and unknown codings as 400 naming the field', async () => {
    const corrupt = await post(Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
    expect(corrupt.status).toBe(400);
    expect(corrupt.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    const br = await post(Buffer.from('{}'), { 'content-encoding': 'br' });
    expect(br.status).toBe(400);
    expect(br.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'content-encoding' });
  });
});

describe('events without schemaURL (clients before openlineage-python 0.28)', () => {
  it('are accepted with a warning, kept beside the raw event', async () => {
    const runId = newRunId();
    const { schemaURL: _omitted, ...old } = runEvent({
      eventType: 'COMPLETE',
      eventTime: '2026-11-03T00:00:00Z',
      runId,
      job: { namespace: 'legacy', name: 'j' },
    });
    const res = await post(JSON.stringify(old));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ status: 'created', warnings: [expect.stringMatching(/^schemaURL: missing/)] });
    expect((await pipelineRun(runId))?.state).toBe('COMPLETE');
    const rows = await server().app.db.sql.query<{ warnings: string[]; schema_url: string | null }>(
      'SELECT warnings, schema_url FROM openlineage_events WHERE run_uuid = $1',
      [runId],
    );
    expect(rows).toEqual([{ schema_url: null, warnings: [expect.stringMatching(/^schemaURL: missing/)] }]);
  });

  it('still refuses a schemaURL that is not an OpenLineage spec URL', async () => {
    const event = {
      ...runEvent({ eventType: 'START', eventTime: '2026-11-03T00:00:00Z', runId: newRunId(), job: { namespace: 'legacy', name: 'j' } }),
      schemaURL: 'x',
    };
    const res = await post(JSON.stringify(event));
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.field).toBe('schemaURL');
  });
});
