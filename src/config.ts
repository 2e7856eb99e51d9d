// The only reader of process.env: validates every variable once and reports all problems together.
import path from 'node:path';
import { z } from 'zod';

export type DatabaseConfig =
  | { kind: 'pglite'; dataDir: string | null } // null: in memory (tests)
  | { kind: 'postgres'; url: string; poolSize: number };

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly database: DatabaseConfig;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  readonly graphiql: boolean;
  readonly shutdownGraceMs: number;
  /** The Neo4j lineage projection; null keeps lineage reads on PostgreSQL alone. */
  readonly neo4j: Neo4jConfig | null;
}

export interface Neo4jConfig {
  readonly uri: string;
  readonly username: string | null;
  readonly password: string | null;
}

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://').optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  RUNLEDGER_DATA_DIR: z.string().min(1).default('.runledger'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  RUNLEDGER_GRAPHIQL: z.enum(['on', 'off']).default('on'),
  RUNLEDGER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  NEO4J_URI: z.string().regex(/^(bolt|neo4j)(\+s|\+ssc)?:\/\//, 'must start with bolt:// or neo4j:// (optionally +s or +ssc)').optional(),
  NEO4J_USERNAME: z.string().min(1).optional(),
  NEO4J_PASSWORD: z.string().optional(),
});

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const e = parsed.data;
  const database: DatabaseConfig = e.DATABASE_URL
    ? { kind: 'postgres', url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE }
    : { kind: 'pglite', dataDir: path.resolve(e.RUNLEDGER_DATA_DIR) };
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    database,
    logLevel: e.LOG_LEVEL,
    graphiql: e.RUNLEDGER_GRAPHIQL === 'on',
    shutdownGraceMs: e.RUNLEDGER_SHUTDOWN_GRACE_MS,
    neo4j: e.NEO4J_URI ? { uri: e.NEO4J_URI, username: e.NEO4J_USERNAME ?? null, password: e.NEO4J_PASSWORD ?? null } : null,
  });
}
