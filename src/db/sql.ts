// A minimal SQL port for the hot paths that bypass Prisma (bulk ingest, search, rollups).
// Both adapters return rows as plain objects with int8 parsed to number and float8 keeping
// NaN and ±Infinity.
import type { PGlite, Transaction as PGliteTransaction } from '@electric-sql/pglite';
import pg from 'pg';

export interface QueryOptions {
  /**
   * Prepares the statement once per connection under this name, so a hot statement is not
   * parsed and planned on every call. Only for fixed SQL text: one name, one text.
   */
  prepareAs?: string;
}

export interface SqlQueryable {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[], options?: QueryOptions): Promise<R[]>;
}

export interface Sql extends SqlQueryable {
  /** Runs `fn` in one transaction; a thrown error rolls everything back. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
}

/** Collects bind values; `add` returns the placeholder for the value just pushed. */
export class SqlParams {
  /** Pass pre-bound values (e.g. the project id as $1); the array is used, not copied. */
  constructor(readonly values: unknown[] = []) {}

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * A table's columns as `alias.column AS "<prefix>name"`: several tables read in one joined row
 * keep their own field names under a prefix, and `takePrefixed` splits them back apart. Each
 * entry is [the column as SQL after `alias.`, the field name].
 */
export function columnList(alias: string, columns: readonly (readonly [string, string])[], prefix = ''): string {
  return columns.map(([column, name]) => `${alias}.${column} AS "${prefix}${name}"`).join(', ');
}

/** The fields of `row` named `<prefix>name`, as an object of `name`s (see columnList). */
export function takePrefixed<T>(row: Record<string, unknown>, prefix: string): T {
  const out: Record<string, unknown> = {};
  for (const key in row) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = row[key];
  return out as T;
}

const INT8 = 20;
const INT8_ARRAY = 1016;
const NUMERIC = 1700;

export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value);
    if (oid === INT8_ARRAY) {
      const parseArray = (pg.types.getTypeParser as (oid: number, format: string) => unknown)(INT8_ARRAY, 'text') as (value: string) => (string | null)[];
      return (value: string) => parseArray(value).map((v) => (v === null ? null : Number(v)));
    }
    return (pg.types.getTypeParser as (oid: number, format: string) => unknown)(oid, format ?? 'text');
  },
};

export function pgSql(pool: pg.Pool): Sql {
  const run = async <R>(client: pg.Pool | pg.PoolClient, text: string, params?: readonly unknown[], options?: QueryOptions) => {
    const result = await client.query({ text, values: params as unknown[] | undefined, types: pgTypes, name: options?.prepareAs });
    return result.rows as R[];
  };
  return {
    query: (text, params, options) => run(pool, text, params, options),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await run(client, 'BEGIN');
        const result = await fn({ query: (text, params, options) => run(client, text, params, options) });
        await run(client, 'COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
  };
}

const pgliteParsers = { [NUMERIC]: (value: string) => Number(value) };

/** `onTransactionStatement` counts statements inside transactions, which bypass PGlite.query. */
export function pgliteSql(db: PGlite, onTransactionStatement: () => void): Sql {
  const run = async <R>(client: PGlite | PGliteTransaction, text: string, params?: readonly unknown[]) => {
    if (client !== db) onTransactionStatement();
    const result = await client.query<R>(text, params as unknown[] | undefined, { parsers: pgliteParsers });
    return result.rows;
  };
  return {
    query: (text, params) => run(db, text, params),
    transaction: (fn) => db.transaction((tx) => fn({ query: (text, params) => run(tx, text, params) })),
  };
}
