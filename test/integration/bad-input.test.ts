// Bad input gets a clear error naming the field or token, and leaves nothing half-written.
import { describe, expect, it } from 'vitest';
import { CreateProjectDocument, GetRunDocument, LogBatchDocument, NodeDocument, SearchRunsDocument, StartRunDocument } from '../generated/graphql.js';
import { newProject, newRun } from '../support/factories.js';
import { useServer } from '../support/server.js';

const server = useServer();
const missingRunId = Buffer.from('Run:999999999').toString('base64');

async function expectNothingLogged(runId: string) {
  const { run } = await server().client.data(GetRunDocument, { id: runId });
  expect(run?.params).toEqual([]);
  expect(run?.tags).toEqual([]);
  expect(run?.metrics).toEqual([]);
}

describe('bad input', () => {
  it('answers NOT_FOUND for an unknown run or project', async () => {
    const { client } = server();
    const runError = await client.error(LogBatchDocument, { input: { runId: missingRunId, metrics: [{ key: 'x', value: 1 }] } });
    expect(runError.extensions?.code).toBe('NOT_FOUND');
    const projectError = await client.error(StartRunDocument, { input: { project: 'no-such-project-anywhere' } });
    expect(projectError.extensions?.code).toBe('NOT_FOUND');
    expect(projectError.message).toContain('no-such-project-anywhere');
    const { run } = await client.data(GetRunDocument, { id: missingRunId });
    expect(run).toBeNull();
  });

  it('rejects an id of another type and a malformed id, naming the field', async () => {
    const { client } = server();
    const projectId = (await client.data(CreateProjectDocument, { input: { name: await newProject(client) } })).createProject.project.id;
    const wrongType = await client.error(LogBatchDocument, { input: { runId: projectId } });
    expect(wrongType.extensions?.code).toBe('BAD_USER_INPUT');
    expect(wrongType.message).toMatch(/input\.runId.*Run id.*Project id/);
    const garbage = await client.error(LogBatchDocument, { input: { runId: '%%%' } });
    expect(garbage.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it.each([
    ['an empty name', { name: '   ' }, 'input.name', 'must not be empty'],
    ['an over-long name', { name: 'x'.repeat(251) }, 'input.name', 'at most 250'],
    ['a bad commit', { codeVersion: { repository: 'r', commit: 'not-a-sha' } }, 'input.codeVersion.commit', 'hex'],
    ['a bad tag key', { tags: [{ key: 'a;b', value: '1' }] }, 'input.tags[0].key', '";"'],
  ])('rejects %s when starting a run', async (_label, fields, field, rule) => {
    const { client } = server();
    const project = await newProject(client);
    const error = await client.error(StartRunDocument, { input: { project, ...fields } });
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain(field);
    expect(error.message).toContain(rule);
    expect((await client.data(SearchRunsDocument, { project })).runs.totalCount).toBe(0);
  });

  it.each([
    [
      'a key outside the allowed characters',
      {
        metrics: [
          { key: 'ok', value: 1 },
          { key: 'bad\u0000key', value: 2 },
        ],
      },
      'input.metrics[1].key',
    ],
    ['an empty key', { params: [{ key: '', value: '1' }] }, 'input.params[0].key'],
    ['an over-long key', { tags: [{ key: 'k'.repeat(251), value: '1' }] }, 'input.tags[0].key'],
    ['an over-long param value', { params: [{ key: 'big', value: 'v'.repeat(6001) }] }, 'input.params[0].value'],
    [
      'one param twice with two values',
      {
        params: [
          { key: 'lr', value: '1' },
          { key: 'lr', value: '2' },
        ],
      },
      'input.params[1]',
    ],
  ])('rejects %s in logBatch and writes none of the batch', async (_label, batch, field) => {
    const { client } = server();
    const run = await newRun(client, await newProject(client));
    const error = await client.error(LogBatchDocument, {
      input: { runId: run.id, params: [{ key: 'fine', value: '1' }], metrics: [{ key: 'fine', value: 1 }], ...batch },
    });
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain(field);
    await expectNothingLogged(run.id);
  });

  it('answers node(id) with null for an id that cannot exist, of every node type', async () => {
    const { client } = server();
    const errorsBefore = server().loggedErrors.length;
    for (const type of ['Run', 'Project', 'Dataset', 'DatasetVersion', 'Artifact', 'RegisteredModel', 'ModelVersion', 'CodeCommit']) {
      for (const key of ['abc', '9999999999', '1.5', '-3']) {
        const { node } = await client.data(NodeDocument, { id: Buffer.from(`${type}:${key}`).toString('base64') });
        expect(node).toBeNull();
      }
    }
    expect(server().loggedErrors.length).toBe(errorsBefore);
  });

  it('rejects more than 10,000 points in one batch', async () => {
    const { client } = server();
    const run = await newRun(client, await newProject(client));
    const metrics = Array.from({ length: 10_001 }, (_, step) => ({ key: 'loss', value: 1, step }));
    const error = await client.error(LogBatchDocument, { input: { runId: run.id, metrics } });
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain('input.metrics');
    expect(error.message).toContain('10000');
    await expectNothingLogged(run.id);
  });

  it('accepts exactly 10,000 points', async () => {
    const { client } = server();
    const run = await newRun(client, await newProject(client));
    const metrics = Array.from({ length: 10_000 }, (_, step) => ({ key: 'loss', value: step / 10, step }));
    const result = await client.data(LogBatchDocument, { input: { runId: run.id, metrics } });
    expect(result.logBatch.pointsWritten).toBe(10_000);
  });

  it.each([
    ['"abc"', 'abc'],
    ['true', true],
    ['an object', { v: 1 }],
    ['"nan" (case matters)', 'nan'],
  ])('rejects a non-numeric metric value %s, naming where it was', async (_label, value) => {
    const { client } = server();
    const run = await newRun(client, await newProject(client));
    const error = await client.error(LogBatchDocument, {
      input: {
        runId: run.id,
        metrics: [
          { key: 'a', value: 1 },
          { key: 'b', value: value as never },
        ],
      },
    });
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain('metrics[1].value');
    await expectNothingLogged(run.id);
  });

  it('counts series points toward the 10,000-point limit', async () => {
    const { client } = server();
    const run = await newRun(client, await newProject(client));
    const steps = Array.from({ length: 6000 }, (_, i) => i);
    const series = [{ key: 'loss', steps, values: steps.map(() => 1) }];
    const error = await client.error(LogBatchDocument, {
      input: { runId: run.id, series, metrics: steps.slice(0, 4001).map((step) => ({ key: 'acc', value: 1, step })) },
    });
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain('input.series');
    expect(error.message).toContain('10001');
    await expectNothingLogged(run.id);
  });

  it.each([
    ['fewer values than steps', { key: 'loss', steps: [1, 2, 3], values: [1, 2] }, 'input.series[1].values'],
    [
      'more timestamps than steps',
      { key: 'loss', steps: [1], values: [1], timestamps: ['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'] },
      'input.series[1].timestamps',
    ],
    ['a bad key', { key: 'a\u0000b', steps: [1], values: [1] }, 'input.series[1].key'],
  ])('rejects a series with %s, naming it, and writes nothing', async (_label, bad, field) => {
    const { client } = server();
    const run = await newRun(client, await newProject(client));
    const error = await client.error(LogBatchDocument, {
      input: { runId: run.id, params: [{ key: 'lr', value: '0.1' }], series: [{ key: 'ok', steps: [0], values: [1] }, bad] },
    });
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain(field);
    await expectNothingLogged(run.id);
  });

  it('rejects a non-integer step', async () => {
    const { client } = server();
    const run = await newRun(client, await newProject(client));
    const error = await client.error(LogBatchDocument, { input: { runId: run.id, metrics: [{ key: 'a', value: 1, step: 1.5 }] } });
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain('metrics[0].step');
  });

  it.each([
    ['metrics.acc >', 'end of filter'],
    ['metrics.acc > 0.5 and', 'end of filter'],
    ['metrics.acc >> 1', '">"'],
    ['foo.bar = 1', '"foo"'],
    ["params.lr = 'open", 'unterminated'],
    ['(metrics.a > 1', '")"'],
    ["metrics.acc > 'high'", 'string'],
  ])('rejects the filter %j, pointing at the token', async (filter, token) => {
    const { client } = server();
    const project = await newProject(client);
    const error = await client.error(SearchRunsDocument, { project, filter });
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain('filter');
    expect(error.message).toContain(token);
  });

  it('rejects an unknown orderBy field and an oversized page', async () => {
    const { client } = server();
    const project = await newProject(client);
    const order = await client.error(SearchRunsDocument, { project, orderBy: [{ field: 'nonsense', direction: 'ASC' }] });
    expect(order.extensions?.code).toBe('BAD_USER_INPUT');
    expect(order.message).toContain('orderBy[0].field');
    const page = await client.error(SearchRunsDocument, { project, first: 5000 });
    expect(page.extensions?.code).toBe('BAD_USER_INPUT');
    expect(page.message).toContain('first');
  });
});
