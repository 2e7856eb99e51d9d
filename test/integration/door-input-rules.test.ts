// The shared input rules (src/input-rules.ts) at the MLflow and OpenLineage doors: NUL and lone
// surrogates in any string, key, filter or page token, JSON nested 10,000 deep, timestamps that
// JavaScript or PostgreSQL cannot hold. Each is a 400 naming the field and the rule, never a 500,
// and nothing is written (the audit log of the refused attempt aside).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabaseUrl } from '../support/fresh-database.js';
import { SCHEMA_URL } from '../support/openlineage.js';
import { testConfig, useServer } from '../support/server.js';

// "Nothing is written" is checked by counting every table's rows: on PostgreSQL this file gets a
// database of its own, so other test files writing at the same time cannot change the counts.
const fresh = await freshDatabaseUrl();
afterAll(() => fresh.drop()); // registered first, so it runs after the server has stopped
const server = useServer(() => {
  const config = testConfig();
  return fresh.url ? { ...config, database: { kind: 'postgres', url: fresh.url, poolSize: 5 } } : config;
});
const M = '/api/2.0/mlflow/';
const NUL = 'a\u0000b';
const LONE = 'a\ud800b';
let experiment: string;
let run: string;

async function call(method: string, path: string, body?: unknown, raw?: string) {
  const res = await fetch(`${server().url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as Record<string, any> };
}

/**
 * Rows per table, the audit log left out (refused writes are audited) and the metric rollups
 * (folded in the background from earlier points): nothing else may change.
 */
async function rowCounts(): Promise<Record<string, number>> {
  const db = server().app.db;
  const tables = await db.sql.query<{ t: string }>(
    `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'audit_events' AND table_name NOT LIKE 'metric_rollup%' ORDER BY 1`,
  );
  const counts: Record<string, number> = {};
  for (const { t } of tables) counts[t] = (await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${t}"`))[0]!.n;
  return counts;
}

beforeAll(async () => {
  experiment = (await call('POST', `${M}experiments/create`, { name: `rules-${randomUUID().slice(0, 8)}` })).json.experiment_id;
  run = (await call('POST', `${M}runs/create`, { experiment_id: experiment, start_time: Date.now() })).json.run.info.run_id;
});

const enc = (s: string) => encodeURIComponent(s);
const token = (s: string) => Buffer.from(s).toString('base64url');

/** [label, method, path, body, field the refusal must name] for a hostile string `bad`. */
function mlflowCases(bad: string): [string, string, string, unknown, string][] {
  return [
    ['experiment name', 'POST', 'experiments/create', { name: bad }, 'name'],
    [
      'experiment description',
      'POST',
      'experiments/create',
      { name: `d-${randomUUID()}`, tags: [{ key: 'mlflow.note.content', value: bad }] },
      'tags[0].value',
    ],
    ['experiment search filter', 'POST', 'experiments/search', { filter: `name = '${bad}'` }, 'filter'],
    ['experiment page token', 'POST', 'experiments/search', { page_token: token(bad) }, 'page_token'],
    ['run name', 'POST', 'runs/create', { experiment_id: experiment, run_name: bad }, 'run_name'],
    ['run tag value', 'POST', 'runs/create', { experiment_id: experiment, tags: [{ key: 'k', value: bad }] }, 'tags[0].value'],
    ['run tag key', 'POST', 'runs/create', { experiment_id: experiment, tags: [{ key: bad, value: 'v' }] }, 'tags[0].key'],
    ['run user', 'POST', 'runs/create', { experiment_id: experiment, user_id: bad }, 'user_id'],
    ['rename', 'POST', 'runs/update', { run_id: run, run_name: bad }, 'run_name'],
    ['param value', 'POST', 'runs/log-parameter', { run_id: run, key: 'p', value: bad }, 'value'],
    ['tag value', 'POST', 'runs/set-tag', { run_id: run, key: 't', value: bad }, 'value'],
    ['batch param', 'POST', 'runs/log-batch', { run_id: run, params: [{ key: 'q', value: bad }] }, 'params[0].value'],
    ['batch tag', 'POST', 'runs/log-batch', { run_id: run, tags: [{ key: 'q', value: bad }] }, 'tags[0].value'],
    [
      'dataset source',
      'POST',
      'runs/log-inputs',
      { run_id: run, datasets: [{ dataset: { name: 'n', digest: 'd', source_type: 's', source: bad } }] },
      'datasets[0].dataset.source',
    ],
    ['run search filter', 'POST', 'runs/search', { experiment_ids: [experiment], filter: `tags.t = '${bad}'` }, 'filter'],
    ['run search order', 'POST', 'runs/search', { experiment_ids: [experiment], order_by: [bad] }, 'order_by[0]'],
    ['run page token', 'POST', 'runs/search', { experiment_ids: [experiment], page_token: bad }, 'page_token'],
    ['model name', 'POST', 'registered-models/create', { name: bad }, 'name'],
    ['model description', 'POST', 'registered-models/create', { name: `m-${randomUUID()}`, description: bad }, 'description'],
    ['alias', 'POST', 'registered-models/alias', { name: 'm', alias: bad, version: '1' }, 'alias'],
    ['logged model name', 'POST', 'logged-models', { experiment_id: experiment, name: bad }, 'name'],
  ];
}

