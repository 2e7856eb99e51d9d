// Retention of a project's runs: soft-delete runs older than N days, purge soft-deleted ones after
// a grace period, downsample the metric history of old runs to their rollups, and delete artifact
// bytes nothing refers to any more. Never a run that a registered model version's lineage needs
// (any run upstream of any version, in any project) and never a pinned run (tag
// runledger.pinned=true). Always a stored dry-run report first; applying carries out no more
// than it lists, re-checked at that moment, and writes audit entries for what it removed.
import type { Database } from '../../db/database.js';
import { ConflictError, ValidationError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ProjectGovernance, RetentionPlan } from '../../generated/prisma/client.js';
import { removeUnreferencedBlob } from '../artifacts/gc.js';
import type { ArtifactStore } from '../artifacts/store.js';
import type { Access } from '../auth/access.js';
import type { AuditService } from '../audit/service.js';
import type { NodeRef } from '../lineage/graph.js';
import { foldSeries } from '../metrics/rollup-store.js';
import type { Project, ProjectService } from '../projects/service.js';
import { mlflowRunId } from '../runs/mlflow-id.js';
import { mayFreeOrphanBlobs, retentionPlanAccess } from './policy.js';
import {
  artifactsOfRuns,
  type CandidateRun,
  downsample,
  downsampleCounts,
  markRuns,
  pendingSeries,
  purgeRuns,
  runsToDelete,
  runsToDownsample,
  runsToPurge,
  unreferencedDigests,
  softDeleteRuns,
} from './store.js';

export type { RetentionPlan };

export interface RetentionPolicy {
  /** Runs started longer ago than this are soft-deleted; null: runs are kept. */
  deleteRunsAfterDays: number | null;
  /** Soft-deleted runs are purged this long after their deletion. */
  graceDays: number;
  /** Runs that ended longer ago than this have their metric history downsampled; null: never. */
  downsampleAfterDays: number | null;
}

/** Each part of a report lists at most this many items; the next pass takes the rest. */
const PART_LIMIT = 1000;
/** A plan older than this must be made again before it is applied. */
const PLAN_VALID_MS = 24 * 3_600_000;
const DAY = 86_400_000;

type RunEntry = { id: number; runId: string; name: string; startedAt: string; deletedAt: string | null };

export interface RetentionReport {
  project: string;
  generatedAt: string;
  policy: RetentionPolicy;
  /** Runs of the project kept because a registered model version's lineage needs them. */
  protectedRuns: number;
  delete: RunEntry[];
  purge: RunEntry[];
  downsample: (RunEntry & { points: number; removablePoints: number })[];
  blobs: { digest: string; sizeBytes: number }[];
  /** Blobs no artifact refers to at all (a global admin's plan only: the store is shared). */
  orphanBlobs: { digest: string; sizeBytes: number }[];
  truncated: boolean;
  totals: { runsToDelete: number; runsToPurge: number; runsToDownsample: number; pointsToRemove: number; blobsToDelete: number; bytesToFree: number };
}

function policyOf(row: ProjectGovernance | null): RetentionPolicy {
  return { deleteRunsAfterDays: row?.retentionDays ?? null, graceDays: row?.retentionGraceDays ?? 14, downsampleAfterDays: row?.downsampleAfterDays ?? null };
}

const entry = (r: CandidateRun): RunEntry => ({
  id: r.id,
  runId: mlflowRunId(r.id),
  name: r.name,
  startedAt: new Date(r.startedAt).toISOString(),
  deletedAt: r.deletedAt ? new Date(r.deletedAt).toISOString() : null,
});

function days(field: string, value: number | null | undefined, min: number): number | null {
  if (value == null) return null;
  if (!Number.isInteger(value) || value < min || value > 36_500) throw new ValidationError(field, `must be a whole number of days from ${min} to 36500`);
  return value;
}

