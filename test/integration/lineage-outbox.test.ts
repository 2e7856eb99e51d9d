// With Neo4j configured but unreachable (a port where nothing listens): writes still commit,
// every edge waits in the outbox, retries back off, and lineage reads answer from PostgreSQL.
// No Neo4j server can run on these machines; this is the failure half of its contract.
import { afterAll, describe, expect, it } from 'vitest';
import { createNeo4jLineageGraph, openNeo4jTarget } from '../../src/modules/lineage/graph-neo4j.js';
import { LineageDocument, StartRunDocument } from '../generated/graphql.js';
import { newProject, newRun } from '../support/factories.js';
import { testConfig, uniqueName, useServer } from '../support/server.js';
import { deadPort } from '../support/tcp-proxy.js';
import { freshDatabaseUrl } from '../support/fresh-database.js';

const neo4jUri = `bolt://127.0.0.1:${await deadPort()}`;
// A database of its own on PostgreSQL: the outbox is per database, and servers of other test
// files that reach a real Neo4j would otherwise deliver this file's rows.
const fresh = await freshDatabaseUrl();
afterAll(() => fresh.drop()); // registered first, so it runs after the server has stopped
const server = useServer(() => {
  const config = testConfig({ NEO4J_URI: neo4jUri, NEO4J_USERNAME: 'neo4j', NEO4J_PASSWORD: 'secret' });
  return fresh.url ? { ...config, database: { kind: 'postgres', url: fresh.url, poolSize: 5 } } : config;
});

async function pendingFor(runIds: number[]) {
  const { app } = server();
  return app.db.sql.query<{ edge_id: number; attempts: number; done: boolean; last_error: string | null; backoff: boolean }>(
    `SELECT o.edge_id, o.attempts, o.done_at IS NOT NULL AS done, o.last_error, o.next_attempt_at > o.created_at AS backoff
     FROM lineage_outbox o JOIN lineage_edges e ON e.id = o.edge_id
     WHERE e.to_type = 'Run' AND e.to_id = ANY($1::int[]) ORDER BY o.edge_id`,
    [runIds],
  );
}

const runIdOf = (globalId: string) => Number(Buffer.from(globalId, 'base64').toString('utf8').split(':')[1]);

describe('lineage while Neo4j is unreachable', () => {
  it('commits writes, keeps every edge in the outbox and answers reads from PostgreSQL', async () => {
    const { client, app } = server();
    const project = await newProject(client);
    const commit = Buffer.from(uniqueName('c')).toString('hex').slice(0, 40);
    const parent = await newRun(client, project, { codeVersion: { repository: 'r', commit } });
    const input = { project, clientRunId: uniqueName('job'), parentRunId: parent.id, codeVersion: { repository: 'r', commit } };
    const child = (await client.data(StartRunDocument, { input })).startRun.run;
    await client.data(StartRunDocument, { input }); // a retry records nothing new

    const { lineage } = await client.data(LineageDocument, { id: child.id, direction: 'UPSTREAM' });
    expect(lineage.source).toBe('POSTGRES');
    expect(lineage.nodes).toHaveLength(3);
    expect(lineage.edges).toHaveLength(3);

    const worker = app.services.lineage.worker!;
    expect(worker).not.toBeNull();
    // Drain attempts fail and change nothing but the retry bookkeeping.
    expect(await worker.drainOnce()).toBe(0);
    expect(await worker.drainOnce()).toBe(0);
    expect(worker.healthy).toBe(false);
    expect(worker.failures).toBeGreaterThan(0);

    const rows = await pendingFor([runIdOf(parent.id), runIdOf(child.id)]);
    // commit -> parent, commit -> child, parent -> child: one outbox row each, none done.
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => !r.done)).toBe(true);
    expect(new Set(rows.map((r) => r.edge_id)).size).toBe(3);

    const stats = await app.services.lineage.outboxStats();
    expect(stats.pending).toBeGreaterThanOrEqual(3);

    // Still answering after the failures.
    const again = await client.data(LineageDocument, { id: child.id, direction: 'UPSTREAM' });
    expect(again.lineage).toEqual(lineage);
  });

  it('backs off a batch that Neo4j refused, recording the error on each row', async () => {
    const { client, app } = server();
    const project = await newProject(client);
    const run = await newRun(client, project, { codeVersion: { repository: 'r', commit: Buffer.from(uniqueName('c')).toString('hex').slice(0, 40) } });
    await app.services.lineage.worker!.drainOnce();
    const [row] = await pendingFor([runIdOf(run.id)]);
    // Pending, with the attempt counted, the driver's error kept and the next try pushed back.
    expect(row).toMatchObject({ done: false, backoff: true });
    expect(row!.attempts).toBeGreaterThanOrEqual(1);
    expect(row!.last_error).toBeTruthy();
    // Reads answer meanwhile; the Neo4j adapter itself would have failed.
    expect((await client.data(LineageDocument, { id: run.id })).lineage).toMatchObject({ source: 'POSTGRES' });
    const target = openNeo4jTarget(testConfig({ NEO4J_URI: neo4jUri }).neo4j!);
    try {
      await expect(createNeo4jLineageGraph(target).traverse([{ type: 'Run', id: runIdOf(run.id) }], { direction: 'BOTH', depth: 2 })).rejects.toThrow();
    } finally {
      await target.driver.close();
    }
  });

  it('refuses to change or delete recorded edges', async () => {
    const { client, app } = server();
    const project = await newProject(client);
    const run = await newRun(client, project, { codeVersion: { repository: 'r', commit: 'abcdef12' } });
    const id = runIdOf(run.id);
    await expect(app.db.sql.query(`UPDATE lineage_edges SET role = 'x' WHERE to_type = 'Run' AND to_id = $1`, [id])).rejects.toThrow(/append-only/);
    await expect(app.db.sql.query(`DELETE FROM lineage_edges WHERE to_type = 'Run' AND to_id = $1`, [id])).rejects.toThrow(/append-only/);
    expect(await app.db.sql.query(`SELECT 1 FROM lineage_edges WHERE to_type = 'Run' AND to_id = $1`, [id])).toHaveLength(1);
  });
});
