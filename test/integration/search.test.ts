// Run search over HTTP: the filter language, ordering, pagination, comparison and aggregates.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CompareRunsDocument,
  FinishRunDocument,
  LogBatchDocument,
  ParamValuesDocument,
  RunGroupsDocument,
  type SearchRunsQuery,
  SearchRunsDocument,
  StartRunDocument,
} from '../generated/graphql.js';
import { newProject } from '../support/factories.js';
import { useServer } from '../support/server.js';

const server = useServer();
let project: string;
const ids: Record<string, string> = {};
const hour = 3_600_000;
const base = Date.parse('2026-10-01T00:00:00Z');

interface Spec {
  user: string;
  status: 'RUNNING' | 'FINISHED' | 'FAILED';
  hours: number;
  gpus: number;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, number | string>;
}

const runs: Record<string, Spec> = {
  r1: { user: 'ana', status: 'FINISHED', hours: 2, gpus: 4, params: { lr: '0.001', opt: 'adam' }, tags: { team: 'recs' }, metrics: { auc: 0.91, loss: 0.3 } },
  r2: { user: 'bo', status: 'FINISHED', hours: 1, gpus: 1, params: { lr: '0.01', opt: 'sgd' }, tags: { team: 'search' }, metrics: { auc: 0.85, loss: 0.5 } },
  r3: { user: 'ana', status: 'RUNNING', hours: 0, gpus: 0, params: { lr: '0.1', opt: 'adam' }, tags: { team: 'recs' }, metrics: { auc: 0.95 } },
  r4: { user: 'cy', status: 'FAILED', hours: 3, gpus: 2, params: { lr: '1e-4', opt: "it's" }, tags: { team: "o'brien" }, metrics: {} },
  r5: { user: 'bo', status: 'FINISHED', hours: 0.5, gpus: 8, params: { lr: '10', opt: 'adamw' }, tags: { 'data set': 'aug' }, metrics: { auc: 'NaN' } },
};

beforeAll(async () => {
  const { client } = server();
  project = await newProject(client, 'search');
  let i = 0;
  for (const [name, spec] of Object.entries(runs)) {
    const startedAt = new Date(spec.status === 'RUNNING' ? Date.now() : base + i * 10 * hour);
    i += 1;
    const { startRun } = await client.data(StartRunDocument, {
      input: { project, name, user: spec.user, startedAt: startedAt.toISOString(), environment: { hardware: { gpus: spec.gpus } } },
    });
    ids[name] = startRun.run.id;
    const kv = (o: Record<string, string>) => Object.entries(o).map(([key, value]) => ({ key, value }));
    await client.data(LogBatchDocument, {
      input: {
        runId: startRun.run.id,
        params: kv(spec.params),
        tags: kv(spec.tags),
        metrics: Object.entries(spec.metrics).map(([key, value]) => ({ key, value, step: 1 })),
      },
    });
    if (spec.status !== 'RUNNING') {
      await client.data(FinishRunDocument, {
        input: { runId: startRun.run.id, status: spec.status, endedAt: new Date(startedAt.getTime() + spec.hours * hour).toISOString() },
      });
    }
  }
});

async function names(filter: string, orderBy = [{ field: 'attributes.name', direction: 'ASC' as const }]): Promise<string[]> {
  const { runs: page } = await server().client.data(SearchRunsDocument, { project, filter, orderBy, first: 100 });
  return page.edges.map((e) => e.node.name);
}

describe('the filter language', () => {
  it.each([
    ['metrics.auc > 0.9', ['r1', 'r3']],
    ['metrics.auc <= 0.91', ['r1', 'r2']],
    // a run without the metric never matches a comparison, and matches its negation
    ['metrics.loss < 1', ['r1', 'r2']],
    ['not metrics.loss < 1', ['r3', 'r4', 'r5']],
    ['metrics.loss IS NULL', ['r3', 'r4', 'r5']],
    // numbers compare numerically, strings as text
    ['params.lr > 0.005', ['r2', 'r3', 'r5']],
    ["params.lr > '0.005'", ['r2', 'r3', 'r4', 'r5']],
    ['params.lr = 0.0001', ['r4']],
    // precedence: and binds tighter than or; parentheses override
    ["tags.team = 'search' or params.opt = 'adam' and metrics.auc > 0.92", ['r2', 'r3']],
    ["(tags.team = 'search' or params.opt = 'adam') and metrics.auc > 0.92", ['r3']],
    ["not (params.opt = 'adam' or params.opt = 'sgd')", ['r4', 'r5']],
    ["NOT params.opt = 'adam' AND attributes.user = 'bo'", ['r2', 'r5']],
    ["params.opt LIKE 'adam%'", ['r1', 'r3', 'r5']],
    ["params.opt NOT LIKE 'adam%'", ['r2', 'r4']],
    ["tags.team ILIKE 'RE%'", ['r1', 'r3']],
    ["attributes.user IN ('ana', 'cy')", ['r1', 'r3', 'r4']],
    ["attributes.status NOT IN ('FINISHED')", ['r3', 'r4']],
    ["params.lr IN (0.01, '10')", ['r2', 'r5']],
    ["tags.team IN ('recs') and metrics.auc IN (0.91, 0.95)", ['r1', 'r3']],
    ["attributes.status = 'running'", ['r3']],
    // quoting
    ["params.opt = 'it''s'", ['r4']],
    ['params.opt = "it\'s"', ['r4']],
    ["tags.team = 'o\\'brien'", ['r4']],
    ["tags.`data set` = 'aug'", ['r5']],
    ["params.opt = '''; DROP TABLE runs; --'", []],
    ["attributes.started_at >= '2026-10-01T15:00:00Z' and attributes.status != 'RUNNING'", ['r3', 'r4', 'r5'].filter((n) => n !== 'r3')],
    ['', ['r1', 'r2', 'r3', 'r4', 'r5']],
  ])('%s', async (filter, expected) => {
    expect(await names(filter)).toEqual(expected);
  });

  it('treats NaN as no number in comparisons but finds it by equality', async () => {
    expect(await names('metrics.auc > 0')).toEqual(['r1', 'r2', 'r3']);
    expect(await names("metrics.auc = 'NaN'".replace("'NaN'", 'NaN'))).toEqual(['r5']);
  });
});