function mlflowQueryCases(bad: string): [string, string, string][] {
  return [
    ['experiment by name', `experiments/get-by-name?experiment_name=${enc(bad)}`, 'experiment_name'],
    ['model search filter', `registered-models/search?filter=${enc(`name LIKE '%${bad}%'`)}`, 'filter'],
    ['model page token', `registered-models/search?page_token=${token(bad)}`, 'page_token'],
    ['model', `registered-models/get?name=${enc(bad)}`, 'name'],
    ['version search', `model-versions/search?filter=${enc(`name = '${bad}'`)}`, 'filter'],
    ['metric history', `metrics/get-history?run_id=${run}&metric_key=${enc(bad)}`, 'metric_key'],
  ];
}

describe('MLflow door', () => {
  it('refuses NUL and lone surrogates in every string, naming the field and the rule, and writes nothing', async () => {
    const before = await rowCounts();
    for (const [bad, rule] of [
      [NUL, /NUL character/],
      [LONE, /lone UTF-16 surrogate/],
    ] as const) {
      // A page token is base64 of UTF-8, which cannot carry a lone surrogate.
      for (const [label, method, path, body, field] of mlflowCases(bad).filter(([label]) => bad === NUL || label !== 'experiment page token')) {
        const reply = await call(method, `${M}${path}`, body);
        expect(reply.status, `${label}: ${reply.text}`).toBe(400);
        expect(reply.json.error_code, label).toBe('INVALID_PARAMETER_VALUE');
        expect(reply.json.message, label).toMatch(new RegExp(`^${field.replace(/[[\].]/g, '\\$&')}: .*`));
        expect(reply.json.message, label).toMatch(rule);
      }
    }
    for (const [label, path, field] of mlflowQueryCases(NUL)) {
      const reply = await call('GET', `${M}${path}`);
      expect(reply.status, `${label}: ${reply.text}`).toBe(400);
      expect(reply.json.message, label).toMatch(new RegExp(`^${field}: must not contain the NUL character`));
    }
    const artifact = await call('GET', `/api/2.0/mlflow-artifacts/artifacts/${experiment}/${run}/artifacts/a%00b`);
    expect(artifact.json).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(/^path: .*NUL/) });
    expect(await rowCounts()).toEqual(before);
    expect(server().loggedErrors).toEqual([]);
  });

  it('refuses timestamps PostgreSQL or JavaScript cannot hold', async () => {
    const before = await rowCounts();
    for (const ts of [8_640_000_000_000_000, 8_639_999_999_999_999, Date.parse('+010000-01-01T00:00:00Z'), -62_167_219_200_000, '8640000000000000']) {
      for (const [path, body, field] of [
        ['runs/log-metric', { run_id: run, key: 'm', value: 1, timestamp: ts, step: 0 }, 'timestamp'],
        ['runs/log-batch', { run_id: run, metrics: [{ key: 'm', value: 1, timestamp: ts, step: 0 }] }, 'metrics[0].timestamp'],
        ['runs/create', { experiment_id: experiment, start_time: ts }, 'start_time'],
        ['runs/update', { run_id: run, end_time: ts }, 'end_time'],
      ] as const) {
        const reply = await call('POST', `${M}${path}`, body);
        expect(reply.status, `${path} ${ts}: ${reply.text}`).toBe(400);
        // Worded as MLflow's server words a bad value ("Invalid value … for parameter '<field>' supplied: <rule>").
        const f = field.replace(/[[\].]/g, '\\$&');
        expect(reply.json.message).toMatch(
          new RegExp(`^Invalid value .* for parameter '${f}' supplied: must be milliseconds since 1970 between 0 and 253402300799999`),
        );
      }
    }
    expect(await rowCounts()).toEqual(before);
    // The last millisecond of 9999 is fine.
    expect(
      (await call('POST', `${M}runs/log-metric`, { run_id: run, key: 'late', value: 1, timestamp: Date.parse('9999-12-31T23:59:59.999Z'), step: 0 })).status,
    ).toBe(200);
  });

  it('refuses a body nested 10,000 deep with 400, naming where', async () => {
    const deep = await call('POST', `${M}runs/log-batch`, undefined, `{"run_id":"${run}","tags":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
    expect(deep.status).toBe(400);
    expect(deep.json.message).toMatch(/^tags(\[0\])+: must not nest more than 64 levels of objects and lists$/);
    expect(server().loggedErrors).toEqual([]);
  });
});

function event(patch: (e: Record<string, any>) => void) {
  const e: Record<string, any> = {
    eventType: 'START',
    eventTime: '2026-01-01T00:00:00Z',
    producer: 'https://github.com/runledger/tests',
    schemaURL: SCHEMA_URL,
    run: { runId: randomUUID(), facets: {} },
    job: { namespace: `rules-${randomUUID().slice(0, 8)}`, name: 'job', facets: {} },
    inputs: [],
    outputs: [],
  };
  patch(e);
  return e;
}

describe('OpenLineage door', () => {
  it('refuses NUL and lone surrogates in names, facet keys and facet values, naming the JSON path', async () => {
    const before = await rowCounts();
    for (const [bad, rule] of [
      [NUL, 'nul'],
      [LONE, 'surrogate'],
    ] as const) {
      const cases: [(e: Record<string, any>) => void, string][] = [
        [(e) => (e.job.name = bad), 'job.name'],
        [(e) => (e.job.namespace = bad), 'job.namespace'],
        [(e) => (e.producer = bad), 'producer'],
        [(e) => (e.outputs = [{ namespace: 'ns', name: bad }]), 'outputs[0].name'],
        [(e) => (e.run.facets = { [bad]: { a: 1 } }), `run.facets[${JSON.stringify(bad)}]`],
        [(e) => (e.run.facets = { f: { [bad]: 1 } }), `run.facets.f[${JSON.stringify(bad)}]`],
        [(e) => (e.run.facets = { f: { list: [1, { v: bad }] } }), 'run.facets.f.list[1].v'],
        [(e) => (e.outputs = [{ namespace: 'ns', name: 'd', facets: { version: { datasetVersion: bad } } }]), 'outputs[0].facets.version.datasetVersion'],
        [(e) => (e.job.facets = { sourceCode: { language: bad } }), 'job.facets.sourceCode.language'],
      ];
      for (const [patch, field] of cases) {
        const reply = await call('POST', '/api/v1/lineage', event(patch));
        expect(reply.status, `${field}: ${reply.text}`).toBe(400);
        expect(reply.json.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field, rule });
        expect(reply.json.errors[0].message.startsWith(`${field}: `)).toBe(true);
      }
    }
    expect(await rowCounts()).toEqual(before);
    expect(server().loggedErrors).toEqual([]);
  });

  it('refuses event times in year 0000 or past 9999 (in UTC)', async () => {
    for (const eventTime of ['0000-01-01T00:00:00Z', '9999-12-31T23:59:59-10:00']) {
      const reply = await call(
        'POST',
        '/api/v1/lineage',
        event((e) => (e.eventTime = eventTime)),
      );
      expect(reply.status, reply.text).toBe(400);
      expect(reply.json.errors[0].message).toMatch(/^eventTime: must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z/);
    }
    expect(
      (
        await call(
          'POST',
          '/api/v1/lineage',
          event((e) => (e.eventTime = '9999-12-31T23:59:59Z')),
        )
      ).status,
    ).toBe(201);
  });

  it('refuses a facet nested 10,000 deep with 400, not a stack overflow', async () => {
    const before = await rowCounts();
    for (const deep of [`${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`, `{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`]) {
      const body = JSON.stringify(event(() => {})).replace('"facets":{}', `"facets":{"deep":${deep}}`);
      const reply = await call('POST', '/api/v1/lineage', undefined, body);
      expect(reply.status, reply.text.slice(0, 300)).toBe(400);
      expect(reply.json.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', rule: 'depth' });
      expect(reply.json.errors[0].extensions.field).toMatch(/^run\.facets\.deep\.a/);
    }
    expect(await rowCounts()).toEqual(before);
    expect(server().loggedErrors).toEqual([]);
  });
});
