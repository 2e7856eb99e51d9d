// Property: whatever body or query an MLflow route or POST /api/v1/lineage receives, the answer
// is never a 5xx, always the door's error shape when it is an error, and nothing unexpected is
// logged. MLflow requests are drawn over the whole route table (a new route is covered the day
// it is added): fields that make a valid request, of which one to three are replaced or added
// with values from fast-check: hostile text (NUL, lone surrogates, quotes, LIKE wildcards,
// escapes), numbers out of every range, and JSON nested up to 20,000 deep. OpenLineage events
// start valid and get one to three fields replaced the same way.
// Reproduce with PROPERTY_SEED=<seed> (printed on failure).
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/http/mlflow/routes.js';
import { SCHEMA_URL } from '../support/openlineage.js';
import { startServer, testConfig, type TestServer, uniqueName } from '../support/server.js';

const SEED = Number(process.env.PROPERTY_SEED ?? 20261201);
// Bounded so it finishes in well under a minute on a shared 2-core machine.
const RUNS = Number(process.env.PROPERTY_RUNS ?? 400);

let server: TestServer;
let experiment: string;
let run: string;

beforeAll(async () => {
  server = await startServer(testConfig());
  const created = await mlflow('POST', '/mlflow/experiments/create', { name: uniqueName('prop') });
  experiment = created.json.experiment_id;
  run = (await mlflow('POST', '/mlflow/runs/create', { experiment_id: experiment, start_time: Date.now() })).json.run.info.run_id;
});

afterAll(async () => {
  await server?.app.stop();
});

async function request(method: string, path: string, body?: string) {
  const res = await fetch(`${server.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, text, json };
}

const mlflow = (method: string, path: string, body?: unknown) => request(method, `/api/2.0${path}`, body === undefined ? undefined : JSON.stringify(body));

const SPECIAL = ['\u0000', '\ud800', '\udfff', '\\', '%', '_', "'", '"', '`', '\u202e', '\u001b', '\r\n', 'é', '😀', ' ', 'a', 'Z', '9', '.', '/', '-'];
const hostileText = fc.oneof(
  fc.string({ maxLength: 40 }),
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...SPECIAL), minLength: 1, maxLength: 30 }) },
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom("name LIKE '%c%c%d'", "name LIKE 'abc\\'", "name = 'x' AND run_id = 'y'", "tags.t = 'a'", "metrics.m > 'NaN'", '%', '\\', 'x'.repeat(300)),
);
const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(8_640_000_000_000_000, 8_640_000_000_000_001, -62_167_219_200_000, 253_402_300_800_000, 2 ** 53, -(2 ** 53), 1e308, -1, 0),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e400', '9'.repeat(40), '0x10', ''),
);
/** `depth` levels of lists or objects around a leaf, kept as text: JSON.stringify itself overflows on them. */
class Deep {
  constructor(
    readonly depth: number,
    readonly lists: boolean,
    readonly leaf: string,
  ) {}
  text(): string {
    const [open, close] = this.lists ? ['[', ']'] : ['{"a":', '}'];
    return `${open.repeat(this.depth)}${JSON.stringify(this.leaf)}${close.repeat(this.depth)}`;
  }
}
const deep = fc.tuple(fc.integer({ min: 60, max: 20_000 }), fc.boolean(), hostileText).map(([depth, lists, leaf]) => new Deep(depth, lists, leaf));