describe('ordering and pagination', () => {
  async function walk(orderBy: { field: string; direction: 'ASC' | 'DESC' }[], pageSize: number, filter?: string): Promise<string[]> {
    const seen: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 20; guard += 1) {
      const result: SearchRunsQuery = await server().client.data(SearchRunsDocument, { project, orderBy, first: pageSize, after, filter });
      const page = result.runs;
      seen.push(...page.edges.map((e) => e.node.name));
      if (!page.pageInfo.hasNextPage) return seen;
      after = page.pageInfo.endCursor;
    }
    throw new Error('pagination did not end');
  }

  it.each([
    [[{ field: 'metrics.auc', direction: 'DESC' as const }], ['r3', 'r1', 'r2', 'r4', 'r5']],
    [[{ field: 'metrics.auc', direction: 'ASC' as const }], ['r2', 'r1', 'r3', 'r4', 'r5']],
    [[{ field: 'params.lr', direction: 'ASC' as const }], ['r4', 'r1', 'r2', 'r3', 'r5']],
    [[{ field: 'params.lr', direction: 'DESC' as const }], ['r5', 'r3', 'r2', 'r1', 'r4']],
    [
      [
        { field: 'attributes.user', direction: 'ASC' as const },
        { field: 'metrics.auc', direction: 'DESC' as const },
      ],
      ['r3', 'r1', 'r2', 'r5', 'r4'],
    ],
    [[{ field: 'tags.team', direction: 'DESC' as const }], ['r2', 'r1', 'r3', 'r4', 'r5']],
  ])('orders by %j with missing values last, across pages of any size', async (orderBy, expected) => {
    for (const size of [1, 2, 5]) expect(await walk(orderBy, size)).toEqual(expected);
  });

  // A filter that requires the first sort key's metric (a top-level ordering comparison on it)
  // is compiled as a join on that metric's summary row; the results must not change.
  it.each([
    ['metrics.auc > 0.5', 'DESC', ['r3', 'r1', 'r2']],
    ['metrics.auc > 0.5', 'ASC', ['r2', 'r1', 'r3']],
    ["metrics.auc >= 0.85 and params.opt = 'adam'", 'ASC', ['r1', 'r3']],
    ['metrics.auc < 0.92 and metrics.auc > 0.8', 'DESC', ['r1', 'r2']],
    ['metrics.auc > 0.5 and not metrics.loss > 0.4', 'DESC', ['r3', 'r1']],
    ["metrics.auc > 0.5 or attributes.user = 'cy'", 'DESC', ['r3', 'r1', 'r2', 'r4']],
    ['metrics.loss > 0 and metrics.auc > 0.5', 'DESC', ['r1', 'r2']],
  ] as const)('filters %s ordered by metrics.auc %s, across pages of any size', async (filter, direction, expected) => {
    for (const size of [1, 2, 5]) expect(await walk([{ field: 'metrics.auc', direction }], size, filter)).toEqual(expected);
  });

  it('refuses a cursor made for another order', async () => {
    const { client } = server();
    const first = await client.data(SearchRunsDocument, { project, first: 1, orderBy: [{ field: 'metrics.auc', direction: 'DESC' }] });
    const error = await client.error(SearchRunsDocument, {
      project,
      after: first.runs.pageInfo.endCursor,
      orderBy: [{ field: 'params.lr', direction: 'ASC' }],
    });
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain('after');
  });

  it('counts every match across pages', async () => {
    const { runs: page } = await server().client.data(SearchRunsDocument, { project, filter: "attributes.user = 'ana' or attributes.user = 'bo'", first: 1 });
    expect(page.totalCount).toBe(4);
    expect(page.edges).toHaveLength(1);
  });
});

