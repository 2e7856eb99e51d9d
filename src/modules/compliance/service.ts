// Compliance export: one bundle a reviewer can read for a model version: the version and its
// run (params, metrics, environment, seed), code commit and diff, every input dataset version
// with digest and coverage, upstream lineage, the promotion rules' results, the promotion
// requests with their approvals, and the alias history. Everything in it is read as the caller:
// what they may not see is left out or stands in as hidden, exactly as the API would show it.
import { text } from 'node:stream/consumers';
import type { Database } from '../../db/database.js';
import { parseGateResults } from '../governance/gate-rules.js';
import { describeRule, parseRequirements } from '../governance/requirements.js';
import type { Access } from '../auth/access.js';
import type { ArtifactStore } from '../artifacts/store.js';
import { lineageDigest } from '../datasets/service.js';
import type { LineageService } from '../lineage/service.js';
import type { QuarantineService } from '../lineage/quarantine.js';
import type { RegistryService } from '../registry/service.js';
import { statusOf } from '../registry/service.js';
import { mlflowRunId } from '../runs/mlflow-id.js';
import { labelNodes, metricSummariesOf } from './store.js';

/** A diff larger than this is described, not embedded. */
const DIFF_EMBED_BYTES = 1024 * 1024;
const LINEAGE_DEPTH = 10;

export const BUNDLE_FORMAT = 'runledger.compliance-bundle/1';

export type Bundle = Awaited<ReturnType<ReturnType<typeof createComplianceService>['exportBundle']>>;

