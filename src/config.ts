// The only reader of process.env: validates every variable once and reports all problems together.
import path from 'node:path';
import { z } from 'zod';
import { LIMITS, requireName } from './validation.js';

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
  /** off: requests without a token act as a local admin (allowed only on a loopback bind). */
  readonly auth: 'on' | 'off';
  readonly introspection: boolean;
  readonly limits: RequestLimits;
  /**
   * Content-addressed artifact directory, the largest upload accepted, and the largest GraphQL
   * multipart request (yoga holds multipart files in memory; big files go through PUT).
   */
  readonly artifacts: ArtifactsConfig;
  readonly live: LiveConfig;
  /** The Neo4j lineage projection; null keeps lineage reads on PostgreSQL alone. */
  readonly neo4j: Neo4jConfig | null;
  readonly openLineage: OpenLineageConfig;
  readonly http: HttpConfig;
  /** The URL people reach this server at (links in messages and webhooks); null: the address it listens on. */
  readonly publicUrl: string | null;
  readonly webhooks: WebhookConfig;
  /** Retention deletes an unreferenced blob only when nothing wrote it for this long. */
  readonly retention: { readonly blobQuietMs: number };
  readonly edge: EdgeConfig;
}

/** What the HTTP edge accepts from browsers (src/http/edge.ts); see docs/security.md. */
export interface EdgeConfig {
  /**
   * Host header names served besides the defaults (loopback names, IP addresses and HOST);
   * an entry is a name, `*.domain` for its subdomains, or `name:port`. 'any' turns the check
   * off (behind a proxy that checks Host itself).
   */
  readonly allowedHosts: readonly string[] | 'any';
  /** Origins (scheme://host[:port]) whose pages may call the API besides the server's own. */
  readonly allowedOrigins: readonly string[];
}

/** "a.example,*.b.example,c:8080" as host patterns; "*" alone means any host. */
function hostPatterns(value: string | undefined, ctx: z.RefinementCtx): string[] | 'any' {
  const entries = (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (entries.includes('*')) return 'any';
  for (const entry of entries) {
    if (!/^(\*\.)?([a-z0-9-]+\.)*[a-z0-9-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/.test(entry))
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(entry)}: expected a host name, *.domain, or name:port` });
  }
  return entries;
}

/** "https://a.example,http://localhost:5173" as origins; "*" is refused, since origins are trusted with the caller's credentials. */
function origins(value: string | undefined, ctx: z.RefinementCtx): string[] {
  const out: string[] = [];
  for (const entry of (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    let url: URL | null = null;
    try {
      url = new URL(entry);
    } catch {}
    if (entry === '*') ctx.addIssue({ code: 'custom', message: '"*" is not allowed: list each origin whose pages may act for your users' });
    else if (!url || !/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username || url.password)
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(entry)}: expected an origin such as https://dashboard.example.com (scheme, host and port only)`,
      });
    else out.push(url.origin);
  }
  return out;
}

/**
 * How long the HTTP server keeps connections. Node's 5 s keep-alive default closed clients'
 * pooled connections between a notebook's cells (the next call failed once on a dead socket);
 * 65 s outlives the 60 s idle timeout of common load balancers, so they close first. The
 * headers timeout must exceed the keep-alive timeout, or a request arriving on a connection
 * that is just about to be closed can be cut off.
 */
export interface HttpConfig {
  readonly keepAliveTimeoutMs: number;
  readonly headersTimeoutMs: number;
}

/** How webhook deliveries are sent and retried. */
export interface WebhookConfig {
  /** How often each replica looks for due deliveries. */
  readonly pollMs: number;
  /** How long a receiver has to answer one delivery. */
  readonly timeoutMs: number;
  /** First pause after a failed attempt; doubles per attempt up to retryMaxMs. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** A delivery still failing this long after its event is given up (FAILED); the next in line goes. */
  readonly giveUpAfterMs: number;
  /** Whether webhooks may target loopback and private addresses (default: only when the server binds loopback). */
  readonly allowPrivateTargets: boolean;
}