describe('comparison and aggregates', () => {
  it('compares runs side by side, marking the params that differ', async () => {
    const { compareRuns } = await server().client.data(CompareRunsDocument, { ids: [ids.r1!, ids.r3!] });
    expect(compareRuns.runs.map((r) => r.name)).toEqual(['r1', 'r3']);
    expect(compareRuns.params).toEqual([
      { key: 'lr', values: ['0.001', '0.1'], differs: true },
      { key: 'opt', values: ['adam', 'adam'], differs: false },
    ]);
    expect(compareRuns.metrics).toEqual([
      { key: 'auc', values: [0.91, 0.95], differs: true },
      { key: 'loss', values: [0.3, null], differs: true },
    ]);
  });

  it('groups runs per user with duration and GPU-hours', async () => {
    const { runGroups } = await server().client.data(RunGroupsDocument, { project, groupBy: 'attributes.user', filter: "attributes.status != 'RUNNING'" });
    expect(runGroups.map((g) => g.key)).toEqual(['ana', 'cy', 'bo']); // most GPU-hours first
    const byUser = Object.fromEntries(runGroups.map((g) => [g.key, g]));
    expect(byUser.cy).toMatchObject({ runCount: 1, failed: 1 });
    expect(byUser.cy!.gpuHours).toBeCloseTo(6, 6);
    expect(byUser.ana!.gpuHours).toBeCloseTo(8, 6);
    expect(byUser.bo!.gpuHours).toBeCloseTo(1 + 4, 6);
    expect(byUser.bo!.totalDurationSeconds).toBeCloseTo(1.5 * 3600, 3);
    expect(byUser.bo).toMatchObject({ runCount: 2, finished: 2 });
  });

  it('groups by a tag, with runs lacking it in a null group', async () => {
    const { runGroups } = await server().client.data(RunGroupsDocument, { project, groupBy: 'tags.team' });
    expect(Object.fromEntries(runGroups.map((g) => [g.key ?? '(none)', g.runCount]))).toEqual({ recs: 2, search: 1, "o'brien": 1, '(none)': 1 });
  });

  it('lists the values a param took with the best metric per value', async () => {
    const { paramValues } = await server().client.data(ParamValuesDocument, { project, key: 'opt', metric: 'auc' });
    expect(paramValues.map((v) => [v.value, v.runCount, v.bestMetric, v.bestRun?.name ?? null])).toEqual([
      ['adam', 2, 0.95, 'r3'],
      ['adamw', 1, null, null],
      ["it's", 1, null, null],
      ['sgd', 1, 0.85, 'r2'],
    ]);
    const lowest = await server().client.data(ParamValuesDocument, { project, key: 'opt', metric: 'auc', goal: 'MINIMIZE', filter: "params.opt = 'adam'" });
    expect(lowest.paramValues).toEqual([{ value: 'adam', runCount: 2, bestMetric: 0.91, bestRun: { id: ids.r1, name: 'r1' } }]);
  });

  it('orders numeric param values numerically', async () => {
    const { paramValues } = await server().client.data(ParamValuesDocument, { project, key: 'lr' });
    expect(paramValues.map((v) => v.value)).toEqual(['1e-4', '0.001', '0.01', '0.1', '10']);
  });
});

describe('Project.runKeys', () => {
  it('lists the keys of the recent runs, whatever the newest run logged, and refuses a bad window', async () => {
    const s = server();
    const p = await newProject(s.client, 'keys');
    const old = (await s.client.data(StartRunDocument, { input: { project: p, name: 'old', startedAt: '2026-10-01T00:00:00Z' } })).startRun.run;
    await s.client.data(LogBatchDocument, {
      input: { runId: old.id, params: [{ key: 'lr', value: '0.1' }], tags: [{ key: 'team', value: 'a' }], metrics: [{ key: 'auc', value: 0.8 }] },
    });
    await s.client.data(StartRunDocument, { input: { project: p, name: 'new', startedAt: '2026-10-02T00:00:00Z' } });
    const keys = (recentRuns?: number) =>
      s.client.request<{ project: { runKeys: { metrics: string[]; params: string[]; tags: string[] } } | null }, unknown>(
        'query($p: String!, $n: Int) { project(name: $p) { runKeys(recentRuns: $n) { metrics params tags } } }',
        { p, n: recentRuns ?? null },
      );
    expect((await keys()).data?.project?.runKeys).toEqual({ metrics: ['auc'], params: ['lr'], tags: ['team'] });
    // Only the newest run: it logged nothing.
    expect((await keys(1)).data?.project?.runKeys).toEqual({ metrics: [], params: [], tags: [] });
    const refused = await keys(0);
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.message).toMatch(/recentRuns/);
  });
});
