// Every write of the runs and metrics services announces itself once committed (the live
// publisher), and every method of the runs service is either a read or such a write: a new
// write method that commits without calling afterCommit fails here.
import { beforeAll, describe, expect, it } from 'vitest';
import { operatorAccess } from '../../src/modules/auth/access.js';
import { edgeRecorder } from '../../src/modules/lineage/store.js';
import { createMetricService, type LogBatchResult } from '../../src/modules/metrics/service.js';
import { createProjectService } from '../../src/modules/projects/service.js';
import { createRunService, type RunCommitted, type RunService } from '../../src/modules/runs/service.js';
import { createLogger } from '../../src/logger.js';
import { newProject } from '../support/factories.js';
import { useServer } from '../support/server.js';

const server = useServer();
const caller = operatorAccess();

/** Methods that commit nothing, so they announce nothing. A new method must be listed here or in WRITES. */
const READS = ['require', 'requireEditable', 'visibleByIds', 'paramsOf', 'tagsOf', 'codeVersionsOf', 'childrenOf'];

type Case = {
  change: RunCommitted['change'];
  /** Brings a fresh run into the state the write changes (unannounced setup may publish too). */
  setup?: (runs: RunService, runId: number) => Promise<unknown>;
  write: (runs: RunService, runId: number, project: string) => Promise<{ id: number } | { run: { id: number } }>;
};

const WRITES: Record<string, Case> = {
  start: { change: 'CREATED', write: (runs, _id, project) => runs.start(caller, { project, name: 'second' }) },
  finish: { change: 'FINISHED', write: (runs, runId) => runs.finish(caller, { runId }) },
  resume: {
    change: 'RESUMED',
    setup: (runs, runId) => runs.finish(caller, { runId, status: 'KILLED' }),
    write: (runs, runId) => runs.resume(caller, runId),
  },
  update: { change: 'UPDATED', write: (runs, runId) => runs.update(caller, { runId, notes: 'renamed' }) },
  setTags: { change: 'TAGS_CHANGED', write: (runs, runId) => runs.setTags(caller, { runId, tags: [{ key: 'k', value: 'v' }] }) },
  removeTag: {
    change: 'TAGS_CHANGED',
    setup: (runs, runId) => runs.setTags(caller, { runId, tags: [{ key: 'k', value: 'v' }] }),
    write: (runs, runId) => runs.removeTag(caller, runId, 'k'),
  },
  delete: { change: 'DELETED', write: (runs, runId) => runs.delete(caller, runId) },
  restore: { change: 'RESTORED', setup: (runs, runId) => runs.delete(caller, runId), write: (runs, runId) => runs.restore(caller, runId) },
};

describe('runs and metrics publish every committed write themselves', () => {
  let events: RunCommitted[];
  let runs: RunService;
  let project: string;

  beforeAll(async () => {
    events = [];
    runs = createRunService(server().app.db, createProjectService(server().app.db), edgeRecorder({ outbox: false }), {
      afterCommit: (event) => events.push(event),
    });
    project = await newProject(server().client, 'publish');
  });

  it('every method of the runs service is a known read or a write that publishes', () => {
    const methods = Object.entries(runs)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name)
      .sort();
    expect(methods).toEqual([...READS, ...Object.keys(WRITES)].sort());
  });

  for (const [method, c] of Object.entries(WRITES)) {
    it(`${method} publishes ${c.change} after it committed`, async () => {
      const { run } = await runs.start(caller, { project });
      await c.setup?.(runs, run.id);
      events.length = 0;
      const result = await c.write(runs, run.id, project);
      const written = 'run' in result ? result.run : result;
      expect(events.map((e) => [e.run.id, e.change])).toEqual([[written.id, c.change]]);
      expect(events[0]!.run.projectId).toBe(run.projectId);
    });
  }

  it('a refused write publishes nothing', async () => {
    const { run } = await runs.start(caller, { project });
    events.length = 0;
    await expect(runs.update(caller, { runId: run.id, name: '' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(runs.finish(caller, { runId: run.id + 1_000_000 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(events).toEqual([]);
  });

  it('logBatch hands its committed result, with per-series counts, to afterCommit', async () => {
    const results: LogBatchResult[] = [];
    const metrics = createMetricService(server().app.db, createLogger('silent'), { afterCommit: (r) => results.push(r) });
    const { run } = await runs.start(caller, { project });
    const input = { runId: run.id, batchId: 'b1', metrics: [{ key: 'loss', value: 1, step: 0 }] };
    await metrics.logBatch(caller, input);
    await metrics.logBatch(caller, input); // a retry still reaches the publisher (which then sends each series' total)
    await expect(metrics.logBatch(caller, { runId: run.id, metrics: [{ key: '', value: 1 }] })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await metrics.stop();
    expect(results.map((r) => [r.runId, r.points.length, r.replayed, r.counts.map((c) => [c.key, c.count])])).toEqual([
      [run.id, 1, false, [['loss', 1]]],
      [run.id, 0, true, []],
    ]);
  });
});
