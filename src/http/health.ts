// Health endpoints for load balancers and orchestrators. /livez: the process serves requests
// (restart it when this fails). /readyz (and /healthz, its older name): send traffic here; 503
// while stopping or when the database cannot be reached, since nothing works without it. An
// optional dependency that is away (Redis, Neo4j, the artifact object store) makes the answer
// "degraded" with 200: every replica shares those, and a 503 would make a load balancer drop
// every replica at once for one shared outage, turning a partial outage into a full one.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '../db/database.js';
import { RETRY_AFTER_SECONDS } from '../db/unavailable.js';
import type { Logger } from '../logger.js';
import type { PubSub } from '../modules/live/pubsub.js';
import type { Services } from '../services.js';

const PROBE_TIMEOUT_MS = 2000;

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function createHealthRoutes(deps: { db: Database; pubsub: PubSub; services: Services; log: Logger; stopping: () => boolean }) {
  const { db, pubsub, services, log } = deps;

  async function dependencies(): Promise<Record<string, string>> {
    const result: Record<string, string> = {};
    if (pubsub.kind === 'redis') result.redis = pubsub.connected() ? 'ok' : 'unavailable';
    const neo4j = await services.lineage.projectionHealth();
    if (neo4j) result.neo4j = neo4j;
    result.artifactStore = await within(PROBE_TIMEOUT_MS, services.artifacts.ping()).then(
      () => 'ok',
      (error: unknown) => {
        log.warn('artifact store unavailable', { err: error });
        return 'unavailable';
      },
    );
    return result;
  }

  /** Answers /livez, /readyz and /healthz; false for any other path. */
  return async function handleHealth(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = req.url ?? '';
    if (url === '/livez') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'alive' }));
      return true;
    }
    if (url !== '/healthz' && url !== '/readyz') return false;
    try {
      await within(PROBE_TIMEOUT_MS, db.ping());
      const found = await dependencies();
      const stopping = deps.stopping();
      const degraded = Object.values(found).includes('unavailable');
      res.writeHead(stopping ? 503 : 200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: stopping ? 'stopping' : degraded ? 'degraded' : 'ok',
          database: db.kind,
          artifactStore: services.artifacts.storeKind,
          dependencies: found,
        }),
      );
    } catch (error) {
      log.warn('health check failed', { err: error });
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': String(RETRY_AFTER_SECONDS) });
      res.end(JSON.stringify({ status: deps.stopping() ? 'stopping' : 'unavailable', database: db.kind }));
    }
    return true;
  };
}
