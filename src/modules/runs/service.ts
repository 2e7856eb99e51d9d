// Runs: their lifecycle (start, finish, delete, restore), tags, and the rules that guard them.
import type { Database } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { Prisma, type Run, type RunStatus } from '../../generated/prisma/client.js';
import { LIMITS, requireKey, requireMaxLength, requireName } from '../../validation.js';
import type { EdgeInput, EdgeRecorder } from '../lineage/store.js';
import type { ProjectService } from '../projects/service.js';
import { type CodeVersionInput, recordCommit, validateCodeVersion } from './code-version.js';
import { gpuCountOf } from './environment.js';
import { runsByIds } from './store.js';

export type { Run, RunStatus };
export type { CodeVersionInput };

export interface TagInput {
  key: string;
  value: string;
}

export interface StartRunInput {
  project: string;
  clientRunId?: string | null;
  name?: string | null;
  user?: string | null;
  notes?: string | null;
  group?: string | null;
  parentRunId?: number | null;
  startedAt?: Date | null;
  environment?: unknown;
  seed?: string | null;
  codeVersion?: CodeVersionInput | null;
  tags?: readonly TagInput[] | null;
}

export interface FinishRunInput {
  runId: number;
  status?: Exclude<RunStatus, 'RUNNING'> | null;
  endedAt?: Date | null;
}

export interface SetTagsInput {
  runId: number;
  tags?: readonly TagInput[] | null;
  remove?: readonly string[] | null;
}

export function validateTags(field: string, tags: readonly TagInput[]): TagInput[] {
  if (tags.length > LIMITS.tagsPerBatch) throw new ValidationError(field, `at most ${LIMITS.tagsPerBatch} tags per call (got ${tags.length})`);
  const byKey = new Map<string, TagInput>();
  tags.forEach((tag, i) => {
    requireKey(`${field}[${i}].key`, tag.key);
    requireMaxLength(`${field}[${i}].value`, tag.value, LIMITS.tagValueLength);
    byKey.set(tag.key, tag); // the last value of a repeated key wins, as with sequential setTag calls
  });
  return [...byKey.values()];
}

/** Who is starting a run: the request's actor, and whether they may record runs for others. */
export interface RunActor {
  name: string | null;
  /** Global admins (and the local user with authentication off) may import runs on behalf of others. */
  mayActForOthers: boolean;
}

/**
 * A run is recorded for the caller. `input.user` naming someone else counts only from a
 * global admin (importing history), and the run then also records who did it; from anyone
 * else it is ignored, so a token can never attribute work to another user.
 */
function attribution(claimed: string | null | undefined, actor: RunActor): { user: string | null; recordedBy: string | null } {
  if (claimed == null || claimed === actor.name || !actor.mayActForOthers) return { user: actor.name, recordedBy: null };
  return { user: requireName('input.user', claimed), recordedBy: actor.name ?? 'local' };
}

