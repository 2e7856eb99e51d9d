// `npm run lineage:verify [-- --samples N --depth D]`: compares the Neo4j projection (NEO4J_URI)
// with PostgreSQL and exits 1 on any difference (see verify.ts), 2 when it cannot check.
import { ConfigError, loadConfig } from '../../config.js';
import { openDatabase } from '../../db/database.js';
import { applyPendingMigrations } from '../../db/migrate.js';
import { openNeo4jTarget } from './graph-neo4j.js';
import { verifyProjection } from './verify.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(`--${name} must be a whole number, 0 or more (got ${process.argv[at + 1]})`);
  return value;
}

async function main(): Promise<number> {
  const config = loadConfig();
  if (!config.neo4j) throw new ConfigError('NEO4J_URI is not set: there is no projection to verify.');
  const options = { samples: option('samples', 20), depth: option('depth', 3) };
  const db = await openDatabase(config.database);
  const target = openNeo4jTarget(config.neo4j);
  try {
    await applyPendingMigrations(db);
    const report = await verifyProjection(db.sql, target, options);
    console.log(`${'count'.padEnd(24)} ${'postgres'.padStart(12)} ${'neo4j'.padStart(12)}`);
    for (const c of report.counts)
      console.log(`${c.what.padEnd(24)} ${String(c.postgres).padStart(12)} ${String(c.neo4j).padStart(12)}${c.postgres === c.neo4j ? '' : '   DIFFERENT'}`);
    console.log(
      `outbox rows waiting: ${report.pending}${report.pending ? '   (the projection is behind; wait for the sync worker or run lineage:rebuild)' : ''}`,
    );
    console.log(`walks compared (depth ${options.depth}, both directions): ${report.walks.checked}, differing: ${report.walks.differing.length}`);
    for (const d of report.walks.differing.slice(0, 5)) console.log(d);
    console.log(report.equal ? 'projection equals PostgreSQL' : 'projection DIFFERS from PostgreSQL');
    return report.equal ? 0 : 1;
  } finally {
    await target.driver.close();
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(2);
  },
);