/** JSON text of a drawn value, Deep values included. */
function encode(value: unknown): string {
  if (value instanceof Deep) return value.text();
  if (Array.isArray(value)) return `[${value.map(encode).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${encode(v)}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}
const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileText,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileText, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Names MLflow handlers read; the real experiment and run ids let requests reach the services. */
const FIELDS = [
  'name',
  'experiment_id',
  'experiment_ids',
  'experiment_name',
  'run_id',
  'run_uuid',
  'run_name',
  'key',
  'value',
  'timestamp',
  'step',
  'start_time',
  'end_time',
  'status',
  'tags',
  'params',
  'metrics',
  'datasets',
  'filter',
  'order_by',
  'page_token',
  'max_results',
  'view_type',
  'description',
  'alias',
  'version',
  'source',
  'model_id',
  'metric_key',
  'run_ids',
  'start_step',
  'end_step',
  'path',
  'user_id',
  'artifact_location',
];
const fieldValue = fc.oneof(
  { weight: 3, arbitrary: hostileText },
  { weight: 2, arbitrary: hostileValue },
  { weight: 2, arbitrary: fc.constantFrom('id').map(() => run) },
  { weight: 2, arbitrary: fc.constantFrom('id').map(() => experiment) },
  { weight: 1, arbitrary: deep },
  {
    weight: 2,
    arbitrary: fc.array(fc.record({ key: hostileText, value: fc.oneof(hostileText, hostileNumber), timestamp: hostileNumber, step: hostileNumber }), {
      maxLength: 3,
    }),
  },
);
/** Fields that make most routes' requests valid, so a hostile change reaches the services. */
function validFields(): Record<string, unknown> {
  return {
    name: uniqueName('p'),
    experiment_id: experiment,
    experiment_ids: [experiment],
    run_id: run,
    key: 'k',
    value: '1',
    timestamp: Date.now(),
    step: 0,
    metric_key: 'm',
    alias: 'champion',
    version: '1',
  };
}

const mlflowRequest = fc.record({
  route: fc.constantFrom(...ROUTES.filter((r) => !r.rawBody).map((r) => ({ method: r.method, path: r.path }))),
  changes: fc.dictionary(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...Object.keys(validFields())) },
      { weight: 3, arbitrary: fc.constantFrom(...FIELDS) },
      { weight: 1, arbitrary: hostileText },
    ),
    fieldValue,
    {
      minKeys: 1,
      maxKeys: 3,
    },
  ),
  pathParam: fc.oneof(hostileText, fc.constantFrom('m-0', `m-${'0'.repeat(32)}`)),
});

/** Percent-encoded, a lone surrogate as the (invalid) UTF-8 bytes a careless client would send. */
function fillPath(path: string, param: string): string {
  const encoded = param
    .split(/([\ud800-\udfff])/)
    .map((part) => (/^[\ud800-\udfff]$/.test(part) ? '%ED%A0%80' : encodeURIComponent(part)))
    .join('');
  return path.replace(/\{[^}]+\}/g, encoded || 'x');
}

function queryOf(fields: Record<string, unknown>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) query.append(key, typeof item === 'string' ? item : encode(item));
  }
  return query.toString();
}

function expectAnswered(reply: { status: number; text: string; json: any }, what: string) {
  expect(reply.status, `${what}: ${reply.text.slice(0, 500)}`).toBeLessThan(500);
  // A target too long for Node's HTTP parser is refused before any door: 431, no body.
  if (reply.status === 431 && reply.text === '') return false;
  expect(reply.json, `${what}: not JSON: ${reply.text.slice(0, 200)}`).not.toBeNull();
  return true;
}

describe('MLflow routes under hostile bodies and queries', () => {
  it('never answer 5xx, and answer errors as {error_code, message}', async () => {
    await fc.assert(
      fc.asyncProperty(mlflowRequest, async ({ route, changes, pathParam }) => {
        const path = fillPath(route.path, pathParam);
        const fields = { ...validFields(), ...changes };
        const reply =
          route.method === 'GET' ? await request('GET', `/api/2.0${path}?${queryOf(fields)}`) : await request(route.method, `/api/2.0${path}`, encode(fields));
        const what = `${route.method} ${route.path}`;
        if (expectAnswered(reply, what) && reply.status >= 400) expect(Object.keys(reply.json).sort(), what).toEqual(['error_code', 'message']);
        // Later requests need the run alive.
        if (route.path === '/mlflow/runs/delete') await mlflow('POST', '/mlflow/runs/restore', { run_id: run });
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    expect(server.loggedErrors).toEqual([]);
  });
});

const OL_PATHS = [
  'eventType',
  'eventTime',
  'producer',
  'schemaURL',
  'run',
  'run.runId',
  'run.facets',
  'run.facets.parent',
  'run.facets.nominalTime.nominalStartTime',
  'job',
  'job.namespace',
  'job.name',
  'job.facets.sql.query',
  'inputs',
  'inputs.0',
  'inputs.0.name',
  'inputs.0.facets.schema.fields',
  'outputs.0.namespace',
  'outputs.0.facets.version.datasetVersion',
  'outputs.0.outputFacets.outputStatistics.rowCount',
  'dataset',
];

function setPath(target: Record<string, any>, path: string, value: unknown) {
  const parts = path.split('.');
  let at: any = target;
  for (const part of parts.slice(0, -1)) {
    if (at[part] === null || typeof at[part] !== 'object') at[part] = /^\d+$/.test(part) ? [] : {};
    at = at[part];
  }
  at[parts.at(-1)!] = value;
}

describe('POST /api/v1/lineage under hostile events', () => {
  it('never answers 5xx, and answers errors with a code', async () => {
    const namespace = `prop-${randomUUID().slice(0, 8)}`;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...OL_PATHS), fc.oneof(hostileValue, deep)), { minLength: 1, maxLength: 3 }), async (changes) => {
        const event: Record<string, any> = {
          eventType: 'COMPLETE',
          eventTime: '2026-02-01T00:00:00Z',
          producer: 'https://github.com/runledger/tests',
          schemaURL: SCHEMA_URL,
          run: { runId: randomUUID(), facets: {} },
          job: { namespace, name: 'job', facets: {} },
          inputs: [{ namespace, name: 'in' }],
          outputs: [{ namespace, name: 'out' }],
        };
        for (const [path, value] of changes) setPath(event, path, value);
        const reply = await request('POST', '/api/v1/lineage', encode(event));
        if (expectAnswered(reply, encode(changes).slice(0, 300)) && reply.status >= 400) expect(typeof reply.json.errors?.[0]?.extensions?.code).toBe('string');
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    expect(server.loggedErrors).toEqual([]);
  });
});
