// metricHistories and Run.metricHistories: many series in one read, each the same as its own
// metricHistory, in a fixed number of SQL statements however many runs, within stated limits.
import { beforeAll, describe, expect, it } from 'vitest';
import { GrantProjectRoleDocument, LogBatchDocument } from '../generated/graphql.js';
import { newProject, newRun } from '../support/factories.js';
import { quiesceBackground, startServer, testConfig, useServer } from '../support/server.js';
import { signInUsers } from '../support/users.js';

const server = useServer();
const runIds: string[] = [];
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

const SERIES = 'run { id } key totalPoints sampled bucketSteps steps values';
interface Series {
  run: { id: string };
  key: string;
  totalPoints: number;
  sampled: boolean;
  bucketSteps: number | null;
  steps: number[];
  values: (number | string)[];
}

beforeAll(async () => {
  const { client } = server();
  const project = await newProject(client, 'histories');
  // Run i: loss over 3,000 + i steps (long: downsampled from the rollups), acc over 50 steps (short: raw), a NaN in it.
  for (let i = 0; i < 6; i += 1) {
    const run = await newRun(client, project, { name: `r${i}` });
    runIds.push(run.id);
    const steps = range(0, 3000 + i * 100);
    await client.data(LogBatchDocument, {
      input: {
        runId: run.id,
        series: [
          { key: 'loss', steps, values: steps.map((s) => Math.cos(s / 40 + i) + (s === 1234 ? 9 : 0)) },
          { key: 'acc', steps: range(0, 50), values: range(0, 50).map((s) => (s === 7 ? 'NaN' : s / 50)) },
        ],
      },
    });
  }
  // Points still queued for the rollups on one run: the read must fold them first.
  await server().app.services.metrics.foldRollups();
  await client.data(LogBatchDocument, { input: { runId: runIds[0]!, series: [{ key: 'loss', steps: [5000], values: [-7] }] } });
}, 120_000);

const histories = (ids: string[], keys: string[], maxPoints: number) =>
  server().client.request<{ metricHistories: Series[] }, unknown>(
    `query($ids: [ID!]!, $keys: [String!]!, $max: Int) { metricHistories(runIds: $ids, keys: $keys, maxPoints: $max) { ${SERIES} } }`,
    { ids, keys, max: maxPoints },
  );

