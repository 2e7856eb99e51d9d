// `npm run lineage:rebuild [-- --clean]`: re-projects every lineage edge from PostgreSQL into
// Neo4j (NEO4J_URI) with a progress bar on stderr (see rebuild.ts).
import { ConfigError, loadConfig } from '../../config.js';
import { openDatabase } from '../../db/database.js';
import { applyPendingMigrations } from '../../db/migrate.js';
import { openNeo4jTarget } from './graph-neo4j.js';
import { rebuildProjection } from './rebuild.js';

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
  const target = openNeo4jTarget(config.neo4j);
  try {
    await applyPendingMigrations(db);
    const clean = process.argv.includes('--clean');
    if (clean) process.stderr.write('deleting the current projection first...\n');
    const started = performance.now();
    const { edges, ms } = await rebuildProjection(db.sql, target, {
      clean,
      onProgress: (done, total) => process.stderr.write(progressBar(done, total, started)),
    });
    process.stderr.write(`\nprojected ${edges.toLocaleString()} edges in ${(ms / 1000).toFixed(1)} s\n`);
  } finally {
    await target.driver.close();
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
