// Wires the domain services to one database; created once per app.
import { type LiveConfig, loadConfig, type OpenLineageConfig } from './config.js';
import type { Database } from './db/database.js';
import { byId } from './loaders.js';
import { createAuditService } from './modules/audit/service.js';
import { createAccountService, createAuthService } from './modules/auth/service.js';
import { createLogger, type Logger } from './logger.js';
import { createDirectTransferService } from './modules/artifacts/direct.js';
import { createArtifactService } from './modules/artifacts/service.js';
import type { ArtifactStore } from './modules/artifacts/store.js';
import { createDatasetService } from './modules/datasets/service.js';
import { createAccessWatch } from './modules/live/access-watch.js';
import { announcingRevocations, publishingMetrics, publishingRuns } from './modules/live/publish.js';
import type { PubSub } from './modules/live/pubsub.js';
import { createMemoryPubSub } from './modules/live/pubsub-memory.js';
import { createLiveService } from './modules/live/service.js';
import { createIncidentService, quarantineGate } from './modules/lineage/incidents.js';
import { createQuarantineService } from './modules/lineage/quarantine.js';
import { createLineageService, type Neo4jProjection } from './modules/lineage/service.js';
import { createLoggedModelService } from './modules/logged-models/service.js';
import { edgeRecorder, edgeRetractor } from './modules/lineage/store.js';
import { createDatasetReads } from './modules/datasets/reads.js';
import { createMetricService } from './modules/metrics/service.js';
import { createPipelineService } from './modules/pipelines/service.js';
import { createJobService } from './modules/pipelines/jobs.js';
import { createJobLineageService } from './modules/pipelines/job-lineage.js';
import { createCatalogService } from './modules/catalog/service.js';
import { createProjectService } from './modules/projects/service.js';
import { createRefService } from './modules/refs/service.js';
import { createRegistryService } from './modules/registry/service.js';
import { createRunSearch } from './modules/runs/search.js';
import { createRunService } from './modules/runs/service.js';

export interface ServiceDeps {
  artifactStore: ArtifactStore;
  maxArtifactBytes: number;
  /** Where committed changes are published for live subscribers; in-process by default. */
  pubsub?: PubSub;
  live?: LiveConfig;
  log?: Logger;
  /** The Neo4j lineage projection (outbox sync worker and reads), when configured. */
  neo4j?: Neo4jProjection | null;
  /** How OpenLineage namespaces map to projects. */
  openLineage?: OpenLineageConfig;
  /** How long presigned artifact URLs stay valid (when the store offers direct transfer). */
  presignTtlSeconds?: number;
}

/**
 * What front doors get of a service: its caller-taking methods. `internal` (unchecked reads that
 * other services use and then apply their own policy to) is left out, so no door can reach
 * around a policy.
 */
function forDoors<S extends { internal: unknown }>(service: S): Omit<S, 'internal'> {
  const { internal: _internal, ...rest } = service;
  return rest;
}

export function createServices(db: Database, deps: ServiceDeps) {
  const lineage = createLineageService(db, deps.log ?? createLogger('silent'), deps.neo4j ?? null);
  const quarantines = createQuarantineService(db);
  const incidents = createIncidentService(db, lineage, quarantines);
  // Edges are queued for Neo4j only when a projection will drain the queue.
  const recordEdges = edgeRecorder({ outbox: !!deps.neo4j });
  const retractEdges = edgeRetractor({ outbox: !!deps.neo4j });
  // Which version each read of a dataset stands for: one rule for pipeline runs and training runs.
  const reads = createDatasetReads({ recordEdges, retractEdges });
  const pubsub = deps.pubsub ?? createMemoryPubSub();
  const log = deps.log ?? createLogger('silent');
  const projects = createProjectService(db);
  const plainRuns = createRunService(db, projects, recordEdges);
  // Every runUpdated subscriber of a project is woken by the same change in the same tick: one
  // batched query serves them all. No cache, so each change still reads the run as stored then.
  const plainAuth = createAuthService(db);
  const access = createAccessWatch({ pubsub, log, status: plainAuth.accessStatus });
  const changedRuns = byId(
    (ids) => plainRuns.internal.byIds(ids),
    (r) => r.id,
    { cache: false },
  );
  const live = createLiveService({
    db,
    pubsub,
    config: deps.live ?? loadConfig({}).live,
    log,
    access,
    requireRun: (caller, runId) => plainRuns.require(caller, runId, 'VIEWER'),
    requireProject: (caller, name) => projects.require(caller, name, 'VIEWER'),
    loadRun: (id) => changedRuns.load(id),
  });
  const runs = publishingRuns(plainRuns, live);
  const auth = announcingRevocations(plainAuth, access);
  const loggedModels = createLoggedModelService(db, { runs });
  const registry = createRegistryService(db, { promotionGate: quarantineGate(incidents), recordEdges, projects, runs, loggedModels });
  const artifacts = createArtifactService(db, deps.artifactStore, { maxBytes: deps.maxArtifactBytes }, runs, recordEdges, loggedModels);
  return {
    projects: forDoors(projects),
    runs: forDoors(runs),
    search: createRunSearch(db, projects),
    metrics: publishingMetrics(createMetricService(db, deps.log ?? createLogger('silent')), live),
    live,
    /** Authentication (who a request is): for the HTTP edge and operator tools, not for doors. */
    auth,
    /** Tokens and roles as a caller manages them. */
    accounts: createAccountService(auth, projects),
    audit: createAuditService(db),
    datasets: createDatasetService(db, { runs, projects, recordEdges, reads }),
    artifacts: forDoors(artifacts),
    artifactTransfer: createDirectTransferService(db, deps.artifactStore, {
      artifacts,
      maxBytes: deps.maxArtifactBytes,
      ttlSeconds: deps.presignTtlSeconds ?? 900,
    }),
    loggedModels,
    registry: forDoors(registry),
    lineage: forDoors(lineage),
    incidents,
    quarantines: forDoors(quarantines),
    refs: createRefService(db),
    jobs: createJobService(db),
    jobLineage: createJobLineageService(db),
    catalog: createCatalogService(db),
    pipelines: createPipelineService(db, { projects, reads, recordEdges, retractEdges, config: deps.openLineage ?? { projects: new Map() } }),
  };
}

export type Services = ReturnType<typeof createServices>;