export function createComplianceService(
  db: Database,
  deps: {
    registry: Pick<RegistryService, 'requireModel' | 'requireVersion' | 'history' | 'previewGates' | 'promotions' | 'visibleVersionsByIds'>;
    lineage: Pick<LineageService, 'lineage'>;
    quarantines: Pick<QuarantineService, 'visibleQuarantinesOf'>;
    visibleDatasetVersions: (caller: Access, ids: readonly number[]) => Promise<Set<number>>;
    store: ArtifactStore;
    link: { run(id: number): string; promotion(n: number): string };
  },
) {
  const { prisma } = db;

  async function diffOf(artifactId: number | null) {
    if (artifactId === null) return null;
    const artifact = await prisma.artifact.findUnique({ where: { id: artifactId } });
    if (!artifact) return null;
    const size = Number(artifact.sizeBytes);
    const stored = await deps.store.stat(artifact.digest);
    const embedded = stored && size <= DIFF_EMBED_BYTES ? await text(await deps.store.open(artifact.digest)) : null;
    return {
      name: artifact.name,
      digest: artifact.digest,
      sizeBytes: size,
      text: embedded,
      note: embedded === null ? (stored ? 'larger than 1 MiB: fetch it by digest' : 'its bytes were purged') : null,
    };
  }

  return {
    /** The bundle for a version of a model the caller may see; `alias` names the alias whose rules are evaluated now (default production). */
    async exportBundle(caller: Access, modelName: string, versionNumber: number, alias = 'production') {
      const model = await deps.registry.requireModel(caller, modelName, 'VIEWER');
      const version = await deps.registry.requireVersion(caller, model, versionNumber, 'version');
      // A version registered through MLflow from a bare source or a logged model may have no run or no file.
      const runId = version.runId;
      const [project, run, artifact, params, tags, metrics, code, inputs, aliasesNow] = await Promise.all([
        prisma.project.findUniqueOrThrow({ where: { id: model.projectId } }),
        runId === null ? null : prisma.run.findUnique({ where: { id: runId } }),
        version.artifactId === null ? null : prisma.artifact.findUnique({ where: { id: version.artifactId } }),
        runId === null ? [] : prisma.param.findMany({ where: { runId }, orderBy: { key: 'asc' } }),
        runId === null ? [] : prisma.tag.findMany({ where: { runId }, orderBy: { key: 'asc' } }),
        runId === null ? [] : metricSummariesOf(db.sql, runId),
        runId === null ? null : prisma.runCodeVersion.findUnique({ where: { runId }, include: { commit: true } }),
        runId === null
          ? []
          : prisma.runDatasetInput.findMany({
              where: { runId },
              include: { datasetVersion: { include: { dataset: { include: { project: true } } } } },
              orderBy: [{ role: 'asc' }, { datasetVersionId: 'asc' }],
            }),
        prisma.modelAlias.findMany({ where: { versionId: version.id }, orderBy: { alias: 'asc' } }),
      ]);
      const visibleInputs = await deps.visibleDatasetVersions(
        caller,
        inputs.map((i) => i.datasetVersionId),
      );
      const quarantines = new Map((await deps.quarantines.visibleQuarantinesOf(caller, [...visibleInputs])).map((q) => [q.datasetVersionId, q]));
      const walk = await deps.lineage.lineage(caller, { type: 'ModelVersion', id: version.id }, { direction: 'UPSTREAM', depth: LINEAGE_DEPTH });
      const labels = await labelNodes(
        db.sql,
        walk.nodes.filter((n) => n.id > 0),
      );
      const history = (await deps.registry.history(caller, model, null)).filter((e) => e.fromVersionId === version.id || e.toVersionId === version.id);
      const requests = (await deps.registry.promotions.list(caller, { model, first: 200 })).requests.filter(
        (r) => r.toVersionId === version.id || r.fromVersionId === version.id,
      );
      const decisions = await deps.registry.promotions.decisionsOf(caller, requests);
      const numbers = new Map(
        (
          await deps.registry.visibleVersionsByIds(caller, [
            ...new Set(history.flatMap((e) => [e.fromVersionId, e.toVersionId]).filter((id): id is number => id !== null)),
          ])
        ).map((v) => [v.version.id, v.version.version]),
      );
      const num = (id: number | null) => (id === null ? null : (numbers.get(id) ?? 'hidden'));
      const key = (n: { type: string; id: number }) => `${n.type}:${n.id}`;
      return {
        format: BUNDLE_FORMAT,
        generatedAt: new Date().toISOString(),
        generatedBy: caller.auditName,
        model: { name: model.name, project: project.name, description: model.description },
        version: {
          number: version.version,
          description: version.description,
          createdBy: version.createdBy,
          createdAt: version.createdAt.toISOString(),
          aliases: aliasesNow.map((a) => a.alias),
          source: version.source,
          artifact: artifact
            ? { name: artifact.name, kind: artifact.kind, digest: artifact.digest, sizeBytes: Number(artifact.sizeBytes), mediaType: artifact.mediaType }
            : null,
        },
        run: run
          ? {
              id: mlflowRunId(run.id),
              url: deps.link.run(run.id),
              name: run.name,
              user: run.user,
              status: run.status,
              startedAt: run.startedAt.toISOString(),
              endedAt: run.endedAt?.toISOString() ?? null,
              seed: run.seed,
              environment: run.environment,
              params: Object.fromEntries(params.map((p) => [p.key, p.value])),
              tags: Object.fromEntries(tags.map((t) => [t.key, t.value])),
              metrics: metrics.map((m) => ({ key: m.key, last: m.last, min: m.min, max: m.max, lastStep: Number(m.last_step), points: Number(m.count) })),
            }
          : null,
        code: code
          ? {
              repository: code.commit.repository,
              commit: code.commit.commit,
              committedAt: code.commit.committedAt?.toISOString() ?? null,
              branch: code.branch,
              dirty: code.dirty,
              diff: await diffOf(code.diffArtifactId),
            }
          : null,
        inputs: inputs.map((i) => {
          if (!visibleInputs.has(i.datasetVersionId)) return { role: i.role, hidden: true as const };
          const v = i.datasetVersion;
          const q = quarantines.get(v.id);
          return {
            role: i.role,
            dataset: v.dataset.name,
            namespace: v.dataset.namespace,
            project: v.dataset.project.name,
            version: v.version,
            digest: v.digest,
            contentDigest: v.digest !== lineageDigest(v.dataset.namespace, v.dataset.name, v.version),
            sourceUri: v.sourceUri,
            rowCount: v.rowCount === null ? null : Number(v.rowCount),
            coverage: v.coverageStart || v.coverageEnd ? { start: v.coverageStart?.toISOString() ?? null, end: v.coverageEnd?.toISOString() ?? null } : null,
            quarantine: q ? { reason: q.reason, by: q.by, at: q.at.toISOString() } : null,
          };
        }),
        lineage: {
          depth: walk.appliedDepth,
          nodes: walk.nodes.map((n) => ({
            key: n.id < 0 ? `hidden:${-n.id}` : key(n),
            type: n.id < 0 ? 'Hidden' : n.type,
            depth: n.depth,
            label: n.id < 0 ? 'not visible to you' : (labels.get(key(n)) ?? key(n)),
          })),
          edges: walk.edges.map((e) => ({
            from: e.from.id < 0 ? `hidden:${-e.from.id}` : key(e.from),
            to: e.to.id < 0 ? `hidden:${-e.to.id}` : key(e.to),
            kind: e.kind,
            role: e.role,
            at: e.createdAt.toISOString(),
          })),
        },
        gates: {
          alias,
          evaluatedAt: new Date().toISOString(),
          results: await deps.registry.previewGates(caller, model, version, alias),
        },
        promotions: requests.map((r) => ({
          number: r.id,
          url: deps.link.promotion(r.id),
          alias: r.alias,
          action: r.action,
          status: statusOf(r),
          requestedBy: r.requestedBy,
          reason: r.reason,
          override: r.overrideReason,
          needs: describeRule(parseRequirements(r.requirements)),
          createdAt: r.createdAt.toISOString(),
          decidedAt: r.decidedAt?.toISOString() ?? null,
          gateResults: parseGateResults(r.gateResults),
          decisions: decisions
            .filter((d) => d.requestId === r.id)
            .map((d) => ({ by: d.actor, decision: d.decision, comment: d.comment, groups: d.groups, at: d.at.toISOString() })),
        })),
        aliasHistory: history.map((e) => ({
          alias: e.alias,
          action: e.action,
          from: num(e.fromVersionId),
          to: num(e.toVersionId),
          by: e.actor,
          reason: e.reason,
          at: e.effectiveAt.toISOString(),
          override: e.overrideReason,
          promotionRequest: e.promotionRequestId,
          gateResults: e.gateResults === null ? null : parseGateResults(e.gateResults),
        })),
      };
    },
  };
}

export type ComplianceService = ReturnType<typeof createComplianceService>;