export interface ArtifactsConfig {
  /** The local store's directory (used when `store` is fs). */
  readonly dir: string;
  readonly maxBytes: number;
  readonly maxMultipartBytes: number;
  readonly store: { readonly kind: 'fs' } | S3StoreConfig;
  /** Whether clients are offered presigned URLs to move bytes to and from the store directly. */
  readonly direct: boolean;
  /** How long a presigned URL stays valid. */
  readonly presignTtlSeconds: number;
  /** The largest chunk a resumable upload session takes in one request. */
  readonly chunkMaxBytes: number;
  /** How long a resumable upload session lives after its last accepted chunk. */
  readonly sessionTtlSeconds: number;
}

export interface S3StoreConfig {
  readonly kind: 's3';
  readonly bucket: string;
  /** Key prefix, '' or ending in '/'. */
  readonly prefix: string;
  /** null: AWS's own endpoint for the region. */
  readonly endpoint: string | null;
  /** Where clients reach the store, for presigned URLs, when it differs from `endpoint`. */
  readonly publicEndpoint: string | null;
  readonly region: string;
  readonly forcePathStyle: boolean;
  /** null: the AWS SDK's default chain (instance role, web identity, shared files). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string } | null;
  readonly partBytes: number;
}

export interface OpenLineageConfig {
  /** OpenLineage namespace -> project name; "*" maps every other namespace. Unmapped: the project named like the namespace. */
  readonly projects: ReadonlyMap<string, string>;
}

