// Runs: their lifecycle (start, finish, delete, restore), tags, and who may see and change them.
import type { Database } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { Prisma, type Run, type RunStatus } from '../../generated/prisma/client.js';
import { LIMITS, requireDisplayName, requireKey, requireMaxLength, requireName } from '../../validation.js';
import type { EdgeInput, EdgeRecorder } from '../lineage/store.js';
import type { Access, Role } from '../auth/access.js';
import { isGlobalAdmin } from '../auth/policy.js';
import type { ProjectService } from '../projects/service.js';
import { type CodeVersionInput, recordCommit, validateCodeVersion } from './code-version.js';
import { gpuCountOf } from './environment.js';
import { runAccess } from './policy.js';
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
  /** Who the run is for; counts only from a global admin (an import of history), see `attribution`. */
  user?: string | null;
  /**
   * The user the client's environment reports (e.g. MLflow's user_id, the OS user). Not a claim
   * to act for someone: it names the run's user only when the caller is the anonymous local user.
   */
  reportedUser?: string | null;
  notes?: string | null;
  group?: string | null;
  parentRunId?: number | null;
  /**
   * A parent another tracker's tag named (MLflow's mlflow.parentRunId): linked when it is a run
   * of the same project the caller may see, else ignored (the tag keeps the text).
   */
  parentRunHint?: number | null;
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

/**
 * Who a run is recorded for. A caller with an identity is the run's user; `input.user` naming
 * someone else counts only from a global admin (importing history), and the run then also
 * records who did it, so a token can never attribute work to another user. The anonymous local
 * user (authentication off) may name anyone, or fall back on what the client reported.
 */
function attribution(caller: Access, input: StartRunInput): { user: string | null; recordedBy: string | null } {
  const claimed = input.user ?? (caller.principal.kind === 'local' && !caller.actor ? input.reportedUser : null) ?? null;
  if (claimed == null || claimed === caller.actor || !isGlobalAdmin(caller)) return { user: caller.actor, recordedBy: null };
  const recordedBy = caller.actor ?? (input.user == null ? null : 'local');
  return { user: requireName(input.user == null ? 'input.reportedUser' : 'input.user', claimed), recordedBy };
}

function validateStart(input: StartRunInput) {
  const name = input.name == null ? null : requireDisplayName('input.name', input.name);
  if (input.notes != null) requireMaxLength('input.notes', input.notes, LIMITS.notesLength);
  if (input.group != null) requireKey('input.group', input.group);
  if (input.seed != null) requireName('input.seed', input.seed, 200);
  if (input.environment !== undefined && input.environment !== null && typeof input.environment !== 'object') {
    throw new ValidationError('input.environment', 'must be a JSON object');
  }
  const tags = validateTags('input.tags', input.tags ?? []);
  const code = input.codeVersion ? validateCodeVersion(input.codeVersion) : null;
  return { name, tags, code };
}