export function createRetentionService(
  db: Database,
  deps: {
    projects: ProjectService;
    /** Runs upstream of these nodes (lineage, unchecked: retention must weigh every project's models). */
    reachRuns: (starts: readonly NodeRef[]) => Promise<NodeRef[]>;
    store: ArtifactStore;
    audit: AuditService;
    /** An unreferenced blob is listed only when written longer ago than this (an upload writes its blob before its row). */
    blobQuietMs: number;
    log: Logger;
  },
) {
  const { prisma, sql } = db;

  /** Every run a registered model version's lineage reaches, in any project. */
  async function protectedRuns(): Promise<Set<number>> {
    const versions = await prisma.modelVersion.findMany({ select: { id: true } });
    if (versions.length === 0) return new Set();
    return new Set((await deps.reachRuns(versions.map((v) => ({ type: 'ModelVersion' as const, id: v.id })))).map((n) => n.id));
  }

  async function foldRuns(runIds: readonly number[]): Promise<void> {
    for (const s of await pendingSeries(sql, runIds)) await foldSeries(sql, s.runId, s.keyId);
  }

  /** What each part would take now: candidates of the policy, without protected runs. */
  async function candidates(project: Project, policy: RetentionPolicy, now: Date) {
    const guarded = await protectedRuns();
    const keep = (rows: CandidateRun[]) => rows.filter((r) => !guarded.has(r.id));
    const deletes =
      policy.deleteRunsAfterDays === null
        ? []
        : keep(await runsToDelete(sql, project.id, new Date(now.getTime() - policy.deleteRunsAfterDays * DAY), PART_LIMIT + 1));
    const purges =
      policy.deleteRunsAfterDays === null ? [] : keep(await runsToPurge(sql, project.id, new Date(now.getTime() - policy.graceDays * DAY), PART_LIMIT + 1));
    // Runs on their way out are not worth thinning.
    const purging = new Set([...purges, ...deletes].map((r) => r.id));
    const downsamples =
      policy.downsampleAfterDays === null
        ? []
        : keep(await runsToDownsample(sql, project.id, new Date(now.getTime() - policy.downsampleAfterDays * DAY), PART_LIMIT + 1)).filter(
            (r) => !purging.has(r.id),
          );
    const count = await prisma.run.count({ where: { projectId: project.id, id: { in: [...guarded] } } });
    return { deletes, purges, downsamples, protectedCount: count };
  }

  /** Blobs no artifact refers to and nothing wrote lately (an upload writes its blob before its row). */
  async function orphans(limit: number): Promise<{ digest: string; sizeBytes: number }[]> {
    const found: { digest: string; sizeBytes: number }[] = [];
    const quietSince = Date.now() - deps.blobQuietMs;
    let page: { digest: string; sizeBytes: number }[] = [];
    const sweep = async () => {
      const loose = new Set(
        await unreferencedDigests(
          sql,
          page.map((b) => b.digest),
        ),
      );
      for (const blob of page) if (loose.has(blob.digest) && found.length < limit) found.push(blob);
      page = [];
    };
    for await (const blob of deps.store.list()) {
      if (blob.storedAt.getTime() >= quietSince) continue;
      page.push({ digest: blob.digest, sizeBytes: blob.sizeBytes });
      if (page.length >= 500) await sweep();
      if (found.length >= limit) return found;
    }
    await sweep();
    return found;
  }

  async function requirePlan(caller: Access, id: number): Promise<{ plan: RetentionPlan; project: Project }> {
    const plan = await retentionPlanAccess.require(caller, await prisma.retentionPlan.findUnique({ where: { id } }), 'ADMIN', id);
    return { plan, project: await deps.projects.requireById(caller, plan.projectId, 'ADMIN') };
  }

  return {
    /** Sets a project's retention policy (ADMIN). Null fields turn that part off. */
    async setPolicy(
      caller: Access,
      input: { project: string; deleteRunsAfterDays?: number | null; graceDays?: number | null; downsampleAfterDays?: number | null },
    ): Promise<RetentionPolicy> {
      const project = await deps.projects.require(caller, input.project, 'ADMIN');
      const data = {
        retentionDays: days('input.deleteRunsAfterDays', input.deleteRunsAfterDays, 1),
        retentionGraceDays: days('input.graceDays', input.graceDays, 0) ?? 14,
        downsampleAfterDays: days('input.downsampleAfterDays', input.downsampleAfterDays, 1),
        updatedAt: new Date(),
        updatedBy: caller.actor,
      };
      const row = await prisma.projectGovernance.upsert({ where: { projectId: project.id }, create: { projectId: project.id, ...data }, update: data });
      return policyOf(row);
    },

    async policy(caller: Access, project: Project): Promise<RetentionPolicy> {
      await deps.projects.requireById(caller, project.id, 'VIEWER');
      return policyOf(await prisma.projectGovernance.findUnique({ where: { projectId: project.id } }));
    },

    /** Makes and stores the dry-run report of a project's retention now (ADMIN); nothing is removed. */
    async plan(caller: Access, projectName: string): Promise<RetentionPlan> {
      const project = await deps.projects.require(caller, projectName, 'ADMIN');
      const now = new Date();
      const policy = policyOf(await prisma.projectGovernance.findUnique({ where: { projectId: project.id } }));
      const { deletes, purges, downsamples, protectedCount } = await candidates(project, policy, now);
      const truncated = deletes.length > PART_LIMIT || purges.length > PART_LIMIT || downsamples.length > PART_LIMIT;
      const [toDelete, toPurge, toDownsample] = [deletes, purges, downsamples].map((l) => l.slice(0, PART_LIMIT)) as [
        CandidateRun[],
        CandidateRun[],
        CandidateRun[],
      ];
      await foldRuns(toDownsample.map((r) => r.id));
      const counts = await downsampleCounts(
        sql,
        toDownsample.map((r) => r.id),
      );
      const purgeIds = toPurge.map((r) => r.id);
      const artifacts = await artifactsOfRuns(sql, purgeIds);
      const loose = new Set(
        await unreferencedDigests(
          sql,
          artifacts.map((a) => a.digest),
          purgeIds,
        ),
      );
      const blobs = [
        ...new Map(artifacts.filter((a) => loose.has(a.digest)).map((a) => [a.digest, { digest: a.digest, sizeBytes: Number(a.sizeBytes) }])).values(),
      ];
      const orphanBlobs = mayFreeOrphanBlobs(caller) ? await orphans(PART_LIMIT) : [];
      const downsample = toDownsample.map((r) => ({ ...entry(r), points: counts.get(r.id)?.points ?? 0, removablePoints: counts.get(r.id)?.removable ?? 0 }));
      const report: RetentionReport = {
        project: project.name,
        generatedAt: now.toISOString(),
        policy,
        protectedRuns: protectedCount,
        delete: toDelete.map(entry),
        purge: toPurge.map(entry),
        downsample,
        blobs,
        orphanBlobs,
        truncated,
        totals: {
          runsToDelete: toDelete.length,
          runsToPurge: toPurge.length,
          runsToDownsample: downsample.length,
          pointsToRemove: downsample.reduce((n, r) => n + r.removablePoints, 0),
          blobsToDelete: blobs.length + orphanBlobs.length,
          bytesToFree: [...blobs, ...orphanBlobs].reduce((n, b) => n + b.sizeBytes, 0),
        },
      };
      return prisma.retentionPlan.create({ data: { projectId: project.id, createdBy: caller.actor, createdAt: now, report: report as never } });
    },

    /**
     * Carries out a stored plan (ADMIN), once, within a day of making it: each part takes only
     * what the plan lists and is still due now, and no run a registered model's lineage reaches.
     */
    async apply(caller: Access, planId: number): Promise<RetentionPlan> {
      const { plan, project } = await requirePlan(caller, planId);
      if (plan.appliedAt)
        throw new ConflictError(`input.plan: retention plan ${plan.id} was applied at ${plan.appliedAt.toISOString()}; make a new one`, {
          field: 'input.plan',
        });
      if (Date.now() - plan.createdAt.getTime() > PLAN_VALID_MS) {
        throw new ConflictError(`input.plan: retention plan ${plan.id} is more than a day old; make a new one (planRetention) and apply that`, {
          field: 'input.plan',
        });
      }
      // Claimed first, so two admins applying the same plan at once cannot both act on it.
      const claimed = await prisma.retentionPlan.updateMany({
        where: { id: plan.id, appliedAt: null },
        data: { appliedAt: new Date(), appliedBy: caller.actor },
      });
      if (claimed.count === 0) throw new ConflictError(`input.plan: retention plan ${plan.id} is being applied or was applied`, { field: 'input.plan' });
      const report = plan.report as unknown as RetentionReport;
      const now = new Date();
      const due = await candidates(project, report.policy, now);
      const planned = (list: RunEntry[], dueNow: CandidateRun[]) => {
        const ids = new Set(list.map((r) => r.id));
        return dueNow.filter((r) => ids.has(r.id)).map((r) => r.id);
      };

      const deleted = planned(report.delete, due.deletes);
      if (deleted.length) {
        await sql.transaction(async (tx) => {
          await softDeleteRuns(tx, deleted, now);
          await markRuns(tx, deleted, 'soft_deleted_at', now, plan.id);
        });
      }

      const purged = planned(report.purge, due.purges);
      const removed = purged.length
        ? await sql.transaction(async (tx) => {
            const gone = await purgeRuns(tx, purged);
            await markRuns(tx, purged, 'purged_at', now, plan.id);
            return gone;
          })
        : [];

      const thinned = planned(report.downsample, due.downsamples);
      await foldRuns(thinned);
      const points = thinned.length
        ? await sql.transaction(async (tx) => {
            const n = await downsample(tx, thinned);
            await markRuns(tx, thinned, 'downsampled_at', now, plan.id);
            return n;
          })
        : 0;

      // Bytes: only blobs the plan listed that nothing refers to now, through the collector's locked removal.
      const listed = new Set([...report.blobs, ...(mayFreeOrphanBlobs(caller) ? report.orphanBlobs : [])].map((b) => b.digest));
      const wanted = [...new Set([...removed.map((a) => a.digest), ...report.orphanBlobs.map((b) => b.digest)])].filter((d) => listed.has(d));
      const freed: { digest: string; sizeBytes: number }[] = [];
      for (const digest of await unreferencedDigests(sql, wanted)) {
        const size = (await deps.store.stat(digest))?.sizeBytes ?? 0;
        if (await removeUnreferencedBlob(db, deps.store, digest)) freed.push({ digest, sizeBytes: size });
      }

      const result = {
        appliedAt: now.toISOString(),
        deletedRuns: deleted.map(mlflowRunId),
        purgedRuns: purged.map(mlflowRunId),
        downsampledRuns: thinned.map(mlflowRunId),
        pointsRemoved: points,
        blobsDeleted: freed.map((b) => b.digest),
        bytesFreed: freed.reduce((n, b) => n + b.sizeBytes, 0),
        skipped: {
          delete: report.delete.length - deleted.length,
          purge: report.purge.length - purged.length,
          downsample: report.downsample.length - thinned.length,
        },
      };
      // An audit row names at most 50 targets: the plan and 49 of what it removed.
      const chunks = (op: string, ids: string[]) =>
        Array.from({ length: Math.ceil(ids.length / 49) }, (_, i) => ({
          operation: op,
          targetIds: [`retention-plan:${plan.id}`, ...ids.slice(i * 49, i * 49 + 49)],
          outcome: 'OK',
        }));
      await deps.audit.record(caller, [
        { operation: 'retention.apply', targetIds: [`retention-plan:${plan.id}`, `project:${project.name}`], outcome: 'OK' },
        ...chunks('retention.softDeleteRuns', result.deletedRuns),
        ...chunks('retention.purgeRuns', result.purgedRuns),
        ...chunks('retention.downsampleRuns', result.downsampledRuns),
        ...chunks('retention.deleteBlobs', result.blobsDeleted),
      ]);
      deps.log.info('retention applied', { project: project.name, plan: plan.id, ...result.skipped, purged: purged.length, points, bytes: result.bytesFreed });
      return prisma.retentionPlan.update({ where: { id: plan.id }, data: { result: result as never } });
    },

    /** A project's retention plans, newest first (ADMIN). */
    async plans(caller: Access, project: Project, first: number): Promise<RetentionPlan[]> {
      await deps.projects.requireById(caller, project.id, 'ADMIN');
      return prisma.retentionPlan.findMany({ where: { projectId: project.id }, orderBy: { id: 'desc' }, take: first });
    },
  };
}

export type RetentionService = ReturnType<typeof createRetentionService>;
