// The Neo4j projection follows re-linked reads: edges an arrival order made wrong are retracted
// there too (and nodes they leave alone removed), so lineage:verify finds the projection equal
// to PostgreSQL after a shuffled stream. Runs when NEO4J_URI names a server (as in .ci/run).
import { afterAll, describe, expect, it } from 'vitest';
import { openNeo4jTarget } from '../../src/modules/lineage/graph-neo4j.js';
import { verifyProjection } from '../../src/modules/lineage/verify.js';
import { eventStream, shuffled } from '../support/event-stream.js';
import { freshDatabaseUrl } from '../support/fresh-database.js';
import { postEvent } from '../support/openlineage.js';
import { neo4jTestEnv, testConfig, uniqueName, useServer } from '../support/server.js';

const env = neo4jTestEnv('order');
// A database of its own: the outbox is per database, and other files' Neo4j servers would deliver its rows.
const fresh = await freshDatabaseUrl();
afterAll(() => fresh.drop());
const server = useServer(() => {
  const config = testConfig(env ?? {});
  return fresh.url ? { ...config, database: { kind: 'postgres', url: fresh.url, poolSize: 5 } } : config;
});

describe.skipIf(!env)('the Neo4j projection of a shuffled stream', () => {
  it('equals PostgreSQL once drained: retractions reach it', async () => {
    const stream = eventStream({ seed: 24, days: 3, tenant: uniqueName('neo') });
    const worker = server().app.services.lineage.worker!;
    // Drained as it goes, so edges reach Neo4j before a later event retracts them.
    for (const [i, event] of shuffled(stream.events, 11).entries()) {
      expect((await postEvent(server().url, event)).status).toBe(201);
      if (i % 5 === 4) await worker.drainOnce();
    }
    await worker.drainOnce();
    const { sql } = server().app.db;
    const [retracted] = await sql.query<{ n: number; projected: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE EXISTS (SELECT 1 FROM lineage_outbox o WHERE o.retraction_id = x.id AND o.done_at IS NOT NULL))::int AS projected
       FROM lineage_edge_retractions x`,
    );
    expect(retracted!.projected).toBeGreaterThan(0);
    const target = openNeo4jTarget(server().app.config.neo4j!);
    try {
      const report = await verifyProjection(sql, target, { samples: 50, depth: 4 });
      expect(report.walks.differing).toEqual([]);
      expect(report.counts.filter((c) => c.postgres !== c.neo4j)).toEqual([]);
      expect(report.equal).toBe(true);
    } finally {
      await target.driver.close();
    }
  });
});
