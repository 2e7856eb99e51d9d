// Inputs that used to reach the database or the parser and come back as INTERNAL_SERVER_ERROR:
// each is now a coded 4xx naming what is wrong, and the server is unharmed.
import { beforeAll, describe, expect, it } from 'vitest';
import type { GraphQLClient } from '../support/client.js';
import { newProject, newRun } from '../support/factories.js';
import { newModelVersion } from '../support/registry-factories.js';
import { useServer } from '../support/server.js';

const server = useServer();
let client: GraphQLClient;
let project: string;
let runId: string;
let model: string;

beforeAll(async () => {
  client = server().client;
  project = await newProject(client, 'hostile');
  runId = (await newRun(client, project)).id;
  model = `hostile-model-${Date.now()}`;
  await newModelVersion(server(), client, model, runId);
  await client.data('mutation($i: SetModelAliasInput!) { setModelAlias(input: $i) { __typename } }', { i: { model, alias: 'production', version: 1 } });
});

function nested(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i += 1) value = i % 2 ? [value] : { a: value };
  return value;
}

/** Sends JSON text as written: JSON.stringify itself overflows on values nested thousands deep. */
async function requestRaw(body: string) {
  const res = await fetch(client.endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const json = (await res.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
  return { status: res.status, errors: json.errors };
}

async function expectBadInput(query: string, variables: Record<string, unknown> | string, message: RegExp, code = 'BAD_USER_INPUT') {
  const res =
    typeof variables === 'string' ? await requestRaw(`{"query":${JSON.stringify(query)},"variables":${variables}}`) : await client.request(query, variables);
  expect(res.status, JSON.stringify(res.errors)).toBeLessThan(500);
  expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res.errors)).toBe(code);
  expect(res.errors?.[0]?.message).toMatch(message);
  expect(server().loggedErrors).toEqual([]);
}

const START_RUN = 'mutation($i: StartRunInput!) { startRun(input: $i) { run { id } } }';
const LOG_BATCH = 'mutation($i: LogBatchInput!) { logBatch(input: $i) { pointsWritten } }';
const ALIAS_AT = 'query($m: String!, $at: DateTime!) { registeredModel(name: $m) { aliasAt(name: "production", at: $at) { version } } }';

describe('hostile input is BAD_USER_INPUT, never a 500', () => {
  it('a LIKE or ILIKE pattern ending in a backslash', async () => {
    for (const op of ['LIKE', 'ILIKE', 'NOT LIKE']) {
      await expectBadInput(
        'query($p: String!, $f: String!) { runs(project: $p, filter: $f) { totalCount } }',
        { p: project, f: `params.x ${op} 'a\\\\'` },
        /lone backslash/,
      );
      await expectBadInput(
        'query($p: String!, $f: String!) { runs(project: $p, filter: $f) { totalCount } }',
        { p: project, f: `attributes.name ${op} '%\\\\'` },
        /lone backslash/,
      );
    }
    // An escaped backslash is still a valid pattern.
    const ok = await client.request('query($p: String!, $f: String!) { runs(project: $p, filter: $f) { totalCount } }', {
      p: project,
      f: "params.x LIKE 'a\\\\\\\\'",
    });
    expect(ok.errors).toBeUndefined();
  });

  it('JSON nested thousands of levels', async () => {
    const deepJson = `${'{"a":['.repeat(5000)}1${']}'.repeat(5000)}`;
    await expectBadInput(START_RUN, `{"i":{"project":${JSON.stringify(project)},"environment":${deepJson}}}`, /nest more than 64 levels/);
    const deepNul = `${'['.repeat(5000)}"x\\u0000y"${']'.repeat(5000)}`;
    await expectBadInput(START_RUN, `{"i":{"project":${JSON.stringify(project)},"environment":${deepNul}}}`, /nest more than 64 levels/);
    const literal = `mutation { startRun(input: {project: ${JSON.stringify(project)}, environment: ${'{a: '.repeat(100)}1${'}'.repeat(100)}}) { run { id } } }`;
    await expectBadInput(literal, {}, /nest more than 64 levels/);
  });

  it('NUL inside a JSON key or deep inside a value', async () => {
    await expectBadInput(START_RUN, { i: { project, environment: { 'bad\u0000key': 1 } } }, /NUL/);
    await expectBadInput(START_RUN, { i: { project, environment: nested(60, { k: 'x\u0000y' }) } }, /NUL/);
    await expectBadInput(START_RUN, { i: { project, environment: nested(63, 'x\u0000y') } }, /NUL/);
  });

  it('a query nested 2,000 levels (bounded before parsing)', async () => {
    const deep = `{ ${'a { '.repeat(2000)}b${' }'.repeat(2000)} }`;
    await expectBadInput(deep, {}, /nests brackets more than 128 levels/, 'LIMIT_EXCEEDED');
    const deepList = `query { runs(project: "x", filter: ${'['.repeat(3000)}) { totalCount } }`;
    await expectBadInput(deepList, {}, /nests brackets/, 'LIMIT_EXCEEDED');
    // Brackets inside strings and comments do not count.
    const quoted = `query { runs(project: ${JSON.stringify(project)}, filter: "${'('.repeat(300)}") { totalCount } } # ${'{'.repeat(300)}`;
    const res = await client.request(quoted, {});
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT'); // the filter's own syntax error
  });

  it('timestamps outside PostgreSQL range in logBatch and aliasAt', async () => {
    for (const ts of ['0000-01-01T00:00:00Z', '0000-12-31T23:59:59.999Z']) {
      await expectBadInput(LOG_BATCH, { i: { runId, metrics: [{ key: 'loss', value: 1, step: 1, timestamp: ts }] } }, /DateTime must be between/);
      await expectBadInput(LOG_BATCH, { i: { runId, series: [{ key: 'loss', steps: [1], values: [1], timestamps: [ts] }] } }, /DateTime must be between/);
      await expectBadInput(ALIAS_AT, { m: model, at: ts }, /DateTime must be between/);
    }
    const res = await client.data(ALIAS_AT, { m: model, at: '0001-01-01T00:00:00Z' });
    expect(res).toEqual({ registeredModel: { aliasAt: null } });
  });
});
