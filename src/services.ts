// Wires the domain services to one database; created once per app.
import { type LiveConfig, loadConfig, type OpenLineageConfig, type WebhookConfig } from './config.js';
import { createLinks, type Links } from './links.js';
import { createPromotionGate } from './modules/governance/gates.js';
import { createComplianceService } from './modules/compliance/service.js';
import { visibleVersionIds } from './modules/datasets/policy.js';
import { createConventionChecks } from './modules/governance/conventions.js';
import { createGovernanceService } from './modules/governance/service.js';
import { createGovernanceSettings } from './modules/governance/settings.js';
import { quarantineChanged, runEnded } from './modules/webhooks/events.js';
import { eventSink } from './modules/webhooks/outbox.js';
import { createWebhookService } from './modules/webhooks/service.js';
import { createWebhookWorker } from './modules/webhooks/worker.js';
import type { Database } from './db/database.js';
import { byId } from './loaders.js';
import { createAuditService } from './modules/audit/service.js';
import { createAccountService, createAuthService } from './modules/auth/service.js';
import { createLogger, type Logger } from './logger.js';
import { createDirectTransferService } from './modules/artifacts/direct.js';
import { createResumableUploadService } from './modules/artifacts/resumable.js';
import { createArtifactService } from './modules/artifacts/service.js';
import type { ArtifactStore } from './modules/artifacts/store.js';
import { createDatasetService } from './modules/datasets/service.js';
import { createAccessWatch } from './modules/live/access-watch.js';
import type { PubSub } from './modules/live/pubsub.js';
import { createMemoryPubSub } from './modules/live/pubsub-memory.js';
import { createLiveService } from './modules/live/service.js';
import { createIncidentService } from './modules/lineage/incidents.js';
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
import { createRetentionService } from './modules/retention/service.js';
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
  /** Absolute links to dashboard pages (promotion requests, runs), for messages and webhooks. */
  links?: Links;
  /** Webhook delivery settings. */
  webhooks?: WebhookConfig;
  retention?: { blobQuietMs: number };
  /** How long presigned artifact URLs stay valid (when the store offers direct transfer). */
  presignTtlSeconds?: number;
  /** Resumable upload sessions: the largest chunk one request carries, and how long an idle session lives. */
  uploadSessions?: { chunkMaxBytes: number; ttlSeconds: number };
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
  const links = deps.links ?? createLinks(() => 'http://127.0.0.1:4000');
  const webhookConfig = deps.webhooks ?? loadConfig({}).webhooks;
  const webhookWorker = createWebhookWorker(db.sql, webhookConfig, deps.log ?? createLogger('silent'));
  // Every announced change writes to the webhook outbox in its own transaction.
  const events = eventSink(() => webhookWorker.kick());
  const lineage = createLineageService(db, deps.log ?? createLogger('silent'), deps.neo4j ?? null);
  const quarantines = createQuarantineService(db, async (tx, kind, datasetVersionId, change) => {
    const row = await tx.datasetVersion.findUnique({ where: { id: datasetVersionId }, include: { dataset: true } });
    if (!row) return;
    const target = { projectId: row.dataset.projectId, dataset: row.dataset.name, namespace: row.dataset.namespace, version: row.version, digest: row.digest };
    await events(tx, [quarantineChanged(kind, target, change)]);
  });
  const incidents = createIncidentService(db, lineage, quarantines);
  // Edges are queued for Neo4j only when a projection will drain the queue.
  const recordEdges = edgeRecorder({ outbox: !!deps.neo4j });
  const retractEdges = edgeRetractor({ outbox: !!deps.neo4j });
  // Which version each read of a dataset stands for: one rule for pipeline runs and training runs.
  const reads = createDatasetReads({ recordEdges, retractEdges });
  const pubsub = deps.pubsub ?? createMemoryPubSub();
  const log = deps.log ?? createLogger('silent');
  const projects = createProjectService(db);
  // Each committed run change is published by the runs service itself (`live` is built below and
  // only called once a write committed, so the late binding is safe).
  const runs = createRunService(db, projects, recordEdges, {
    afterCommit: ({ run, change }) => live.runChanged(run, change),
    announceEnd: async (tx, run) => {
      // Read on the transaction: PGlite has one connection, which the transaction holds.
      const project = await tx.project.findUnique({ where: { id: run.projectId } });
      await events(tx, [runEnded(run, project?.name ?? '', links.run(run.id))]);
    },
  });
  const settings = createGovernanceSettings(db);
  const promotionGate = createPromotionGate(db, { incidents, settings });
  // Every runUpdated subscriber of a project is woken by the same change in the same tick: one
  // batched query serves them all. No cache, so each change still reads the run as stored then.
  // Revocations are announced by the auth service itself once committed (`access` is built next).
  const auth = createAuthService(db, { afterRevoke: (revocation) => access.announce(revocation) });
  const access = createAccessWatch({ pubsub, log, status: auth.accessStatus });
  const changedRuns = byId(
    (ids) => runs.internal.byIds(ids),
    (r) => r.id,
    { cache: false },
  );
  const live = createLiveService({
    db,
    pubsub,
    config: deps.live ?? loadConfig({}).live,
    log,
    access,
    requireRun: (caller, runId) => runs.require(caller, runId, 'VIEWER'),
    requireProject: (caller, name) => projects.require(caller, name, 'VIEWER'),
    loadRun: (id) => changedRuns.load(id),
  });
  const audit = createAuditService(db);
  const loggedModels = createLoggedModelService(db, { runs });
  const registry = createRegistryService(db, {
    promotionGate,
    recordEdges,
    projects,
    runs,
    loggedModels,
    governance: { aliasRule: settings.aliasRule, groupsOf: settings.groupsOf },
    links,
    events,
  });
  const artifacts = createArtifactService(db, deps.artifactStore, { maxBytes: deps.maxArtifactBytes }, runs, recordEdges, loggedModels);
  return {
    projects: forDoors(projects),
    runs: forDoors(runs),
    search: createRunSearch(db, projects),
    metrics: createMetricService(db, log, { afterCommit: (result) => live.metricsCommitted(result) }),
    live,
    /** Authentication (who a request is): for the HTTP edge and operator tools, not for doors. */
    auth,
    /** Tokens and roles as a caller manages them. */
    accounts: createAccountService(auth, projects),
    audit,
    datasets: createDatasetService(db, { runs, projects, recordEdges, reads }),
    artifacts: forDoors(artifacts),
    artifactTransfer: createDirectTransferService(db, deps.artifactStore, {
      artifacts,
      maxBytes: deps.maxArtifactBytes,
      ttlSeconds: deps.presignTtlSeconds ?? 900,
    }),
    uploadSessions: createResumableUploadService(db, deps.artifactStore, {
      artifacts,
      maxBytes: deps.maxArtifactBytes,
      chunkMaxBytes: deps.uploadSessions?.chunkMaxBytes ?? 64 * 1024 ** 2,
      ttlSeconds: deps.uploadSessions?.ttlSeconds ?? 86_400,
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
    governance: createGovernanceService(db, { projects }),
    conventions: createConventionChecks(db, { projects }),
    compliance: createComplianceService(db, {
      registry,
      lineage,
      quarantines,
      visibleDatasetVersions: async (caller, ids) => new Set(await visibleVersionIds(db.sql, caller, ids)),
      store: deps.artifactStore,
      link: links,
    }),
    /** Evaluates the promotion rules of a move without making it (previews, compliance exports). */
    promotionGate,
    retention: createRetentionService(db, {
      projects,
      reachRuns: (starts) => lineage.internal.reach(starts, 'UPSTREAM', 'Run'),
      store: deps.artifactStore,
      audit,
      blobQuietMs: deps.retention?.blobQuietMs ?? 600_000,
      log,
    }),
    webhooks: createWebhookService(db, {
      projects,
      timeoutMs: webhookConfig.timeoutMs,
      allowPrivateTargets: webhookConfig.allowPrivateTargets,
      kick: () => webhookWorker.kick(),
    }),
    /** The webhook delivery worker of this replica (started and stopped with the app). */
    webhookWorker,
    links,
  };
}

export type Services = ReturnType<typeof createServices>;
