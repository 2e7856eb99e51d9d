// The full life of a run over real HTTP: start, log, retry, finish, tag, delete, restore.
import { describe, expect, it } from 'vitest';
import {
  CreateProjectDocument,
  DeleteRunDocument,
  FinishRunDocument,
  GetRunDocument,
  AuditEventsDocument,
  LogBatchDocument,
  MetricHistoryDocument,
  NodeDocument,
  RestoreRunDocument,
  ResumeRunDocument,
  SearchRunsDocument,
  SetTagsDocument,
  StartRunDocument,
} from '../generated/graphql.js';
import { newProject, newRun } from '../support/factories.js';
import { uniqueName, useServer } from '../support/server.js';

const server = useServer();

describe('a run from start to finish', () => {
  it('creates a project once, however often the call is retried', async () => {
    const { client } = server();
    const name = uniqueName('retry-project');
    const first = await client.data(CreateProjectDocument, { input: { name, description: 'churn model' } });
    const second = await client.data(CreateProjectDocument, { input: { name } });
    expect(first.createProject.created).toBe(true);
    expect(second.createProject.created).toBe(false);
    expect(second.createProject.project.id).toBe(first.createProject.project.id);
  });

  it('records everything a training script logs and reads it back', async () => {
    const { client } = server();
    const project = await newProject(client);
    const { startRun } = await client.data(StartRunDocument, {
      input: {
        project,
        name: 'baseline',
        user: 'ana',
        group: 'sweep-1',
        notes: 'first try',
        seed: '42',
        environment: { python: '3.11.7', packages: { torch: '2.5.0' }, hardware: { gpus: [{ name: 'A100' }, { name: 'A100' }] }, hostname: 'gpu-7' },
        codeVersion: { repository: 'git@example.com:ml/churn.git', commit: 'ABCDEF1234', branch: 'main', dirty: true },
        tags: [{ key: 'team', value: 'recs' }],
      },
    });
    expect(startRun.created).toBe(true);
    const run = startRun.run;
    expect(run).toMatchObject({ name: 'baseline', status: 'RUNNING', user: 'ana', group: 'sweep-1', seed: '42', gpuCount: 2 });
    expect(run.codeVersion).toEqual({ repository: 'git@example.com:ml/churn.git', commit: 'abcdef1234', branch: 'main', dirty: true });

    const logged = await client.data(LogBatchDocument, {
      input: {
        runId: run.id,
        params: [
          { key: 'lr', value: '0.001' },
          { key: 'optimizer', value: 'adamw' },
        ],
        tags: [{ key: 'stage', value: 'train' }],
        metrics: [
          { key: 'loss', value: 0.9, step: 1 },
          { key: 'loss', value: 0.5, step: 2 },
          { key: 'loss', value: 0.7, step: 3 },
          { key: 'val/auc', value: 0.81, step: 3 },
        ],
      },
    });
    expect(logged.logBatch).toMatchObject({ paramsWritten: 2, tagsWritten: 1, pointsWritten: 4, pointsSkipped: 0, replayed: false });

    const finished = await client.data(FinishRunDocument, { input: { runId: run.id } });
    expect(finished.finishRun.run.status).toBe('FINISHED');
    expect(finished.finishRun.run.endedAt).not.toBeNull();

    // A finished run still takes late evaluation metrics, as MLflow's does.
    await client.data(LogBatchDocument, { input: { runId: run.id, metrics: [{ key: 'test/auc', value: 0.79, step: 3 }] } });

    const { run: read } = await client.data(GetRunDocument, { id: run.id });
    expect(read?.project.name).toBe(project);
    expect(read?.params).toEqual([
      { key: 'lr', value: '0.001' },
      { key: 'optimizer', value: 'adamw' },
    ]);
    expect(read?.tags).toEqual([
      { key: 'stage', value: 'train' },
      { key: 'team', value: 'recs' },
    ]);
    expect(read?.metrics).toEqual([
      { key: 'loss', last: 0.7, lastStep: 3, min: 0.5, max: 0.9, count: 3 },
      { key: 'test/auc', last: 0.79, lastStep: 3, min: 0.79, max: 0.79, count: 1 },
      { key: 'val/auc', last: 0.81, lastStep: 3, min: 0.81, max: 0.81, count: 1 },
    ]);
    expect(read?.environment).toMatchObject({ hostname: 'gpu-7' });
    expect(read?.durationSeconds).toBeGreaterThanOrEqual(0);

    const node = await client.data(NodeDocument, { id: run.id });
    expect(node.node).toMatchObject({ __typename: 'Run', name: 'baseline' });
  });

  it('returns the same run for a retried startRun with a clientRunId, even when retries race', async () => {
    const { client } = server();
    const project = await newProject(client);
    const input = { project, clientRunId: 'job-8841-attempt', name: 'retried' };
    const results = await Promise.all([1, 2, 3, 4].map(() => client.data(StartRunDocument, { input })));
    const ids = new Set(results.map((r) => r.startRun.run.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.startRun.created)).toHaveLength(1);
    const search = await client.data(SearchRunsDocument, { project });
    expect(search.runs.totalCount).toBe(1);
  });

  it('adds nothing twice when a logBatch is retried, with or without a batchId', async () => {
    const { client } = server();
    const project = await newProject(client);
    const run = await newRun(client, project);
    const timestamp = '2026-11-01T10:00:00.000Z';
    const input = {
      runId: run.id,
      batchId: 'batch-0001',
      params: [{ key: 'epochs', value: '10' }],
      metrics: [
        { key: 'loss', value: 1, step: 0 },
        { key: 'loss', value: 0.5, step: 1 },
      ],
    };
    const first = await client.data(LogBatchDocument, { input });
    const retried = await client.data(LogBatchDocument, { input });
    expect(first.logBatch).toMatchObject({ pointsWritten: 2, replayed: false });
    expect(retried.logBatch).toMatchObject({ pointsWritten: 2, replayed: true });

    // Without a batchId, points carrying their own timestamps are recognised by identity.
    const stamped = { runId: run.id, metrics: [{ key: 'acc', value: 0.5, step: 1, timestamp }] };
    await client.data(LogBatchDocument, { input: stamped });
    const again = await client.data(LogBatchDocument, { input: stamped });
    expect(again.logBatch).toMatchObject({ pointsWritten: 0, pointsSkipped: 1 });

    const history = await client.data(MetricHistoryDocument, { id: run.id, key: 'loss' });
    expect(history.run?.metricHistory.totalPoints).toBe(2);
    const { run: read } = await client.data(GetRunDocument, { id: run.id });
    expect(read?.metrics.find((m) => m.key === 'loss')?.count).toBe(2);
    expect(read?.metrics.find((m) => m.key === 'acc')?.count).toBe(1);
  });

  it('treats params as immutable: a repeat is a no-op, a change is a CONFLICT that writes nothing', async () => {
    const { client } = server();
    const project = await newProject(client);
    const run = await newRun(client, project);
    await client.data(LogBatchDocument, { input: { runId: run.id, params: [{ key: 'lr', value: '0.01' }] } });
    const repeat = await client.data(LogBatchDocument, { input: { runId: run.id, params: [{ key: 'lr', value: '0.01' }] } });
    expect(repeat.logBatch.paramsWritten).toBe(0);

    const error = await client.error(LogBatchDocument, {
      input: {
        runId: run.id,
        params: [
          { key: 'batch_size', value: '64' },
          { key: 'lr', value: '0.02' },
        ],
        tags: [{ key: 'note', value: 'should not stick' }],
        metrics: [{ key: 'loss', value: 3, step: 0 }],
      },
    });
    expect(error.extensions?.code).toBe('CONFLICT');
    expect(error.message).toContain('"lr"');
    expect(error.message).toContain('"0.01"');
    expect(error.message).toContain('"0.02"');

    const { run: read } = await client.data(GetRunDocument, { id: run.id });
    expect(read?.params).toEqual([{ key: 'lr', value: '0.01' }]);
    expect(read?.tags).toEqual([]);
    expect(read?.metrics).toEqual([]);
  });

  it('stores points sent as series exactly as the same points sent one by one', async () => {
    const { client } = server();
    const project = await newProject(client);
    const [byPoint, bySeries] = [await newRun(client, project), await newRun(client, project)];
    const at = (i: number) => new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString();
    const steps = [5, 1, 3, 3, 8];
    const values = [0.5, 'NaN', 1.5, -2, 'Infinity'] as const;
    await client.data(LogBatchDocument, {
      input: { runId: byPoint.id, metrics: steps.map((step, i) => ({ key: 'loss', step, value: values[i]!, timestamp: at(i) })) },
    });
    await client.data(LogBatchDocument, {
      input: { runId: bySeries.id, series: [{ key: 'loss', steps, values: [...values], timestamps: steps.map((_, i) => at(i)) }] },
    });
    // A retry of the series writes nothing, and says so.
    const retry = await client.data(LogBatchDocument, {
      input: { runId: bySeries.id, series: [{ key: 'loss', steps, values: [...values], timestamps: steps.map((_, i) => at(i)) }] },
    });
    expect(retry.logBatch).toMatchObject({ pointsWritten: 0, pointsSkipped: 5 });
    const read = async (id: string) => {
      const history = (await client.data(MetricHistoryDocument, { id, key: 'loss' })).run!.metricHistory;
      const summary = (await client.data(GetRunDocument, { id })).run!.metrics;
      return { points: history.points, summary };
    };
    const expected = await read(byPoint.id);
    expect(expected.points).toHaveLength(5);
    expect(await read(bySeries.id)).toEqual(expected);
  });

  it('round-trips NaN and ±Infinity', async () => {
    const { client } = server();
    const project = await newProject(client);
    const run = await newRun(client, project);
    await client.data(LogBatchDocument, {
      input: {
        runId: run.id,
        metrics: [
          { key: 'loss', value: 'NaN', step: 1 },
          { key: 'loss', value: 'Infinity', step: 2 },
          { key: 'loss', value: '-Infinity', step: 3 },
          { key: 'loss', value: 2.5, step: 4 },
          { key: 'grad', value: 'NaN', step: 1 },
        ],
      },
    });
    const history = await client.data(MetricHistoryDocument, { id: run.id, key: 'loss' });
    expect(history.run?.metricHistory.points.map((p) => p.value)).toEqual(['NaN', 'Infinity', '-Infinity', 2.5]);
    const { run: read } = await client.data(GetRunDocument, { id: run.id });
    expect(read?.metrics).toEqual([
      { key: 'grad', last: 'NaN', lastStep: 1, min: null, max: null, count: 1 },
      { key: 'loss', last: 2.5, lastStep: 4, min: '-Infinity', max: 'Infinity', count: 4 },
    ]);
  });

  it('finishes idempotently and refuses to change how a run ended', async () => {
    const { client } = server();
    const run = await newRun(client, await newProject(client));
    const failed = await client.data(FinishRunDocument, { input: { runId: run.id, status: 'FAILED' } });
    const again = await client.data(FinishRunDocument, { input: { runId: run.id, status: 'FAILED' } });
    expect(again.finishRun.run.endedAt).toBe(failed.finishRun.run.endedAt);
    const error = await client.error(FinishRunDocument, { input: { runId: run.id, status: 'FINISHED' } });
    expect(error.extensions?.code).toBe('CONFLICT');
  });

  it('resumes a KILLED or FAILED run (steps go on, the audit log names who), never a FINISHED one', async () => {
    const { client } = server();
    const project = await newProject(client);
    const run = await newRun(client, project);
    await client.data(LogBatchDocument, { input: { runId: run.id, metrics: [{ key: 'loss', value: 1, step: 0 }] } });
    await client.data(FinishRunDocument, { input: { runId: run.id, status: 'KILLED' } });

    const resumed = await client.data(ResumeRunDocument, { input: { runId: run.id } });
    expect(resumed.resumeRun).toMatchObject({ resumed: true, run: { status: 'RUNNING', endedAt: null } });
    expect((await client.data(ResumeRunDocument, { input: { runId: run.id } })).resumeRun.resumed).toBe(false);
    await client.data(LogBatchDocument, { input: { runId: run.id, metrics: [{ key: 'loss', value: 0.5, step: 1 }] } });
    await client.data(FinishRunDocument, { input: { runId: run.id, status: 'FAILED' } });
    expect((await client.data(ResumeRunDocument, { input: { runId: run.id } })).resumeRun.resumed).toBe(true);
    const finished = await client.data(FinishRunDocument, { input: { runId: run.id, status: 'FINISHED' } });
    expect(finished.finishRun.run.status).toBe('FINISHED');
    const { run: read } = await client.data(GetRunDocument, { id: run.id });
    expect(read?.metrics).toMatchObject([{ key: 'loss', last: 0.5, lastStep: 1, count: 2 }]);

    const error = await client.error(ResumeRunDocument, { input: { runId: run.id } });
    expect(error.extensions).toMatchObject({ code: 'CONFLICT', status: 'FINISHED' });
    expect(error.message).toMatch(/only KILLED or FAILED runs can be resumed/);

    const { auditEvents } = await client.data(AuditEventsDocument, { first: 20, filter: { operation: 'resumeRun', targetId: run.id } });
    expect(auditEvents.edges.map((e) => e.node.outcome)).toEqual(['CONFLICT', 'OK', 'OK', 'OK']);
  });

  it('sets, overwrites and removes tags', async () => {
    const { client } = server();
    const run = await newRun(client, await newProject(client), {
      tags: [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ],
    });
    const result = await client.data(SetTagsDocument, {
      input: {
        runId: run.id,
        tags: [
          { key: 'a', value: 'one' },
          { key: 'c', value: '3' },
        ],
        remove: ['b'],
      },
    });
    expect(result.setTags.run.tags).toEqual([
      { key: 'a', value: 'one' },
      { key: 'c', value: '3' },
    ]);
  });

  it('hides a deleted run from search, refuses writes to it, and brings it back on restore', async () => {
    const { client } = server();
    const project = await newProject(client);
    const run = await newRun(client, project);
    const deleted = await client.data(DeleteRunDocument, { input: { runId: run.id } });
    expect(deleted.deleteRun.run.deletedAt).not.toBeNull();

    expect((await client.data(SearchRunsDocument, { project })).runs.totalCount).toBe(0);
    expect((await client.data(SearchRunsDocument, { project, view: 'DELETED_ONLY' })).runs.totalCount).toBe(1);
    const error = await client.error(LogBatchDocument, { input: { runId: run.id, metrics: [{ key: 'loss', value: 1 }] } });
    expect(error.extensions?.code).toBe('CONFLICT');
    expect((await client.error(SetTagsDocument, { input: { runId: run.id, tags: [{ key: 'x', value: 'y' }] } })).extensions?.code).toBe('CONFLICT');

    await client.data(RestoreRunDocument, { input: { runId: run.id } });
    expect((await client.data(SearchRunsDocument, { project })).runs.totalCount).toBe(1);
    await client.data(LogBatchDocument, { input: { runId: run.id, metrics: [{ key: 'loss', value: 1 }] } });
  });

  it('links child runs to their parent for sweeps', async () => {
    const { client } = server();
    const project = await newProject(client);
    const parent = await newRun(client, project, { name: 'sweep' });
    await newRun(client, project, { name: 'trial-1', parentRunId: parent.id, group: 'sweep' });
    await newRun(client, project, { name: 'trial-2', parentRunId: parent.id, group: 'sweep' });
    const { run } = await client.data(GetRunDocument, { id: parent.id });
    expect(run?.children.edges.map((e) => e.node.name)).toEqual(['trial-1', 'trial-2']);
  });

  it('takes the user from the x-runledger-user header when the input has none', async () => {
    const { as, client } = server();
    const project = await newProject(client);
    const run = await newRun(as('bo'), project);
    expect(run.user).toBe('bo');
  });
});
