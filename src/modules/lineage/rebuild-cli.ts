// `npm run lineage:rebuild [-- --clean]`: re-projects every lineage edge from PostgreSQL into
// Neo4j (NEO4J_URI), in id order and in batches, with a progress bar on stderr. MERGE makes it
// safe to run while the server is up; --clean first deletes the projection (stale nodes too).
import { ConfigError, loadConfig } from '../../config.js';
import { openDatabase } from '../../db/database.js';
import { applyPendingMigrations } from '../../db/migrate.js';
import { clearProjection, createNeo4jDriver, ensureNeo4jSchema, projectEdges } from './graph-neo4j.js';
import { countEdges, edgesAfter, markEdgesProjected } from './store.js';

const BATCH = 5000;

function progressBar(done: number, total: number, startedMs: number): string {
  const width = 30;
  const ratio = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * width);
  const seconds = (performance.now() - startedMs) / 1000;
  const rate = seconds > 0 ? Math.round(done / seconds) : 0;
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(1).padStart(5)}%  ${done.toLocaleString()}/${total.toLocaleString()} edges  ${rate.toLocaleString()}/s `;
}

async function main() {
  const config = loadConfig();
  if (!config.neo4j) throw new ConfigError('NEO4J_URI is not set: there is no projection to rebuild.');
  const db = await openDatabase(config.database);
  const driver = createNeo4jDriver(config.neo4j);
  try {
    await applyPendingMigrations(db);
    await driver.verifyConnectivity();
    await ensureNeo4jSchema(driver);
    if (process.argv.includes('--clean')) {
      process.stderr.write('deleting the current projection...\n');
      await clearProjection(driver);
    }
    const total = await countEdges(db.sql);
    const started = performance.now();
    let done = 0;
    let lastId = 0;
    process.stderr.write(progressBar(0, total, started));
    for (;;) {
      const edges = await edgesAfter(db.sql, lastId, BATCH);
      if (edges.length === 0) break;
      await projectEdges(driver, edges);
      // These edges are in Neo4j now: their outbox rows need not be sent again.
      await markEdgesProjected(db.sql, edges.map((e) => e.id));
      lastId = edges.at(-1)!.id;
      done += edges.length;
      process.stderr.write(progressBar(done, Math.max(total, done), started));
    }
    process.stderr.write(`\nprojected ${done.toLocaleString()} edges in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  } finally {
    await driver.close();
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
