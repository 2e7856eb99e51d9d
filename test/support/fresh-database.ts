// A database of its own for tests that must see every row change (fuzz) — a fresh in-memory
// PGlite, or, when TEST_DATABASE_URL names a PostgreSQL server, a new database on it that is
// dropped afterwards, so concurrent test files cannot disturb the counts.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../../src/config.js';

export async function freshDatabaseUrl(): Promise<{ url: string | null; drop: () => Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return { url: null, drop: async () => {} };
  const name = `rl_fuzz_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** One database that several servers in turn can open: a fresh one on TEST_DATABASE_URL, or a PGlite directory. */
export async function reopenableDatabase(): Promise<{ database: Config['database']; env: Record<string, string>; drop(): Promise<void> }> {
  const fresh = await freshDatabaseUrl();
  if (fresh.url) return { database: { kind: 'postgres', url: fresh.url, poolSize: 5 }, env: { DATABASE_URL: fresh.url }, drop: fresh.drop };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runledger-reopen-'));
  return { database: { kind: 'pglite', dataDir: dir }, env: { RUNLEDGER_DATA_DIR: dir }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}