export function createRunService(db: Database, projects: ProjectService, recordEdges: EdgeRecorder) {
  const { prisma } = db;

  async function requireRun(runId: number): Promise<Run> {
    const [run] = await runsByIds(db.sql, [runId]);
    if (!run) throw new NotFoundError('Run', runId);
    return run;
  }

  function requireNotDeleted(run: Run): Run {
    if (run.deletedAt) throw new ConflictError(`Run ${run.id} is deleted; restore it before changing it`, { runId: run.id, state: 'deleted' });
    return run;
  }

  /** The run when the caller holds `role` in its project (NOT_FOUND when missing or hidden). */
  async function require(caller: Access, runId: number, role: Role): Promise<Run> {
    const [run] = await runsByIds(db.sql, [runId]);
    return runAccess.require(caller, run, role, runId);
  }

  /** A run the caller may change: EDITOR in its project, and not deleted. */
  async function requireEditable(caller: Access, runId: number): Promise<Run> {
    return requireNotDeleted(await require(caller, runId, 'EDITOR'));
  }

  /** Starts a run in the caller's project; with a clientRunId, a retry returns the run the first call created. */
  async function start(caller: Access, input: StartRunInput): Promise<{ run: Run; created: boolean }> {
    const project = await projects.require(caller, input.project, 'EDITOR');
    if (project.deletedAt) {
      throw new ConflictError(`project ${JSON.stringify(project.name)} is deleted; restore it before starting runs in it`, { projectId: project.id });
    }
    const clientRunId = input.clientRunId == null ? null : requireName('input.clientRunId', input.clientRunId, LIMITS.idempotencyKeyLength);
    if (clientRunId) {
      const existing = await prisma.run.findUnique({ where: { projectId_clientRunId: { projectId: project.id, clientRunId } } });
      if (existing) return { run: existing, created: false };
    }
    const { name, tags, code } = validateStart(input);
    const { user, recordedBy } = attribution(caller, input);
    let parentId = input.parentRunId ?? null;
    if (parentId != null) {
      const parent = await prisma.run.findUnique({ where: { id: parentId } });
      if (!parent || parent.projectId !== project.id) throw new NotFoundError('Run', parentId);
    } else if (input.parentRunHint != null) {
      const parent = await prisma.run.findUnique({ where: { id: input.parentRunHint } });
      parentId = parent && parent.projectId === project.id ? parent.id : null;
    }
    const data = {
      projectId: project.id,
      clientRunId,
      name: name ?? 'unnamed',
      user,
      recordedBy,
      notes: input.notes ?? null,
      group: input.group ?? null,
      parentId,
      startedAt: input.startedAt ?? new Date(),
      environment: (input.environment ?? undefined) as Prisma.InputJsonValue | undefined,
      gpuCount: gpuCountOf(input.environment),
      seed: input.seed ?? null,
    };
    // A named run with nothing linked is one row: one statement in an implicit transaction,
    // without an interactive transaction's BEGIN and COMMIT round trips.
    const alone = name !== null && tags.length === 0 && !code && parentId == null;
    try {
      const run = alone ? await prisma.run.create({ data }) : await insertLinkedRun(data, tags, code);
      return { run, created: true };
    } catch (error) {
      if (clientRunId && isUniqueViolation(error)) {
        // A concurrent retry with the same clientRunId won the race: return its run.
        const run = await prisma.run.findUnique({ where: { projectId_clientRunId: { projectId: project.id, clientRunId } } });
        if (run) return { run, created: false };
      }
      throw error;
    }
  }

  /** The run with its tags, code version and lineage edges, in one transaction: a run never exists without its links. */
  function insertLinkedRun(data: Prisma.RunUncheckedCreateInput, tags: TagInput[], code: ReturnType<typeof validateCodeVersion> | null): Promise<Run> {
    return prisma.$transaction(async (tx) => {
      const created = await tx.run.create({ data });
      // Unnamed runs get a readable default that stays unique within the project.
      const run = data.name !== 'unnamed' ? created : await tx.run.update({ where: { id: created.id }, data: { name: `run-${created.id}` } });
      if (tags.length) await tx.tag.createMany({ data: tags.map((t) => ({ runId: run.id, key: t.key, value: t.value })) });
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
  }

  /** Ends a run. Finishing again with the same status is a no-op; another status is a conflict. */
  async function finish(caller: Access, input: FinishRunInput): Promise<Run> {
    const run = await requireEditable(caller, input.runId);
    const status = input.status ?? 'FINISHED';
    if (run.status !== 'RUNNING') {
      if (run.status === status) return run;
      throw new ConflictError(`Run ${run.id} already ended as ${run.status}; it cannot become ${status}`, { runId: run.id });
    }
    const endedAt = input.endedAt ?? new Date();
    if (endedAt < run.startedAt) throw new ValidationError('input.endedAt', 'must not be before the run started');
    // The status guard makes a concurrent finish lose cleanly instead of overwriting.
    const updated = await prisma.run.updateMany({ where: { id: run.id, status: 'RUNNING' }, data: { status, endedAt } });
    if (updated.count === 0) return finish(caller, input);
    return requireRun(run.id);
  }

  return {
    start,
    finish,
    require,
    requireEditable,

    /** Soft-deletes a run (EDITOR); deleting it again changes nothing. */
    async delete(caller: Access, runId: number): Promise<Run> {
      const run = await require(caller, runId, 'EDITOR');
      if (run.deletedAt) return run;
      return prisma.run.update({ where: { id: runId }, data: { deletedAt: new Date() } });
    },

    /** Brings back a soft-deleted run (EDITOR). */
    async restore(caller: Access, runId: number): Promise<Run> {
      const run = await require(caller, runId, 'EDITOR');
      if (!run.deletedAt) return run;
      return prisma.run.update({ where: { id: runId }, data: { deletedAt: null } });
    },

    async update(caller: Access, input: { runId: number; name?: string | null; notes?: string | null }): Promise<Run> {
      await requireEditable(caller, input.runId);
      const data: Prisma.RunUpdateInput = {};
      if (input.name != null) data.name = requireDisplayName('input.name', input.name);
      if (input.notes != null) data.notes = requireMaxLength('input.notes', input.notes, LIMITS.notesLength);
      return prisma.run.update({ where: { id: input.runId }, data });
    },

    async setTags(caller: Access, input: SetTagsInput): Promise<Run> {
      const run = await requireEditable(caller, input.runId);
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

    /** Removes one tag of a run the caller may edit; a key the run lacks is NOT_FOUND. */
    async removeTag(caller: Access, runId: number, key: string): Promise<Run> {
      const run = await requireEditable(caller, runId);
      const { count } = await prisma.tag.deleteMany({ where: { runId: run.id, key: requireKey('key', key) } });
      if (count === 0) throw new NotFoundError('RunTag', key);
      return run;
    },

    /** The runs of these ids the caller may see (deleted ones included). */
    async visibleByIds(caller: Access, ids: readonly number[]): Promise<Run[]> {
      return runAccess.visible(caller, await runsByIds(db.sql, ids));
    },

    /** Params of runs the caller read (invisible ones contribute nothing). */
    async paramsOf(caller: Access, runs: readonly Run[]) {
      const ids = (await runAccess.visible(caller, runs)).map((r) => r.id);
      return prisma.param.findMany({ where: { runId: { in: ids } }, orderBy: [{ runId: 'asc' }, { key: 'asc' }] });
    },

    async tagsOf(caller: Access, runs: readonly Run[]) {
      const ids = (await runAccess.visible(caller, runs)).map((r) => r.id);
      return prisma.tag.findMany({ where: { runId: { in: ids } }, orderBy: [{ runId: 'asc' }, { key: 'asc' }] });
    },

    /** The code version of each run the caller read, with the run it belongs to (its diff is found through it). */
    async codeVersionsOf(caller: Access, runs: readonly Run[]) {
      const visible = new Map((await runAccess.visible(caller, runs)).map((r) => [r.id, r]));
      const rows = await prisma.runCodeVersion.findMany({ where: { runId: { in: [...visible.keys()] } }, include: { commit: true } });
      return rows.map((r) => ({
        run: visible.get(r.runId)!,
        runId: r.runId,
        repository: r.commit.repository,
        commit: r.commit.commit,
        committedAt: r.commit.committedAt,
        branch: r.branch,
        dirty: r.dirty,
      }));
    },

    /** The first `limit` live children (by id, after `afterId`) of each parent the caller may see, in one query; children share their parent's project. */
    async childrenOf(caller: Access, parents: readonly Run[], limit: number, afterId: number | null): Promise<Run[]> {
      const parentIds = (await runAccess.visible(caller, parents)).map((r) => r.id);
      const rows = await db.sql.query<{ id: number }>(
        `SELECT id FROM (
           SELECT id, row_number() OVER (PARTITION BY parent_id ORDER BY id) AS n FROM runs
           WHERE parent_id = ANY($1::int[]) AND deleted_at IS NULL AND id > $2) c
         WHERE n <= $3`,
        [parentIds, afterId ?? 0, limit],
      );
      return prisma.run.findMany({ where: { id: { in: rows.map((r) => r.id) } }, orderBy: { id: 'asc' } });
    },

    /** Unchecked reads for other services, which apply their own policy. */
    internal: { requireRun, requireNotDeleted, byIds: (ids: readonly number[]) => runsByIds(db.sql, ids) },
  };
}

export type RunService = ReturnType<typeof createRunService>;