describe('metricHistories', () => {
  it('gives every run x key pair, in order, each equal to its own metricHistory', async () => {
    const { data, errors } = await histories(runIds, ['loss', 'acc', 'never-logged'], 400);
    expect(errors).toBeUndefined();
    const got = data!.metricHistories;
    expect(got.map((s) => `${s.run.id}/${s.key}`)).toEqual(runIds.flatMap((id) => ['loss', 'acc', 'never-logged'].map((k) => `${id}/${k}`)));
    for (const s of got) {
      const single = await server().client.data<{ run: { metricHistory: Omit<Series, 'run' | 'key'> } }, unknown>(
        'query($id: ID!, $key: String!) { run(id: $id) { metricHistory(key: $key, maxPoints: 400) { totalPoints sampled bucketSteps steps values } } }',
        { id: s.run.id, key: s.key },
      );
      const { run: _run, key: _key, ...batched } = s;
      expect(batched, `${s.key} of ${s.run.id}`).toEqual(single.run.metricHistory);
    }
    const first = got[0]!;
    expect(first.sampled).toBe(true);
    expect(first.steps.at(-1)).toBe(5000); // the queued point was folded before the rollups were read
    expect(first.values).toContain(-7);
    expect(got[1]!.values[7]).toBe('NaN');
    expect(got[2]!).toMatchObject({ totalPoints: 0, steps: [] });
  });

  it('reads the times only when selected (directly, through a fragment, under @include), with the same steps and values either way', async () => {
    const query = (selection: string) =>
      server().client.data<{ metricHistories: { steps: number[]; values: unknown[]; timestampsMs?: number[]; timestamps?: string[] }[] }, unknown>(
        `query($ids: [ID!]!${selection.includes('$t') ? ', $t: Boolean!' : ''}) { metricHistories(runIds: $ids, keys: ["loss", "acc"], maxPoints: 400) { ${selection} } }
         ${selection.includes('...Times') ? 'fragment Times on MetricSeries { timestamps }' : ''}`,
        { ids: runIds.slice(0, 2), ...(selection.includes('$t') ? { t: true } : {}) },
      );
    const without = (await query('steps values')).metricHistories;
    const skipped = (await query('steps values timestampsMs @skip(if: $t)')).metricHistories;
    const direct = (await query('steps values timestampsMs')).metricHistories;
    const included = (await query('steps values ...Times @include(if: $t)')).metricHistories;
    expect(skipped).toEqual(without);
    expect(direct.map(({ steps, values }) => ({ steps, values }))).toEqual(without);
    expect(included.map(({ steps, values }) => ({ steps, values }))).toEqual(without);
    for (const [i, s] of direct.entries()) {
      expect(s.timestampsMs).toHaveLength(s.steps.length);
      expect(included[i]!.timestamps!.map((t) => Date.parse(t))).toEqual(s.timestampsMs);
      const single = await server().client.data<{ run: { metricHistory: { timestampsMs: number[] } } }, unknown>(
        'query($id: ID!, $key: String!) { run(id: $id) { metricHistory(key: $key, maxPoints: 400) { timestampsMs } } }',
        { id: runIds[Math.floor(i / 2)], key: i % 2 ? 'acc' : 'loss' },
      );
      expect(s.timestampsMs).toEqual(single.run.metricHistory.timestampsMs);
    }
  });

  it('costs the same statements for 2 runs as for 6', async () => {
    const { app } = server();
    await quiesceBackground(app);
    const count = async (ids: string[]) => {
      await histories(ids, ['loss', 'acc'], 300);
      const before = app.db.statementCount();
      await histories(ids, ['loss', 'acc'], 300);
      return app.db.statementCount() - before;
    };
    expect(await count(runIds)).toBe(await count(runIds.slice(0, 2)));
  });

  it('refuses what it cannot bound, naming the argument', async () => {
    const cases: [string[], string[], number, RegExp][] = [
      [runIds, [], 100, /^keys/],
      [runIds, ['loss'], 1, /^maxPoints/],
      [runIds, Array.from({ length: 51 }, (_, i) => `k${i}`), 100, /^keys/],
      [Array.from({ length: 100 }, () => runIds[0]!), ['loss', 'acc', 'x'], 5000, /^maxPoints.*1,000,000/],
    ];
    for (const [ids, keys, max, message] of cases) {
      const { errors } = await histories(ids, keys, max);
      expect(errors?.[0]?.extensions?.code, String(message)).toBe('BAD_USER_INPUT');
      expect(errors?.[0]?.message).toMatch(message);
    }
    const tooMany = await histories(
      Array.from({ length: 101 }, () => runIds[0]!),
      ['loss'],
      10,
    );
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('LIMIT_EXCEEDED');
    const unknown = await histories([runIds[0]!, 'UnVuOjk5OTk5OTk='], ['loss'], 10); // Run:9999999
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('significantDigits', () => {
  it('rounds values for charts, keeps NaN, and refuses what is not 1 to 17', async () => {
    const { client } = server();
    const read = (digits: number) =>
      client.request<{ metricHistories: { values: (number | string)[]; points: { value: number | string }[] }[] }, unknown>(
        'query($ids: [ID!]!, $d: Int) { metricHistories(runIds: $ids, keys: ["acc"], maxPoints: 100, significantDigits: $d) { values points { value } } }',
        { ids: [runIds[1]!], d: digits },
      );
    const { data } = await read(2);
    const s = data!.metricHistories[0]!;
    expect(s.values.slice(0, 8)).toEqual([0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 'NaN']);
    expect(s.values[34]).toBe(0.68);
    expect(s.points.map((p) => p.value)).toEqual(s.values);
    expect((await read(0)).errors?.[0]?.message).toMatch(/^significantDigits: must be an integer from 1 to 17/);
  });
});

describe('Run.metricHistories', () => {
  it('reads every metric of each run in one go, with the series metricHistories gives', async () => {
    const { data, errors } = await server().client.request<{ nodes: { metricHistories: Series[] }[] }, unknown>(
      `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Run { metricHistories(maxPoints: 400) { ${SERIES} } } } }`,
      { ids: runIds.slice(0, 3) },
    );
    expect(errors).toBeUndefined();
    const batched = (await histories(runIds.slice(0, 3), ['acc', 'loss'], 400)).data!.metricHistories;
    expect(data!.nodes.flatMap((n) => n.metricHistories)).toEqual(batched);
  });
});

describe('metricHistories with authentication on', () => {
  it('refuses the whole read as NOT_FOUND when one run is in a project the caller has no role in, naming nothing of it', async () => {
    const s = await startServer(testConfig({ RUNLEDGER_AUTH: 'on' }));
    try {
      const { admin, ana } = await signInUsers(s);
      const mine = await newProject(admin.client, 'histories-mine');
      const hidden = await newProject(admin.client, 'histories-hidden');
      await admin.client.data(GrantProjectRoleDocument, { input: { project: mine, user: ana.name, role: 'VIEWER' } });
      const seen = await newRun(admin.client, mine, { name: 'seen' });
      const secret = await newRun(admin.client, hidden, { name: 'secret' });
      for (const run of [seen, secret]) {
        await admin.client.data(LogBatchDocument, { input: { runId: run.id, series: [{ key: 'loss', steps: [0, 1], values: [0.5, 0.25] }] } });
      }
      const query = `query($ids: [ID!]!) { metricHistories(runIds: $ids, keys: ["loss"]) { ${SERIES} } }`;
      const own = await ana.client.request<{ metricHistories: Series[] }, unknown>(query, { ids: [seen.id] });
      expect(own.errors).toBeUndefined();
      expect(own.data!.metricHistories.map((h) => h.values)).toEqual([[0.5, 0.25]]);
      const mixed = await ana.client.request<{ metricHistories: Series[] }, unknown>(query, { ids: [seen.id, secret.id] });
      expect(mixed.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(mixed.errors?.[0]?.message).toContain(secret.id);
      expect(mixed.data?.metricHistories ?? null).toBeNull();
      // The same run through Run.metricHistories: the run itself is null to her, so nothing of it is read.
      const direct = await ana.client.data<{ node: unknown }, unknown>('query($id: ID!) { node(id: $id) { ... on Run { metricHistories { key } } } }', {
        id: secret.id,
      });
      expect(direct.node).toBeNull();
    } finally {
      await s.app.stop();
    }
  });
});
