// Builds the service: database, migrations, GraphQL over HTTP, health check, graceful stop.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { GraphQLError } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Config } from './config.js';
import { type Context, createContext } from './context.js';
import { type Database, openDatabase } from './db/database.js';
import { applyPendingMigrations } from './db/migrate.js';
import { DomainError } from './errors.js';
import { createErrorMasker, unavailableError } from './errors-graphql.js';
import { isDatabaseUnavailable } from './db/unavailable.js';
import { createEdge, REQUEST_ID_HEADER } from './http/edge.js';
import { guardServer } from './http/edge/guard.js';
import { createHealthRoutes } from './http/health.js';
import { useRequestLimits } from './graphql-limits.js';
import { createGraphiQL } from './http/graphiql.js';
import { createWebRoutes } from './http/web/routes.js';
import { createLinks } from './links.js';
import { createLogger, type Logger } from './logger.js';
import { useAuditLog } from './modules/audit/plugin.js';
import { Access } from './modules/auth/access.js';
import { authenticate, credentialsFromHeaders } from './modules/auth/authenticate.js';
import { createOpenLineageRoutes } from './http/openlineage/routes.js';
import { createMarquezRoutes } from './http/marquez/routes.js';
import { createArtifactRoutes } from './modules/artifacts/http.js';
import { useMlflowGraphQL } from './http/mlflow/graphql.js';
import { createMlflowRoutes, mlflowDoorErrors } from './http/mlflow/router.js';
import { openArtifactStore } from './modules/artifacts/open-store.js';
import { createMemoryPubSub } from './modules/live/pubsub-memory.js';
import { createRedisPubSub } from './modules/live/pubsub-redis.js';
import { useSharedSubscriptionExecution } from './modules/live/shared-execution.js';
import { attachGraphQLWebSocket } from './modules/live/websocket.js';
import { schema } from './schema.js';
import { createServices, type Services } from './services.js';

export interface App {
  readonly config: Config;
  readonly db: Database;
  readonly services: Services;
  readonly yoga: YogaServerInstance<Record<string, never>, Context>;
  readonly log: Logger;
  /** Listens on config.port (0 picks a free port); resolves with the bound address. */
  start(): Promise<{ port: number; url: string }>;
  /**
   * Stops accepting requests, completes live subscriptions, lets in-flight requests finish (up
   * to the grace period), closes WebSocket connections and pub/sub, then the database.
   */
  stop(): Promise<void>;
}

