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
  /**
   * Content-addressed artifact directory, the largest upload accepted, and the largest GraphQL
   * multipart request (yoga holds multipart files in memory; big files go through PUT).
   */
  readonly artifacts: { readonly dir: string; readonly maxBytes: number; readonly maxMultipartBytes: number };
  readonly live: LiveConfig;
  /** The Neo4j lineage projection; null keeps lineage reads on PostgreSQL alone. */
  readonly neo4j: Neo4jConfig | null;
}

export interface Neo4jConfig {
  readonly uri: string;
  readonly username: string | null;
  readonly password: string | null;
}

export interface LiveConfig {
  /** null: in-process pub/sub (one server); set: Redis pub/sub shared by every replica. */
  readonly redisUrl: string | null;
  /** Prefixes every Redis channel, so several deployments (or tests) can share one Redis. */
  readonly prefix: string;
  readonly maxSubscriptionsPerConnection: number;
  readonly maxKeysPerSubscription: number;
  /** Points a subscriber may have pending before the slow-consumer policy drops them. */
  readonly queuePoints: number;
  /** Rows per replay query of metricLogged(sinceStep). */
  readonly replayPageSize: number;
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
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  RUNLEDGER_PUBSUB_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'letters, digits, _ . : - only (1 to 100)').default('runledger'),
  RUNLEDGER_LIVE_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).max(10_000).default(100),
  RUNLEDGER_LIVE_MAX_KEYS: z.coerce.number().int().min(1).max(10_000).default(50),
  RUNLEDGER_LIVE_QUEUE_POINTS: z.coerce.number().int().min(1).max(10_000_000).default(50_000),
  RUNLEDGER_LIVE_REPLAY_PAGE: z.coerce.number().int().min(1).max(100_000).default(10_000),
  RUNLEDGER_ARTIFACT_DIR: z.string().min(1).optional(),
  RUNLEDGER_MAX_ARTIFACT_BYTES: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(5 * 1024 ** 3),
  RUNLEDGER_MAX_MULTIPART_BYTES: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(100 * 1024 ** 2),
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
    live: Object.freeze({
      redisUrl: e.REDIS_URL ?? null,
      prefix: e.RUNLEDGER_PUBSUB_PREFIX,
      maxSubscriptionsPerConnection: e.RUNLEDGER_LIVE_MAX_SUBSCRIPTIONS,
      maxKeysPerSubscription: e.RUNLEDGER_LIVE_MAX_KEYS,
      queuePoints: e.RUNLEDGER_LIVE_QUEUE_POINTS,
      replayPageSize: e.RUNLEDGER_LIVE_REPLAY_PAGE,
    }),
    artifacts: Object.freeze({
      dir: path.resolve(e.RUNLEDGER_ARTIFACT_DIR ?? path.join(e.RUNLEDGER_DATA_DIR, 'artifacts')),
      maxBytes: e.RUNLEDGER_MAX_ARTIFACT_BYTES,
      maxMultipartBytes: e.RUNLEDGER_MAX_MULTIPART_BYTES,
    }),
    neo4j: e.NEO4J_URI ? { uri: e.NEO4J_URI, username: e.NEO4J_USERNAME ?? null, password: e.NEO4J_PASSWORD ?? null } : null,
  });
}
