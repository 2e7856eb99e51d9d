// Property: whatever values any argument of any query or mutation gets, the answer is never a
// 5xx or INTERNAL_SERVER_ERROR, nothing unexpected is logged, and the server keeps serving.
// Values come from fast-check, driven by the schema itself: every argument type (scalars,
// enums, lists, input objects) has a generator of hostile values, so a new field is covered
// the day it is added. Reproduce with PROPERTY_SEED=<seed> (printed on failure).
import fc from 'fast-check';
import {
  getNamedType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  GraphQLEnumType,
  type GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  type GraphQLObjectType,
  GraphQLScalarType,
  isLeafType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../src/schema.js';
import { startServer, testConfig, type TestServer, uniqueName } from '../support/server.js';
import { tokenFor } from '../support/users.js';

const SEED = Number(process.env.PROPERTY_SEED ?? 20261128);
// Bounded so it finishes in well under a minute on a shared 2-core machine.
const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);

let server: TestServer;
let admin: string;
let viewer: string;
let project: string;
let runId: string;

beforeAll(async () => {
  server = await startServer(testConfig({ RUNLEDGER_AUTH: 'on' }));
  admin = await tokenFor(server, uniqueName('admin'), true);
  viewer = await tokenFor(server, uniqueName('nobody'));
  project = uniqueName('prop');
  const client = server.withToken(admin);
  await client.data('mutation($n: String!) { createProject(input: {name: $n}) { created } }', { n: project });
  runId = (
    await client.data<{ startRun: { run: { id: string } } }, unknown>('mutation($p: String!) { startRun(input: {project: $p}) { run { id } } }', { p: project })
  ).startRun.run.id;
});

afterAll(async () => {
  await server?.app.stop();
});

const hostileStrings = [
  '',
  ' ',
  '\\',
  "'",
  '"',
  '%',
  '_',
  '%\\',
  'a\\',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '../../etc/passwd',
  "'; DROP TABLE runs; --",
  'metrics.loss < 1',
  "params.x LIKE 'a\\\\'",
  '((((((',
  'NaN',
  '-Infinity',
  '0000-01-01T00:00:00Z',
  'x'.repeat(10_000),
];
const base64 = (s: string) => Buffer.from(s).toString('base64');

// The run and project made above, so some generated calls reach deep into resolvers.
const realIds = () => fc.constantFrom(runId, project);

const idArb = () =>
  fc.oneof(
    realIds(),
    fc.constantFrom(...hostileStrings),
    fc
      .constantFrom('Run', 'Project', 'Artifact', 'CodeCommit', 'DatasetVersion', 'ModelVersion', 'ApiToken', 'Nope')
      .chain((t) => fc.constantFrom('0', '-1', '1', '2', '1e309', '99999999999999999999', 'x', '', '1.5').map((n) => base64(`${t}:${n}`))),
    fc.string(),
  );

function scalarArb(name: string): fc.Arbitrary<unknown> {
  switch (name) {
    case 'String':
      return fc.oneof(fc.constantFrom(...hostileStrings), fc.string(), fc.string({ unit: 'binary' }), realIds());
    case 'ID':
      return idArb();
    case 'Int':
      return fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 1.5));
    case 'Float':
      return fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(0, -0, 1e308, -1e308));
    case 'SafeInt':
      return fc.oneof(fc.maxSafeInteger(), fc.constantFrom(0, -1, 2 ** 53, -(2 ** 53), 1.5));
    case 'Boolean':
      return fc.boolean();
    case 'DateTime':
      return fc.oneof(
        fc.constantFrom(
          '0000-01-01T00:00:00Z',
          '0001-01-01T00:00:00Z',
          '9999-12-31T23:59:59.999Z',
          '2026-02-30T00:00:00Z',
          'yesterday',
          '-000001-01-01T00:00:00Z',
          '+275760-09-13T00:00:00Z',
        ),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      );
    case 'MetricValue':
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('NaN', 'Infinity', '-Infinity', 'nan', '1'));
    case 'JSON':
      return fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.constantFrom({ 'k\u0000': 1 }, { a: 'x\u0000' }, { hardware: { gpus: 'many' } }, { hardware: { gpus: -1 } }, { gpu_count: 1e308 }),
        fc.integer({ min: 60, max: 200 }).map((depth) => {
          let v: unknown = 1;
          for (let i = 0; i < depth; i += 1) v = { a: v };
          return v;
        }),
      );
    default:
      return fc.constant(null); // File (multipart uploads) and anything new: null is always a valid probe
  }
}

function valueArb(type: GraphQLInputType, depth: number): fc.Arbitrary<unknown> {
  if (type instanceof GraphQLNonNull) return valueArb(type.ofType, depth);
  if (type instanceof GraphQLList) return fc.oneof(fc.array(valueArb(type.ofType, depth), { maxLength: 4 }), fc.constant(null));
  if (type instanceof GraphQLEnumType) return fc.oneof(fc.constantFrom(...type.getValues().map((v) => v.name)), fc.constant('NOT_A_VALUE'));
  if (type instanceof GraphQLScalarType) return scalarArb(type.name);
  const input = type as GraphQLInputObjectType;
  if (depth > 3) return fc.constant(null);
  const fields = Object.values(input.getFields());
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of fields) model[field.name] = valueArb(field.type, depth + 1);
  const required = fields.filter((f) => f.type instanceof GraphQLNonNull).map((f) => f.name);
  return fc.record(model, { requiredKeys: required });
}

/** A selection that is valid for the field's type: leaves need none, objects get __typename. */
function selectionOf(field: GraphQLField<unknown, unknown>): string {
  return isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
}

interface Operation {
  kind: 'query' | 'mutation';
  field: GraphQLField<unknown, unknown>;
}

const operations: Operation[] = [
  ...Object.values((schema.getQueryType() as GraphQLObjectType).getFields()).map((field) => ({ kind: 'query' as const, field })),
  ...Object.values((schema.getMutationType() as GraphQLObjectType).getFields()).map((field) => ({ kind: 'mutation' as const, field })),
];

function documentOf(op: Operation): string {
  const args = op.field.args as readonly GraphQLArgument[];
  const vars = args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const call = args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
  return `${op.kind}${vars ? `(${vars})` : ''} { ${op.field.name}${call}${selectionOf(op.field)} }`;
}

const byName = new Map(operations.map((op) => [`${op.kind} ${op.field.name}`, op]));
const caseArb = fc.constantFrom(...byName.keys()).chain((name) => {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const arg of byName.get(name)!.field.args) model[arg.name] = valueArb(arg.type, 0);
  return fc.record({ name: fc.constant(name), variables: fc.record(model), asAdmin: fc.boolean() });
});

describe('every argument of the schema, with hostile values', () => {
  it(`never answers 5xx or INTERNAL_SERVER_ERROR and keeps serving (${RUNS} runs, seed ${SEED})`, { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ name, variables, asAdmin }) => {
        const op = byName.get(name)!;
        const res = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${asAdmin ? admin : viewer}` },
          body: JSON.stringify({ query: documentOf(op), variables }),
        });
        const text = await res.text();
        const where = `${name}(${JSON.stringify(variables).slice(0, 300)}): ${res.status} ${text.slice(0, 300)}`;
        expect(res.status, where).toBeLessThan(500);
        expect(text, where).not.toContain('INTERNAL_SERVER_ERROR');
        expect(server.loggedErrors, where).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(operations.length).toBeGreaterThanOrEqual(30); // the walk really covers the schema
  });
});
