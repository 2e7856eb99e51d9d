// The process around the API: health, GraphiQL, persistence, migrations and graceful stop.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { applyPendingMigrations } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';
import { CreateProjectDocument, LogBatchDocument, SearchRunsDocument } from '../generated/graphql.js';
import { GraphQLClient } from '../support/client.js';
import { newProject, newRun } from '../support/factories.js';
import { startServer, testConfig, uniqueName, useServer } from '../support/server.js';

const server = useServer();
const quiet = createLogger('silent');

describe('the HTTP server', () => {
  it('answers /healthz after checking the database', async () => {
    const res = await fetch(`${server().url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('answers /readyz like /healthz (with the artifact store among the dependencies) and /livez without asking anything', async () => {
    const ready = await fetch(`${server().url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', artifactStore: 'fs', dependencies: { artifactStore: 'ok' } });
    const live = await fetch(`${server().url}/livez`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'alive' });
  });

  it('serves GraphiQL to a browser at /graphql', async () => {
    const res = await fetch(`${server().url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect((await res.text()).toLowerCase()).toContain('graphiql');
  });

  it('reports a query that does not validate with a message naming the field', async () => {
    const result = await server().client.request('{ projects { edges { node { nope } } } }');
    expect(result.errors?.[0]?.message).toContain('nope');
  });

  it('lets in-flight requests finish on stop, then refuses new connections', async () => {
    const own = await startServer();
    const run = await newRun(own.client, await newProject(own.client));
    const metrics = Array.from({ length: 10_000 }, (_, step) => ({ key: 'loss', value: step, step }));
    const before = own.app.db.statementCount();
    const inFlight = own.client.data(LogBatchDocument, { input: { runId: run.id, metrics } });
    // Stop once the server is working on the request: a fixed sleep raced the client's send
    // on a loaded machine, and the still-idle keep-alive connection was closed under it.
    while (own.app.db.statementCount() === before) await new Promise((r) => setTimeout(r, 2));
    const stopped = own.app.stop();
    const result = await inFlight;
    await stopped;
    expect(result.logBatch.pointsWritten).toBe(10_000);
    await expect(fetch(`${own.url}/healthz`)).rejects.toThrow();
  });
});

describe.runIf(!process.env.TEST_DATABASE_URL)('the embedded database', () => {
  it('keeps data across restarts and refuses a second process on the same directory', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'runledger-data-'));
    try {
      const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent', RUNLEDGER_DATA_DIR: dataDir });
      const first = await createApp(config, { log: quiet });
      const { url } = await first.start();
      const name = uniqueName('persisted');
      await new GraphQLClient(`${url}/graphql`).data(CreateProjectDocument, { input: { name } });
      await expect(createApp(config, { log: quiet })).rejects.toThrow(/in use by process/);
      await first.stop();

      const second = await createApp(config, { log: quiet });
      const restarted = await second.start();
      const again = await new GraphQLClient(`${restarted.url}/graphql`).data(CreateProjectDocument, { input: { name } });
      expect(again.createProject.created).toBe(false);
      await second.stop();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('migrations', () => {
  it('apply once when several replicas start together, then are a no-op', async () => {
    const config = testConfig();
    const dbs = await Promise.all([openDatabase(config.database), ...(config.database.kind === 'postgres' ? [openDatabase(config.database)] : [])]);
    try {
      const results = await Promise.all(dbs.map((db) => applyPendingMigrations(db)));
      const appliedTwice = results.flat().filter((name, i, all) => all.indexOf(name) !== i);
      expect(appliedTwice).toEqual([]);
      expect(await applyPendingMigrations(dbs[0]!)).toEqual([]);
      const rows = await dbs[0]!.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL');
      expect(rows[0]!.n).toBeGreaterThan(0);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });

  it('left the schema the app expects (search works on a fresh database)', async () => {
    const { client } = server();
    const project = await newProject(client);
    expect((await client.data(SearchRunsDocument, { project })).runs.totalCount).toBe(0);
  });
});
