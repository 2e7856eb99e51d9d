// The benchmarks' database: created on first use, so `npm run bench` needs only a server.
import pg from 'pg';

export const DEFAULT_BENCH_URL = 'postgresql://postgres@127.0.0.1:5432/runledger_bench';

export function benchDatabaseUrl(): string {
  return process.env.BENCH_DATABASE_URL ?? DEFAULT_BENCH_URL;
}

export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!exists.rowCount) await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}
