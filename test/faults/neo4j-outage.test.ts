// A real Neo4j outage: the test starts a Neo4j of its own (tools/neo4j/start, own port and data
// directory, so the shared one keeps serving other suites), kills it with SIGKILL while a
// writer keeps logging runs and datasets, and starts it again. Writes must keep committing,
// reads fall back to PostgreSQL and say so, /healthz says degraded with a log line naming the
// cause; after the restart the outbox drains with no restart of runledger and the projection
// equals PostgreSQL exactly (lineage:verify, the function and the command). Runs where
// `scripts/services up` installed Java and Neo4j's jars, i.e. when NEO4J_URI is set.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { clearProjection, openNeo4jTarget } from '../../src/modules/lineage/graph-neo4j.js';
import { verifyProjection } from '../../src/modules/lineage/verify.js';
import { LineageDocument, LogInputsDocument, RegisterDatasetVersionDocument, StartRunDocument } from '../generated/graphql.js';
import { GraphQLClient } from '../support/client.js';
import { reopenableDatabase } from '../support/fresh-database.js';
import { eventually } from '../support/live.js';
import { type OwnNeo4j, ownNeo4j } from '../support/neo4j-server.js';
import { testConfig, uniqueName } from '../support/server.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const seconds = (s: number) => (s * 1000) / 25; // eventually() polls every 25 ms

/** Logs runs (with a commit and a parent) and derived dataset versions used by them, until stopped. */
function startWriter(client: GraphQLClient, project: string) {
  let stop = false;
  let written = 0;
  const errors: unknown[] = [];
  const done = (async () => {
    let parent: string | null = null;
    let dataset: string | null = null;
    for (let i = 0; !stop; i += 1) {
      try {
        const digest = Buffer.from(`${project}-${i}`).toString('hex').padEnd(64, '0').slice(0, 64);
        const dv = await client.data(RegisterDatasetVersionDocument, {
          input: { project, dataset: `${project}-data`, version: `v${i}`, digest, ...(dataset ? { derivedFrom: [dataset] } : {}) },
        });
        const version: string = dv.registerDatasetVersion.datasetVersion.id;
        dataset = version;
        const codeVersion = { repository: 'r', commit: digest.slice(0, 40) };
        const runInput = { project, clientRunId: `w-${i}`, codeVersion, ...(parent ? { parentRunId: parent } : {}) };
        const started: string = (await client.data(StartRunDocument, { input: runInput })).startRun.run.id;
        await client.data(LogInputsDocument, { input: { runId: started, datasets: [{ datasetVersionId: version, role: 'train' }] } });
        parent = started;
        written += 1;
      } catch (error) {
        errors.push(error);
      }
    }
  })();
  return {
    get written() {
      return written;
    },
    async stop() {
      stop = true;
      await done;
      return { written, errors };
    },
  };
}

