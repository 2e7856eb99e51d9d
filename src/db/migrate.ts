// Applies and creates migrations of prisma/migrations with the wasm schema engine.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { Database } from './database.js';
import { migrationsDir, noFilters, openSchemaEngine, readMigrationList, schemaPath } from './schema-engine.js';

/** Applies pending migrations; safe when several replicas start at once. Returns the names applied. */
export async function applyPendingMigrations(db: Database): Promise<string[]> {
  return db.withMigrationLock(async (adapterFactory) => {
    const engine = await openSchemaEngine(adapterFactory);
    try {
      const result = await engine.applyMigrations({ migrationsList: await readMigrationList(), filters: noFilters });
      return result.appliedMigrationNames;
    } finally {
      engine.free();
    }
  });
}

/**
 * Writes prisma/migrations/<timestamp>_<name>/migration.sql with the SQL that takes the
 * migration history to schema.prisma. Runs on throwaway in-memory databases, so no server
 * is needed. Returns the new directory, or null when the schema has no changes.
 */
export async function createMigration(name: string, now = new Date()): Promise<string | null> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error('Migration name must match [a-z0-9_]+');
  const scratch = await PGlite.create();
  const engine = await openSchemaEngine(new PrismaPGlite(scratch));
  try {
    const list = await readMigrationList();
    const schema = await readFile(schemaPath, 'utf8');
    const diff = await engine.diff({
      from: list.migrationDirectories.length > 0 ? { tag: 'migrations', ...list } : { tag: 'empty' },
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
      script: true,
      exitCode: null,
      filters: noFilters,
    });
    const sql = diff.stdout ?? '';
    if (!sql.trim() || sql.includes('empty migration')) return null;
    const stamp = now.toISOString().replace(/\D/g, '').slice(0, 14);
    const dir = path.join(migrationsDir, `${stamp}_${name}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'migration.sql'), sql);
    return dir;
  } finally {
    engine.free();
    await scratch.close();
  }
}