/** "ns=project,other=project2,*=fallback" as a map; each problem is reported with the entry. */
function namespaceProjects(value: string | undefined, ctx: z.RefinementCtx): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const at = entry.lastIndexOf('=');
    const [ns, project] = [entry.slice(0, at).trim(), entry.slice(at + 1).trim()];
    if (at <= 0 || !project) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(entry)}: expected namespace=project` });
    else {
      // Project names are display names (MLflow experiment names such as "exp: baseline").
      try {
        map.set(ns, requireName('project', project, LIMITS.projectNameLength));
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `${JSON.stringify(entry)}: project ${JSON.stringify(project)} is not a valid project name (${(error as Error).message})`,
        });
      }
    }
  }
  return map;
}

export interface Neo4jConfig {
  readonly uri: string;
  readonly username: string | null;
  readonly password: string | null;
  /** Prefix of every node key, so several deployments can share one Neo4j ('' for none). */
  readonly namespace: string;
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
  /** How often a metricLogged subscription compares its series' counts with the database. */
  readonly reconcileMs: number;
  /** How long committed points may stay undelivered (a message may be in flight from another replica) before the subscription ends, saying where to resume. */
  readonly holeGraceMs: number;
}

/** Per-request limits; each refusal is a LIMIT_EXCEEDED error naming the limit. */
export interface RequestLimits {
  readonly depth: number;
  readonly aliases: number;
  readonly tokens: number;
  readonly cost: number;
  readonly batch: number;
  readonly bodyBytes: number;
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  RUNLEDGER_DATA_DIR: z.string().min(1).default('.runledger'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  RUNLEDGER_GRAPHIQL: z.enum(['on', 'off']).default('on'),
  RUNLEDGER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  RUNLEDGER_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(65_000),
  RUNLEDGER_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(66_000),
  // Unset: off on a loopback bind (npm start just works), on anywhere else.
  RUNLEDGER_AUTH: z.enum(['on', 'off']).optional(),
  RUNLEDGER_INTROSPECTION: z.enum(['on', 'off']).default('on'),
  RUNLEDGER_MAX_DEPTH: z.coerce.number().int().min(1).default(15),
  RUNLEDGER_MAX_ALIASES: z.coerce.number().int().min(0).default(50),
  RUNLEDGER_MAX_TOKENS: z.coerce.number().int().min(100).default(20_000),
  RUNLEDGER_MAX_COST: z.coerce.number().int().min(1).default(50_000),
  RUNLEDGER_MAX_BATCH: z.coerce.number().int().min(1).default(10),
  RUNLEDGER_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024 * 1024),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  RUNLEDGER_PUBSUB_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'letters, digits, _ . : - only (1 to 100)')
    .default('runledger'),
  RUNLEDGER_LIVE_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).max(10_000).default(100),
  RUNLEDGER_LIVE_MAX_KEYS: z.coerce.number().int().min(1).max(10_000).default(50),
  RUNLEDGER_LIVE_QUEUE_POINTS: z.coerce.number().int().min(1).max(10_000_000).default(50_000),
  RUNLEDGER_LIVE_REPLAY_PAGE: z.coerce.number().int().min(1).max(100_000).default(10_000),
  RUNLEDGER_LIVE_RECONCILE_MS: z.coerce.number().int().min(100).max(3_600_000).default(5_000),
  RUNLEDGER_LIVE_HOLE_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(2_000),
  RUNLEDGER_ARTIFACT_DIR: z.string().min(1).optional(),
  RUNLEDGER_MAX_ARTIFACT_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .default(5 * 1024 ** 3),
  RUNLEDGER_MAX_MULTIPART_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .default(100 * 1024 ** 2),
  // s3://bucket/prefix puts artifact bytes in S3-compatible object storage; unset keeps them in RUNLEDGER_ARTIFACT_DIR.
  RUNLEDGER_ARTIFACT_STORE: z
    .string()
    .regex(
      /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s]*)?$/,
      'must be s3://bucket or s3://bucket/prefix (bucket: 3-63 lowercase letters, digits, dots, hyphens)',
    )
    .optional(),
  RUNLEDGER_S3_ENDPOINT: url().optional(),
  AWS_ENDPOINT_URL_S3: url().optional(),
  AWS_ENDPOINT_URL: url().optional(),
  RUNLEDGER_S3_PUBLIC_ENDPOINT: url().optional(),
  AWS_REGION: z.string().min(1).optional(),
  AWS_DEFAULT_REGION: z.string().min(1).optional(),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
  RUNLEDGER_S3_PATH_STYLE: z.enum(['on', 'off']).optional(),
  RUNLEDGER_S3_PART_BYTES: z.coerce
    .number()
    .int()
    .min(5 * 1024 ** 2)
    .max(5 * 1024 ** 3)
    .default(8 * 1024 ** 2),
  RUNLEDGER_ARTIFACT_DIRECT: z.enum(['on', 'off']).default('off'),
  RUNLEDGER_PRESIGN_TTL_SECONDS: z.coerce.number().int().min(60).max(604_800).default(900),
  RUNLEDGER_UPLOAD_CHUNK_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .max(5 * 1024 ** 3)
    .default(64 * 1024 ** 2),
  RUNLEDGER_UPLOAD_SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(30 * 86_400)
    .default(86_400),
  NEO4J_URI: z
    .string()
    .regex(/^(bolt|neo4j)(\+s|\+ssc)?:\/\//, 'must start with bolt:// or neo4j:// (optionally +s or +ssc)')
    .optional(),
  NEO4J_USERNAME: z.string().min(1).optional(),
  NEO4J_PASSWORD: z.string().optional(),
  RUNLEDGER_NEO4J_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{0,100}$/, 'letters, digits, _ . - only (up to 100)')
    .default(''),
  // Which project each OpenLineage namespace writes into: "namespace=project,...,*=project".
  RUNLEDGER_OPENLINEAGE_PROJECTS: z.string().optional().transform(namespaceProjects),
  RUNLEDGER_PUBLIC_URL: z
    .string()
    .regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, 'must be an http(s) URL, e.g. https://runledger.example.com')
    .optional(),
  RUNLEDGER_WEBHOOK_POLL_MS: z.coerce.number().int().min(10).max(600_000).default(1000),
  RUNLEDGER_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  RUNLEDGER_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(10_000),
  RUNLEDGER_WEBHOOK_RETRY_MAX_MS: z.coerce.number().int().min(10).max(86_400_000).default(3_600_000),
  RUNLEDGER_WEBHOOK_GIVE_UP_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(30 * 86_400_000)
    .default(86_400_000),
  RUNLEDGER_RETENTION_BLOB_QUIET_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(30 * 86_400_000)
    .default(600_000),
  // Unset: allowed when HOST is loopback (a developer's machine), refused otherwise (SSRF).
  RUNLEDGER_WEBHOOK_PRIVATE_TARGETS: z.enum(['on', 'off']).optional(),
  // Browsers: extra Host names to serve and origins whose pages may call the API (docs/security.md).
  RUNLEDGER_ALLOWED_HOSTS: z.string().optional().transform(hostPatterns),
  RUNLEDGER_ALLOWED_ORIGINS: z.string().optional().transform(origins),
});

function url() {
  return z.string().regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, 'must be an http:// or https:// URL');
}

/** The artifact store the variables describe; each problem is reported with the variable's name. */
function artifactStore(e: z.infer<typeof envSchema>, problems: string[]): ArtifactsConfig['store'] {
  if (!e.RUNLEDGER_ARTIFACT_STORE) {
    if (e.RUNLEDGER_ARTIFACT_DIRECT === 'on')
      problems.push('  RUNLEDGER_ARTIFACT_DIRECT: "on" needs RUNLEDGER_ARTIFACT_STORE=s3://... (the local store has no presigned URLs)');
    return { kind: 'fs' };
  }
  const rest = e.RUNLEDGER_ARTIFACT_STORE.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  const endpoint = e.RUNLEDGER_S3_ENDPOINT ?? e.AWS_ENDPOINT_URL_S3 ?? e.AWS_ENDPOINT_URL ?? null;
  if (!!e.AWS_ACCESS_KEY_ID !== !!e.AWS_SECRET_ACCESS_KEY) problems.push('  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: set both or neither');
  return {
    kind: 's3',
    bucket,
    prefix: prefix ? `${prefix}/` : '',
    endpoint,
    publicEndpoint: e.RUNLEDGER_S3_PUBLIC_ENDPOINT ?? null,
    region: e.AWS_REGION ?? e.AWS_DEFAULT_REGION ?? 'us-east-1',
    // Most S3-compatible servers want bucket-in-path; AWS itself prefers virtual hosts.
    forcePathStyle: (e.RUNLEDGER_S3_PATH_STYLE ?? (endpoint ? 'on' : 'off')) === 'on',
    credentials:
      e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY
        ? { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY, ...(e.AWS_SESSION_TOKEN ? { sessionToken: e.AWS_SESSION_TOKEN } : {}) }
        : null,
    partBytes: e.RUNLEDGER_S3_PART_BYTES,
  };
}

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const e = parsed.data;
  const auth = e.RUNLEDGER_AUTH ?? (isLoopbackHost(e.HOST) ? 'off' : 'on');
  if (auth === 'off' && !isLoopbackHost(e.HOST)) {
    throw new ConfigError(
      `Invalid configuration:\n  RUNLEDGER_AUTH: "off" is only allowed when HOST is a loopback address (127.0.0.1, ::1, localhost); ` +
        `HOST is ${JSON.stringify(e.HOST)}. Create a token with \`npm run token:create -- --admin\` and leave authentication on.`,
    );
  }
  if (e.RUNLEDGER_HEADERS_TIMEOUT_MS <= e.RUNLEDGER_KEEP_ALIVE_TIMEOUT_MS) {
    throw new ConfigError(
      `Invalid configuration:\n  RUNLEDGER_HEADERS_TIMEOUT_MS: must be greater than RUNLEDGER_KEEP_ALIVE_TIMEOUT_MS (${e.RUNLEDGER_KEEP_ALIVE_TIMEOUT_MS}); got ${e.RUNLEDGER_HEADERS_TIMEOUT_MS}`,
    );
  }
  const storeProblems: string[] = [];
  const store = artifactStore(e, storeProblems);
  if (storeProblems.length) throw new ConfigError(`Invalid configuration:\n${storeProblems.join('\n')}`);
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
    auth,
    introspection: e.RUNLEDGER_INTROSPECTION === 'on',
    limits: Object.freeze({
      depth: e.RUNLEDGER_MAX_DEPTH,
      aliases: e.RUNLEDGER_MAX_ALIASES,
      tokens: e.RUNLEDGER_MAX_TOKENS,
      cost: e.RUNLEDGER_MAX_COST,
      batch: e.RUNLEDGER_MAX_BATCH,
      bodyBytes: e.RUNLEDGER_MAX_BODY_BYTES,
    }),
    live: Object.freeze({
      redisUrl: e.REDIS_URL ?? null,
      prefix: e.RUNLEDGER_PUBSUB_PREFIX,
      maxSubscriptionsPerConnection: e.RUNLEDGER_LIVE_MAX_SUBSCRIPTIONS,
      maxKeysPerSubscription: e.RUNLEDGER_LIVE_MAX_KEYS,
      queuePoints: e.RUNLEDGER_LIVE_QUEUE_POINTS,
      replayPageSize: e.RUNLEDGER_LIVE_REPLAY_PAGE,
      reconcileMs: e.RUNLEDGER_LIVE_RECONCILE_MS,
      holeGraceMs: e.RUNLEDGER_LIVE_HOLE_GRACE_MS,
    }),
    artifacts: Object.freeze({
      dir: path.resolve(e.RUNLEDGER_ARTIFACT_DIR ?? path.join(e.RUNLEDGER_DATA_DIR, 'artifacts')),
      maxBytes: e.RUNLEDGER_MAX_ARTIFACT_BYTES,
      maxMultipartBytes: e.RUNLEDGER_MAX_MULTIPART_BYTES,
      store: Object.freeze(store),
      direct: e.RUNLEDGER_ARTIFACT_DIRECT === 'on',
      presignTtlSeconds: e.RUNLEDGER_PRESIGN_TTL_SECONDS,
      chunkMaxBytes: e.RUNLEDGER_UPLOAD_CHUNK_MAX_BYTES,
      sessionTtlSeconds: e.RUNLEDGER_UPLOAD_SESSION_TTL_SECONDS,
    }),
    neo4j: e.NEO4J_URI
      ? { uri: e.NEO4J_URI, username: e.NEO4J_USERNAME ?? null, password: e.NEO4J_PASSWORD ?? null, namespace: e.RUNLEDGER_NEO4J_NAMESPACE }
      : null,
    openLineage: Object.freeze({ projects: e.RUNLEDGER_OPENLINEAGE_PROJECTS }),
    http: Object.freeze({ keepAliveTimeoutMs: e.RUNLEDGER_KEEP_ALIVE_TIMEOUT_MS, headersTimeoutMs: e.RUNLEDGER_HEADERS_TIMEOUT_MS }),
    publicUrl: e.RUNLEDGER_PUBLIC_URL?.replace(/\/+$/, '') ?? null,
    webhooks: Object.freeze({
      pollMs: e.RUNLEDGER_WEBHOOK_POLL_MS,
      timeoutMs: e.RUNLEDGER_WEBHOOK_TIMEOUT_MS,
      retryBaseMs: e.RUNLEDGER_WEBHOOK_RETRY_BASE_MS,
      retryMaxMs: Math.max(e.RUNLEDGER_WEBHOOK_RETRY_MAX_MS, e.RUNLEDGER_WEBHOOK_RETRY_BASE_MS),
      giveUpAfterMs: e.RUNLEDGER_WEBHOOK_GIVE_UP_MS,
      allowPrivateTargets: (e.RUNLEDGER_WEBHOOK_PRIVATE_TARGETS ?? (isLoopbackHost(e.HOST) ? 'on' : 'off')) === 'on',
    }),
    retention: Object.freeze({ blobQuietMs: e.RUNLEDGER_RETENTION_BLOB_QUIET_MS }),
    edge: Object.freeze({ allowedHosts: e.RUNLEDGER_ALLOWED_HOSTS, allowedOrigins: e.RUNLEDGER_ALLOWED_ORIGINS }),
  });
}