export function createRunService(db: Database, projects: ProjectService, recordEdges: EdgeRecorder) {
  const { prisma } = db;

  async function requireRun(runId: number): Promise<Run> {
    const [run] = await runsByIds(db.sql, [runId]);
    if (!run) throw new NotFoundError('Run', runId);
    return run;
  }

  async function requireLiveRun(runId: number): Promise<Run> {
    const run = await requireRun(runId);
    if (run.deletedAt) throw new ConflictError(`Run ${runId} is deleted; restore it before changing it`, { runId });
    return run;
  }

  return {
    requireRun,
    requireLiveRun,

    /** Starts a run; with a clientRunId, a retry returns the run the first call created. */
    async start(input: StartRunInput, actor: RunActor): Promise<{ run: Run; created: boolean }> {
      const project = await projects.requireByName(input.project);
      const clientRunId = input.clientRunId == null ? null : requireName('input.clientRunId', input.clientRunId, LIMITS.idempotencyKeyLength);
      if (clientRunId) {
        const existing = await prisma.run.findUnique({ where: { projectId_clientRunId: { projectId: project.id, clientRunId } } });
        if (existing) return { run: existing, created: false };
      }
      const name = input.name == null ? null : requireName('input.name', input.name);
      const { user, recordedBy } = attribution(input.user, actor);
      if (input.notes != null) requireMaxLength('input.notes', input.notes, LIMITS.notesLength);
      if (input.group != null) requireKey('input.group', input.group);
      if (input.seed != null) requireName('input.seed', input.seed, 200);
      if (input.environment !== undefined && input.environment !== null && typeof input.environment !== 'object') {
        throw new ValidationError('input.environment', 'must be a JSON object');
      }
      const tags = validateTags('input.tags', input.tags ?? []);
      const code = input.codeVersion ? validateCodeVersion(input.codeVersion) : null;
      if (input.parentRunId != null) {
        const parent = await prisma.run.findUnique({ where: { id: input.parentRunId } });
        if (!parent || parent.projectId !== project.id) throw new NotFoundError('Run', input.parentRunId);
      }

      const data = {
        projectId: project.id,
        clientRunId,
        name: name ?? 'unnamed',
        user,
        recordedBy,
        notes: input.notes ?? null,
        group: input.group ?? null,
        parentId: input.parentRunId ?? null,
        startedAt: input.startedAt ?? new Date(),
        environment: (input.environment ?? undefined) as Prisma.InputJsonValue | undefined,
        gpuCount: gpuCountOf(input.environment),
        seed: input.seed ?? null,
      };
      // A named run with nothing linked is one row: one statement in an implicit transaction,
      // without an interactive transaction's BEGIN and COMMIT round trips.
      const alone = name !== null && tags.length === 0 && !code && input.parentRunId == null;
      try {
        const run = alone
          ? await prisma.run.create({ data })
          : await prisma.$transaction(async (tx) => {
              const created = await tx.run.create({ data });
              // Unnamed runs get a readable default that stays unique within the project.
              const run = name ? created : await tx.run.update({ where: { id: created.id }, data: { name: `run-${created.id}` } });
              if (tags.length) await tx.tag.createMany({ data: tags.map((t) => ({ runId: run.id, key: t.key, value: t.value })) });
              // Lineage edges commit with the run: a run never exists without its links.
              const edges: EdgeInput[] = [];
              if (run.parentId != null) edges.push({ from: { type: 'Run', id: run.parentId }, to: { type: 'Run', id: run.id }, kind: 'PARENT_OF' });
              if (code) {
                const commit = await recordCommit(tx, code);
                await tx.runCodeVersion.create({
                  data: { runId: run.id, commitId: commit.id, branch: code.branch ?? null, dirty: code.dirty ?? false },
                });
                edges.push({ from: { type: 'CodeCommit', id: commit.id }, to: { type: 'Run', id: run.id }, kind: 'INPUT_TO' });
              }
              await recordEdges(tx, edges);
              return run;
            });
        return { run, created: true };
      } catch (error) {
        if (clientRunId && isUniqueViolation(error)) {
          // A concurrent retry with the same clientRunId won the race: return its run.
          const run = await prisma.run.findUnique({ where: { projectId_clientRunId: { projectId: project.id, clientRunId } } });
          if (run) return { run, created: false };
        }
        throw error;
      }
    },

    /** Ends a run. Finishing again with the same status is a no-op; another status is a conflict. */
    async finish(input: FinishRunInput): Promise<Run> {
      const run = await requireLiveRun(input.runId);
      const status = input.status ?? 'FINISHED';
      if (run.status !== 'RUNNING') {
        if (run.status === status) return run;
        throw new ConflictError(`Run ${run.id} already ended as ${run.status}; it cannot become ${status}`, { runId: run.id });
      }
      const endedAt = input.endedAt ?? new Date();
      if (endedAt < run.startedAt) throw new ValidationError('input.endedAt', 'must not be before the run started');
      // The status guard makes a concurrent finish lose cleanly instead of overwriting.
      const updated = await prisma.run.updateMany({ where: { id: run.id, status: 'RUNNING' }, data: { status, endedAt } });
      if (updated.count === 0) return this.finish(input);
      return requireRun(run.id);
    },

    async delete(runId: number): Promise<Run> {
      const run = await requireRun(runId);
      if (run.deletedAt) return run;
      return prisma.run.update({ where: { id: runId }, data: { deletedAt: new Date() } });
    },

    async restore(runId: number): Promise<Run> {
      const run = await requireRun(runId);
      if (!run.deletedAt) return run;
      return prisma.run.update({ where: { id: runId }, data: { deletedAt: null } });
    },

    async update(input: { runId: number; name?: string | null; notes?: string | null }): Promise<Run> {
      await requireLiveRun(input.runId);
      const data: Prisma.RunUpdateInput = {};
      if (input.name != null) data.name = requireName('input.name', input.name);
      if (input.notes != null) data.notes = requireMaxLength('input.notes', input.notes, LIMITS.notesLength);
      return prisma.run.update({ where: { id: input.runId }, data });
    },

    async setTags(input: SetTagsInput): Promise<Run> {
      const run = await requireLiveRun(input.runId);
      const tags = validateTags('input.tags', input.tags ?? []);
      const remove = (input.remove ?? []).map((key, i) => requireKey(`input.remove[${i}]`, key));
      await prisma.$transaction([
        prisma.tag.deleteMany({ where: { runId: run.id, key: { in: remove } } }),
        ...tags.map((t) =>
          prisma.tag.upsert({
            where: { runId_key: { runId: run.id, key: t.key } },
            create: { runId: run.id, key: t.key, value: t.value },
            update: { value: t.value },
          }),
        ),
      ]);
      return run;
    },

    async byIds(ids: readonly number[]): Promise<Run[]> {
      return runsByIds(db.sql, ids);
    },

    async paramsOf(runIds: readonly number[]) {
      return prisma.param.findMany({ where: { runId: { in: [...runIds] } }, orderBy: [{ runId: 'asc' }, { key: 'asc' }] });
    },

    async tagsOf(runIds: readonly number[]) {
      return prisma.tag.findMany({ where: { runId: { in: [...runIds] } }, orderBy: [{ runId: 'asc' }, { key: 'asc' }] });
    },

    async codeVersionsOf(runIds: readonly number[]) {
      const rows = await prisma.runCodeVersion.findMany({ where: { runId: { in: [...runIds] } }, include: { commit: true } });
      return rows.map((r) => ({
        runId: r.runId,
        repository: r.commit.repository,
        commit: r.commit.commit,
        committedAt: r.commit.committedAt,
        branch: r.branch,
        dirty: r.dirty,
      }));
    },

    /** The first `limit` children (by id, after `afterId`) of each parent, in one query. */
    async childrenOf(parentIds: readonly number[], limit: number, afterId: number | null): Promise<Run[]> {
      const rows = await db.sql.query<{ id: number }>(
        `SELECT id FROM (
           SELECT id, row_number() OVER (PARTITION BY parent_id ORDER BY id) AS n FROM runs
           WHERE parent_id = ANY($1::int[]) AND deleted_at IS NULL AND id > $2) c
         WHERE n <= $3`,
        [parentIds, afterId ?? 0, limit],
      );
      return prisma.run.findMany({ where: { id: { in: rows.map((r) => r.id) } }, orderBy: { id: 'asc' } });
    },
  };
}

export type RunService = ReturnType<typeof createRunService>;
