// Wires the domain services to one database; created once per app.
import type { Neo4jConfig } from './config.js';
import type { Database } from './db/database.js';
import { createLogger, type Logger } from './logger.js';
import { createNeo4jDriver } from './modules/lineage/graph-neo4j.js';
import { createLineageService } from './modules/lineage/service.js';
import { createSyncWorker } from './modules/lineage/sync-worker.js';
import { createMetricService } from './modules/metrics/service.js';
import { createProjectService } from './modules/projects/service.js';
import { createRunSearch } from './modules/runs/search.js';
import { createRunService } from './modules/runs/service.js';

export interface ServiceOptions {
  log?: Logger;
  /** Enables the Neo4j lineage projection (outbox sync worker and reads). */
  neo4j?: Neo4jConfig | null;
}

export function createServices(db: Database, options: ServiceOptions = {}) {
  const log = options.log ?? createLogger('silent', {});
  const driver = options.neo4j ? createNeo4jDriver(options.neo4j) : null;
  const lineage = createLineageService(db, log, driver ? { driver, worker: createSyncWorker(db.sql, driver, log) } : null);
  const projects = createProjectService(db);
  const runs = createRunService(db, projects);
  return {
    projects,
    runs,
    search: createRunSearch(db, projects),
    metrics: createMetricService(db),
    lineage,
  };
}

export type Services = ReturnType<typeof createServices>;