export async function createApp(config: Config, options: { log?: Logger } = {}): Promise<App> {
  const log = options.log ?? createLogger(config.logLevel, { service: 'runledger' });
  const db = await openDatabase(config.database);
  const applied = await applyPendingMigrations(db);
  if (applied.length) log.info('applied migrations', { migrations: applied });
  const pubsub = config.live.redisUrl ? createRedisPubSub({ url: config.live.redisUrl, prefix: config.live.prefix, log }) : createMemoryPubSub();
  // neo4j-driver is loaded only when Neo4j is configured.
  const neo4j = config.neo4j ? (await import('./modules/lineage/projection.js')).openNeo4jProjection(db.sql, config.neo4j, log) : null;
  // Links in messages and webhooks point at the public URL, else at where this server listens.
  let listening = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port || 4000}`;
  const links = createLinks(() => config.publicUrl ?? listening);
  const services = createServices(db, {
    links,
    webhooks: config.webhooks,
    retention: config.retention,
    artifactStore: openArtifactStore(config.artifacts, log),
    maxArtifactBytes: config.artifacts.maxBytes,
    pubsub,
    live: config.live,
    log,
    neo4j,
    openLineage: config.openLineage,
    presignTtlSeconds: config.artifacts.presignTtlSeconds,
    uploadSessions: { chunkMaxBytes: config.artifacts.chunkMaxBytes, ttlSeconds: config.artifacts.sessionTtlSeconds },
  });
  // Who is calling, from a request's headers: the one way every HTTP door authenticates.
  const accessFromHeaders = async (headers: Headers) =>
    new Access(await authenticate(services.auth, config.auth, credentialsFromHeaders(headers)), services.auth);
  const handleArtifactRequest = createArtifactRoutes(services, log, {
    graphqlEndpoint: '/graphql',
    maxMultipartBytes: config.artifacts.maxMultipartBytes,
    maxBodyBytes: config.limits.bodyBytes,
    access: accessFromHeaders,
  });
  const handleMlflowRequest = createMlflowRoutes(services, log, config);
  const handleOpenLineageRequest = createOpenLineageRoutes(services, log, {
    maxBodyBytes: config.limits.bodyBytes,
    access: accessFromHeaders,
  });
  const handleMarquezRequest = createMarquezRoutes(services, log, {
    maxBodyBytes: config.limits.bodyBytes,
    access: accessFromHeaders,
  });
  services.lineage.start();
  services.webhookWorker.start();
  const handleWebRequest = createWebRoutes(fileURLToPath(new URL('../web/dist', import.meta.url)));

  const graphiql = createGraphiQL();
  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: config.graphiql ? { title: 'runledger' } : false,
    // CORS is the edge's: yoga's default would reflect any Origin, with credentials.
    cors: false,
    // GraphiQL with its scripts inlined (no CDN), loaded on first use: it is 9 MB of JavaScript.
    renderGraphiQL: graphiql.render,
    landingPage: false,
    logging: false,
    maskedErrors: { maskError: createErrorMasker(log) },
    batching: { limit: config.limits.batch },
    // useRequestLimits enforces config.limits.bodyBytes: yoga's own limit pipes every body
    // through a counting stream, even when Content-Length already bounds it.
    maxRequestBodySize: false,
    plugins: [
      graphiql.plugin,
      useRequestLimits({ limits: config.limits, introspection: config.introspection }),
      // MLflow's own GraphQL operations (its UI's mlflowGetRun, mlflowSearchRuns, ...) on the same endpoint.
      useMlflowGraphQL(services, log, config),
      useAuditLog(services.audit, log),
      useSharedSubscriptionExecution(new Set(['metricLogged'])),
    ],
    context: async ({ request }) => {
      try {
        return createContext(services, log, await authenticate(services.auth, config.auth, credentialsFromHeaders(request.headers)));
      } catch (error) {
        if (isDatabaseUnavailable(error)) throw unavailableError();
        if (!(error instanceof DomainError)) throw error;
        throw new GraphQLError(error.message, { extensions: { code: error.code, http: { status: 401, headers: { 'www-authenticate': 'Bearer' } } } });
      }
    },
  });

  let inFlight = 0;
  let stopping = false;
  const handleHealth = createHealthRoutes({ db, pubsub, services, log, stopping: () => stopping });
  // Every route runs behind the edge: origin and host checks, security headers, request ids,
  // and whatever a handler throws ends that request only.
  const edge = createEdge({ config, log, doors: [mlflowDoorErrors] });
  const server = http.createServer(
    edge.requests(async (req, res) => {
      const started = performance.now();
      inFlight += 1;
      res.on('close', () => {
        inFlight -= 1;
        const url = req.url ?? '';
        if (!url.startsWith('/healthz') && !url.startsWith('/readyz') && !url.startsWith('/livez')) {
          log.info('request', {
            method: req.method,
            path: url.split('?')[0],
            status: res.statusCode,
            ms: Math.round(performance.now() - started),
            requestId: res.getHeader(REQUEST_ID_HEADER),
          });
        }
      });
      if (stopping) res.setHeader('connection', 'close');
      if (await handleHealth(req, res)) return;
      if (await handleArtifactRequest(req, res)) return;
      if (await handleMlflowRequest(req, res)) return;
      if (await handleWebRequest(req, res)) return;
      if (await handleMarquezRequest(req, res)) return;
      if (await handleOpenLineageRequest(req, res)) return;
      return yoga.requestListener(req, res);
    }),
  );
  server.keepAliveTimeout = config.http.keepAliveTimeoutMs;
  server.headersTimeout = config.http.headersTimeoutMs;
  guardServer(server, log);
  const webSocket = attachGraphQLWebSocket({
    server,
    yoga,
    path: '/graphql',
    maxSubscriptionsPerConnection: config.live.maxSubscriptionsPerConnection,
    log,
    edge: edge.upgrades,
  });

  return {
    config,
    db,
    services,
    yoga,
    log,
    start() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          const { port } = server.address() as AddressInfo;
          const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
          listening = url;
          log.info('listening', { url: `${url}/graphql`, database: db.kind });
          resolve({ port, url });
        });
      });
    },
    async stop() {
      stopping = true;
      // Subscriptions never end by themselves: complete them first, so SSE responses finish
      // like any other in-flight request.
      services.live.endAll();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + config.shutdownGraceMs;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      if (inFlight > 0) log.warn('closing with requests still in flight', { inFlight });
      await webSocket.close();
      await pubsub.close();
      server.closeAllConnections();
      if (server.listening) await closed;
      await services.webhookWorker.stop();
      await services.lineage.stop();
      await services.metrics.stop();
      await db.close();
      log.info('stopped');
    },
  };
}