describe.runIf(process.env.NEO4J_URI)('a real Neo4j killed with SIGKILL while runs and datasets are logged', () => {
  let neo: OwnNeo4j;
  let db: Awaited<ReturnType<typeof reopenableDatabase>>;
  let app: App;
  let url: string;
  let client: GraphQLClient;
  const lines: { level: string; msg: string }[] = [];
  const namespace = uniqueName('outage');
  const neo4jEnv = () => ({ NEO4J_URI: neo.uri, NEO4J_USERNAME: 'neo4j', NEO4J_PASSWORD: neo.password, RUNLEDGER_NEO4J_NAMESPACE: namespace });

  beforeAll(async () => {
    neo = await ownNeo4j();
    await neo.start();
    db = await reopenableDatabase();
    const log = createLogger('info', {}, (line) => lines.push(JSON.parse(line) as { level: string; msg: string }));
    app = await createApp({ ...testConfig(neo4jEnv()), database: db.database }, { log });
    url = (await app.start()).url;
    client = new GraphQLClient(`${url}/graphql`);
  }, 600_000);

  let stopped = false;
  afterAll(async () => {
    if (!stopped) await app?.stop();
    await db?.drop();
    await neo?.dispose();
  });

  it('keeps writing, falls back to PostgreSQL, then catches up to an exact copy', async () => {
    const worker = app.services.lineage.worker!;
    const project = uniqueName('outage');
    await client.data('mutation($n: String!) { createProject(input: { name: $n }) { created } }', { n: project });
    const first = (await client.data(StartRunDocument, { input: { project, name: 'first', codeVersion: { repository: 'r', commit: 'abcdef0123' } } })).startRun
      .run;
    const lineageOf = async (id: string) => (await client.data(LineageDocument, { id, direction: 'UPSTREAM' })).lineage;
    await eventually(async () => (await lineageOf(first.id)).source === 'NEO4J', 'reads served by Neo4j', seconds(60));

    const writer = startWriter(client, project);
    await eventually(() => writer.written >= 3, 'the writer is logging', seconds(60));
    neo.kill9();
    const atKill = writer.written;
    await eventually(() => !worker.healthy, 'the worker noticed Neo4j died', seconds(60));
    await eventually(() => writer.written >= atKill + 5, 'writes keep committing during the outage', seconds(120));

    const health = await (await fetch(`${url}/healthz`)).json();
    expect(health).toMatchObject({ status: 'degraded', dependencies: { neo4j: 'unavailable' } });
    const during = await lineageOf(first.id);
    expect(during.source).toBe('POSTGRES');
    const cause = lines.find((l) => l.level === 'warn' && /neo4j at bolt:\/\/127\.0\.0\.1:\d+ is unreachable or dropped the connection/.test(l.msg));
    expect(cause, JSON.stringify(lines)).toBeDefined();
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);

    await neo.start(); // same port and data directory; runledger is not restarted
    await eventually(() => worker.healthy, 'the worker reconnected', seconds(120));
    const { written, errors } = await writer.stop();
    expect(errors).toEqual([]);
    expect(written).toBeGreaterThan(atKill);
    await eventually(async () => worker.healthy && (await app.services.lineage.outboxStats()).pending === 0, 'the outbox drained', seconds(120));
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: 'ok', dependencies: { neo4j: 'ok' } });
    const after = await lineageOf(first.id);
    expect(after.source).toBe('NEO4J');
    expect({ ...after, source: null }).toEqual({ ...during, source: null });

    const target = openNeo4jTarget(testConfig(neo4jEnv()).neo4j!);
    try {
      const report = await verifyProjection(app.db.sql, target, { samples: 30, depth: 4 });
      expect(report.counts.filter((c) => c.postgres !== c.neo4j)).toEqual([]);
      expect(report.walks.differing).toEqual([]);
      expect(report.equal).toBe(true);
      const edges = (await app.db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM lineage_edges'))[0]!.n;
      expect(report.counts.filter((c) => c.what.startsWith('edges ')).reduce((sum, c) => sum + c.neo4j, 0)).toBe(edges);
      // Delivered rows are pruned after their retention, not kept forever.
      const outbox = (await app.db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM lineage_outbox'))[0]!.n;
      expect(outbox).toBeGreaterThan(0);
    } finally {
      await target.driver.close();
    }
  }, 900_000);

  it('lineage:verify exits 0 on an equal projection and 1 once Neo4j lost part of it', async () => {
    await app.stop(); // the command opens the database itself (a PGlite directory has one owner)
    stopped = true;
    const env = { ...process.env, ...db.env, ...neo4jEnv(), LOG_LEVEL: 'silent' };
    const verify = () =>
      run('npx', ['tsx', 'src/modules/lineage/verify-cli.ts', '--samples', '10'], { cwd: root, env }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );
    const equal = await verify();
    expect(equal.stdout).toContain('projection equals PostgreSQL');
    expect(equal.code).toBe(0);

    const target = openNeo4jTarget(testConfig(neo4jEnv()).neo4j!);
    try {
      await clearProjection(target);
    } finally {
      await target.driver.close();
    }
    const differs = await verify();
    expect(differs.stdout).toMatch(/edges INPUT_TO +\d+ +0 +DIFFERENT/);
    expect(differs.stdout).toContain('projection DIFFERS from PostgreSQL');
    expect(differs.code).toBe(1);
  }, 300_000);

  it('with a wrong password: a log line naming the credentials, /healthz degraded, writes commit, nothing lost', async () => {
    const wrong: { level: string; msg: string }[] = [];
    const log = createLogger('warn', {}, (line) => wrong.push(JSON.parse(line) as { level: string; msg: string }));
    const other = await createApp({ ...testConfig({ ...neo4jEnv(), NEO4J_PASSWORD: 'not-the-password' }), database: db.database }, { log });
    try {
      const otherUrl = (await other.start()).url;
      const c = new GraphQLClient(`${otherUrl}/graphql`);
      await eventually(() => (other.services.lineage.worker?.failures ?? 0) > 0, 'the worker tried Neo4j', seconds(30));
      expect(
        wrong.find((l) => l.level === 'warn' && /refused the credentials \(check NEO4J_USERNAME and NEO4J_PASSWORD\)/.test(l.msg)),
        JSON.stringify(wrong),
      ).toBeDefined();
      expect(await (await fetch(`${otherUrl}/healthz`)).json()).toMatchObject({ status: 'degraded', dependencies: { neo4j: 'unavailable' } });
      const project = uniqueName('wrong-pw');
      await c.data('mutation($n: String!) { createProject(input: { name: $n }) { created } }', { n: project });
      const r = (await c.data(StartRunDocument, { input: { project, codeVersion: { repository: 'r', commit: 'beefbeef01' } } })).startRun.run;
      expect((await c.data(LineageDocument, { id: r.id, direction: 'UPSTREAM' })).lineage).toMatchObject({ source: 'POSTGRES' });
      expect((await other.services.lineage.outboxStats()).pending).toBeGreaterThanOrEqual(1);
    } finally {
      await other.stop();
    }
  }, 120_000);
});
