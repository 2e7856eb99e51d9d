// Opens the Neo4j projection: driver, reads and the outbox sync worker. Loaded with a dynamic
// import only when NEO4J_URI is set, so servers without Neo4j never load neo4j-driver.
import type { Neo4jConfig } from '../../config.js';
import type { SqlQueryable } from '../../db/sql.js';
import type { Logger } from '../../logger.js';
import { createNeo4jLineageGraph, openNeo4jTarget } from './graph-neo4j.js';
import type { Neo4jProjection } from './service.js';
import { createSyncWorker, type SyncWorkerOptions } from './sync-worker.js';

export function openNeo4jProjection(sql: SqlQueryable, config: Neo4jConfig, log: Logger, options: SyncWorkerOptions = {}): Neo4jProjection {
  const target = openNeo4jTarget(config);
  return {
    graph: createNeo4jLineageGraph(target),
    worker: createSyncWorker(sql, target, log, { uri: config.uri, ...options }),
    close: () => target.driver.close(),
  };
}
