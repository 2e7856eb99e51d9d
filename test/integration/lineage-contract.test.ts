// The LineageGraph contract against PostgreSQL (PGlite, or TEST_DATABASE_URL) always, and
// against Neo4j when NEO4J_URI (plus NEO4J_USERNAME / NEO4J_PASSWORD) names a server.
import { openDatabase, type Database } from '../../src/db/database.js';
import { applyPendingMigrations } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';
import { clearProjection, createNeo4jLineageGraph, openNeo4jTarget } from '../../src/modules/lineage/graph-neo4j.js';
import { createPostgresLineageGraph } from '../../src/modules/lineage/postgres-graph-store.js';
import { recordEdges } from '../../src/modules/lineage/store.js';
import { createSyncWorker } from '../../src/modules/lineage/sync-worker.js';
import { type ContractEdge, lineageGraphContract } from '../support/lineage-contract.js';
import { neo4jTestConfig, testConfig } from '../support/server.js';

async function openTestDatabase(): Promise<Database> {
  const db = await openDatabase(testConfig().database);
  await applyPendingMigrations(db);
  return db;
}

async function record(db: Database, edges: readonly ContractEdge[]) {
  // Edges that share an instant go in one call, as a feature's transaction would record them.
  const byInstant = new Map<number, ContractEdge[]>();
  for (const e of edges) byInstant.set(e.createdAt.getTime(), [...(byInstant.get(e.createdAt.getTime()) ?? []), e]);
  for (const [instant, group] of byInstant) await db.sql.transaction((tx) => recordEdges(tx, group, new Date(instant)));
}

lineageGraphContract('PostgreSQL', async () => {
  const db = await openTestDatabase();
  return { graph: createPostgresLineageGraph(db.sql), record: (edges) => record(db, edges), close: () => db.close() };
});

// Its own namespace, so runs sharing one Neo4j (and PostgreSQL database) never see each other's nodes.
const neo4jConfig = neo4jTestConfig('contract');
if (neo4jConfig) {
  lineageGraphContract('Neo4j', async () => {
    const db = await openTestDatabase();
    const target = openNeo4jTarget(neo4jConfig);
    const worker = createSyncWorker(db.sql, target, createLogger('silent'));
    return {
      graph: createNeo4jLineageGraph(target),
      async record(edges) {
        await record(db, edges);
        // Through the outbox, as in production; drained before the test reads.
        await worker.drainOnce();
        if (!worker.healthy) throw new Error('Neo4j did not accept the projection');
      },
      async close() {
        await worker.stop();
        await clearProjection(target);
        await target.driver.close();
        await db.close();
      },
    };
  });
}
