// Starts a real server for a test file: PGlite in memory by default, or the PostgreSQL named
// by TEST_DATABASE_URL (as .ci/run does). Tests talk to it over real HTTP.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type App, createApp } from '../../src/app.js';
import { type Config, loadConfig, type Neo4jConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { GraphQLClient } from './client.js';

export interface TestServer {
  app: App;
  url: string;
  client: GraphQLClient;
  /** A client that sends `x-runledger-user: <user>`. */
  as(user: string): GraphQLClient;
  /** A client that sends `Authorization: Bearer <secret>`. */
  withToken(secret: string): GraphQLClient;
  /** Error lines the server logged (unexpected errors, with their cause). */
  loggedErrors: string[];
}

/**
 * Test servers bind loopback, where authentication defaults to off (the local single-user
 * mode), so tracking tests need no tokens; security tests pass RUNLEDGER_AUTH: 'on'.
 */
export function testConfig(overrides: Record<string, string> = {}): Config {
  // Each server gets its own artifact directory, removed when the server stops.
  const artifactDir = mkdtempSync(path.join(tmpdir(), 'runledger-artifacts-'));
  const env: Record<string, string | undefined> = {
    PORT: '0',
    LOG_LEVEL: 'silent',
    RUNLEDGER_SHUTDOWN_GRACE_MS: '5000',
    RUNLEDGER_ARTIFACT_DIR: artifactDir,
    // Test servers sharing one PostgreSQL are replicas to each other's webhook workers: all retry
    // on a test's time scale, so none holds a delivery for the production pauses. Workers wake for
    // their own deliveries and retries; the rare poll keeps idle servers' statement counts exact.
    RUNLEDGER_WEBHOOK_POLL_MS: '30000',
    RUNLEDGER_WEBHOOK_TIMEOUT_MS: '2000',
    RUNLEDGER_WEBHOOK_RETRY_BASE_MS: '100',
    RUNLEDGER_WEBHOOK_RETRY_MAX_MS: '500',
    // These machines run at load 15-30: a live message can be seconds late, which the production
    // grace (2 s) would read as a hole. The tests of holes set their own short grace.
    RUNLEDGER_LIVE_HOLE_GRACE_MS: '8000',
    ...overrides,
  };
  if (process.env.TEST_DATABASE_URL) env.DATABASE_URL = process.env.TEST_DATABASE_URL;
  const config = loadConfig(env);
  // An in-memory PGlite per test file: nothing to clean up, nothing shared.
  if (config.database.kind === 'pglite') return { ...config, database: { kind: 'pglite', dataDir: null } };
  return config;
}

/**
 * The Neo4j named by NEO4J_URI (NEO4J_USERNAME / NEO4J_PASSWORD), as `.ci/run` sets after
 * `scripts/services up`, with a namespace of its own, so test files sharing one Neo4j never see
 * each other's nodes; null when NEO4J_URI is unset (those tests skip).
 */
export function neo4jTestEnv(name: string): Record<string, string> | null {
  if (!process.env.NEO4J_URI) return null;
  return {
    NEO4J_URI: process.env.NEO4J_URI,
    ...(process.env.NEO4J_USERNAME ? { NEO4J_USERNAME: process.env.NEO4J_USERNAME } : {}),
    ...(process.env.NEO4J_PASSWORD ? { NEO4J_PASSWORD: process.env.NEO4J_PASSWORD } : {}),
    RUNLEDGER_NEO4J_NAMESPACE: uniqueName(name),
  };
}

export function neo4jTestConfig(name: string): Neo4jConfig | null {
  const env = neo4jTestEnv(name);
  return env ? testConfig(env).neo4j : null;
}

export async function startServer(config: Config = testConfig()): Promise<TestServer> {
  const errors: string[] = [];
  const log = createLogger('error', { service: 'runledger-test' }, (line) => {
    errors.push(line);
    if (process.env.TEST_LOGS) process.stderr.write(line);
  });
  const app = await createApp(config, { log });
  const { url } = await app.start();
  return {
    app,
    url,
    client: new GraphQLClient(`${url}/graphql`),
    as: (user) => new GraphQLClient(`${url}/graphql`, { 'x-runledger-user': user }),
    withToken: (secret) => new GraphQLClient(`${url}/graphql`, { authorization: `Bearer ${secret}` }),
    loggedErrors: errors,
  };
}

/** Starts one server for the calling test file and stops it afterwards. */
export function useServer(config?: () => Config): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startServer(config?.());
  });
  afterAll(async () => {
    await server?.app.stop();
    const dir = server?.app.config.artifacts.dir;
    if (dir && path.basename(dir).startsWith('runledger-artifacts-')) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    if (!server) throw new Error('server not started yet');
    return server;
  };
}

/** A name no other test (or earlier CI run on the shared PostgreSQL) has used. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * Stops what issues statements of its own in the background (the rollup fold, after folding
 * what is queued; the webhook worker, which also takes deliveries other servers on a shared
 * database queued), so a statement count sees only the request it measures.
 */
export async function quiesceBackground(app: App): Promise<void> {
  await app.services.metrics.foldRollups();
  await app.services.metrics.stop();
  await app.services.webhookWorker.stop();
}
