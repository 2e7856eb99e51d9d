// Opens the system of record: PGlite in a data directory by default, PostgreSQL when
// DATABASE_URL is set. Prisma and the raw SQL port share one pool (or one PGlite instance).
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { DatabaseConfig } from '../config.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { pgliteSql, pgSql, type Sql } from './sql.js';

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly prisma: PrismaClient;
  readonly sql: Sql;
  readonly adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  /** Statements sent so far; tests use it to prove there is no query per row. */
  statementCount(): number;
  /**
   * Runs `fn` while holding a lock shared by every replica on this database (migrations),
   * giving it an adapter factory to run the schema engine on.
   */
  withMigrationLock<T>(fn: (adapterFactory: SqlMigrationAwareDriverAdapterFactory) => Promise<T>): Promise<T>;
  /** Checks that the database answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// Distinct from the key Prisma's own engine may take, so the two never wait on each other.
const MIGRATION_LOCK_KEY = 0x72756e6c; // "runl"

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  let statements = 0;
  const count = () => {
    statements += 1;
  };
  if (config.kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: config.url, max: config.poolSize });
    pool.on('error', () => {}); // idle-client errors surface on the next query instead of crashing
    // A server restart also errors clients that are checked out (e.g. held by a transaction);
    // unhandled, that 'error' event would kill the process. The pending query still fails,
    // and the pool drops the broken client on release.
    pool.on('connect', (client) => client.on('error', () => {}));
    countPoolStatements(pool, count);
    const adapterFactory = new PrismaPg(pool);
    const prisma = new PrismaClient({ adapter: adapterFactory });
    const sql = pgSql(pool);
    return {
      kind: 'postgres',
      prisma,
      sql,
      adapterFactory,
      statementCount: () => statements,
      ping: async () => {
        await pool.query('SELECT 1');
      },
      async withMigrationLock(fn) {
        // A session-level advisory lock on a dedicated connection: replicas starting together
        // queue here, and the second finds nothing left to apply.
        const client = await pool.connect();
        try {
          await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
          // The schema engine takes its own session advisory lock and may release it on another
          // pooled connection, leaving it held for the life of the app (and every other replica
          // starting meanwhile timing out). A one-connection pool closed afterwards cannot leak it.
          const enginePool = new pg.Pool({ connectionString: config.url, max: 1 });
          enginePool.on('error', () => {});
          try {
            return await fn(new PrismaPg(enginePool));
          } finally {
            await enginePool.end();
          }
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
          client.release();
        }
      },
      async close() {
        await prisma.$disconnect();
        await pool.end();
      },
    };
  }

  const releaseLock = config.dataDir ? await lockDataDir(config.dataDir) : async () => {};
  const db = config.dataDir ? await PGlite.create({ dataDir: config.dataDir }) : await PGlite.create();
  countPgliteStatements(db, count);
  const adapterFactory = new PrismaPGlite(db);
  const prisma = new PrismaClient({ adapter: adapterFactory });
  return {
    kind: 'pglite',
    prisma,
    sql: pgliteSql(db, count),
    adapterFactory,
    statementCount: () => statements,
    ping: async () => {
      await db.query('SELECT 1');
    },
    withMigrationLock: (fn) => fn(adapterFactory), // the data-directory lock already makes this process the only one
    async close() {
      await prisma.$disconnect();
      await db.close();
      await releaseLock();
    },
  };
}

// Every statement, from Prisma or from the SQL port, passes through a pooled client's
// query() (pool.query borrows a client too), so counting there counts each exactly once.
function countPoolStatements(pool: pg.Pool, count: () => void) {
  pool.on('connect', (client) => {
    const clientQuery = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      count();
      return clientQuery(...args);
    };
  });
}

function countPgliteStatements(db: PGlite, count: () => void) {
  const query = db.query.bind(db);
  db.query = ((...args: Parameters<PGlite['query']>) => {
    count();
    return query(...args);
  }) as PGlite['query'];
}

// PGlite is single-process: a second server on the same data directory would corrupt it,
// so the directory is claimed with a lock file naming the owning process.
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, 'runledger.lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(lockPath, 'utf8').catch(() => ''));
      if (owner && isAlive(owner)) {
        throw new Error(
          `The embedded database in ${dataDir} is in use by process ${owner}. ` +
            'Stop it, or set RUNLEDGER_DATA_DIR to another directory, or DATABASE_URL to share a PostgreSQL server.',
        );
      }
      await rm(lockPath, { force: true }); // stale lock from a process that died without closing
    }
  }
  throw new Error(`Could not lock ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
