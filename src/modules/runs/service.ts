// Runs: their lifecycle (start, finish, delete, restore), tags, and who may see and change them.
import type { Database } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { Prisma, type Run, type RunStatus } from '../../generated/prisma/client.js';
import { LIMITS, requireKey, requireMaxLength, requireName } from '../../validation.js';
import type { EdgeInput, EdgeRecorder } from '../lineage/store.js';
import type { Access, Role } from '../auth/access.js';
import type { PendingAudit } from '../audit/pending.js';
import { isGlobalAdmin, projectsWithRole } from '../auth/policy.js';
import { projectAccess } from '../projects/policy.js';
import type { ProjectService } from '../projects/service.js';
import { type CodeVersionInput, recordCommit, validateCodeVersion } from './code-version.js';
import { gpuCountOf } from './environment.js';
import { runAccess } from './policy.js';
import { childRunIds, type NewRunRow, runByClientId, runsByIds, startRunStatement } from './store.js';

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
  const name = input.name == null ? null : requireName('input.name', input.name);
  if (input.notes != null) requireMaxLength('input.notes', input.notes, LIMITS.notesLength);
  if (input.group != null) requireKey('input.group', input.group);
  if (input.seed != null) requireName('input.seed', input.seed, LIMITS.seedLength);
  if (input.environment !== undefined && input.environment !== null && typeof input.environment !== 'object') {
    throw new ValidationError('input.environment', 'must be a JSON object');
  }
  const tags = validateTags('input.tags', input.tags ?? []);
  const code = input.codeVersion ? validateCodeVersion(input.codeVersion) : null;
  return { name, tags, code };
}

/** Announces a run that just ended, inside the transaction that ended it (the webhook outbox). */
export type RunEndAnnouncer = (tx: Prisma.TransactionClient, run: Run) => Promise<void>;

const deletedProject = (name: string, projectId: number) =>
  new ConflictError(`project ${JSON.stringify(name)} is deleted; restore it before starting runs in it`, { projectId });

export function createRunService(db: Database, projects: ProjectService, recordEdges: EdgeRecorder, announceEnd: RunEndAnnouncer = async () => {}) {
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

  /**
   * Starts a run in the caller's project; with a clientRunId, a retry returns the run the first
   * call created. A door's pending audit row is written with the run when the run is new.
   */
  async function start(caller: Access, input: StartRunInput, options: { audit?: PendingAudit | null } = {}): Promise<{ run: Run; created: boolean }> {
    const clientRunId = input.clientRunId == null ? null : requireName('input.clientRunId', input.clientRunId, LIMITS.idempotencyKeyLength);
    const { name, tags, code } = validateStart(input);
    const { user, recordedBy } = attribution(caller, input);
    const fields = {
      clientRunId,
      name,
      user,
      recordedBy,
      notes: input.notes ?? null,
      group: input.group ?? null,
      startedAt: input.startedAt ?? new Date(),
      environment: input.environment ?? null,
      gpuCount: gpuCountOf(input.environment),
      seed: input.seed ?? null,
    };
    if (code || input.parentRunId != null || input.parentRunHint != null) return startLinked(caller, input, fields, tags, code);
    // The hot path (a run with tags at most): one statement finds the project, writes only into
    // one the caller may edit, and answers a retried clientRunId; the refusal is decided below,
    // from the project it found, as projects.require would have decided it before the write.
    const started = await startRunStatement(
      db.sql,
      { ...fields, projectName: input.project, writableProjectIds: await projectsWithRole(caller, 'EDITOR'), tags },
      options.audit ?? null,
    );
    await projectAccess.require(caller, started.projectId === null ? null : { id: started.projectId }, 'EDITOR', input.project);
    if (started.projectDeleted) throw deletedProject(input.project, started.projectId!);
    if (started.run) return { run: started.run, created: started.created };
    // A concurrent start with the same clientRunId committed after the statement began.
    const raced = clientRunId ? await runByClientId(db.sql, started.projectId!, clientRunId) : null;
    if (!raced) throw new Error(`startRun wrote nothing in project ${started.projectId} the caller may edit`);
    return { run: raced, created: false };
  }

  /** A run with a parent or a code version: its lineage edges are written in the same transaction. */
  async function startLinked(
    caller: Access,
    input: StartRunInput,
    fields: Omit<NewRunRow, 'projectName' | 'writableProjectIds' | 'tags'>,
    tags: TagInput[],
    code: ReturnType<typeof validateCodeVersion> | null,
  ): Promise<{ run: Run; created: boolean }> {
    const project = await projects.require(caller, input.project, 'EDITOR');
    if (project.deletedAt) throw deletedProject(project.name, project.id);
    const { clientRunId } = fields;
    if (clientRunId) {
      const existing = await runByClientId(db.sql, project.id, clientRunId);
      if (existing) return { run: existing, created: false };
    }
    let parentId = input.parentRunId ?? null;
    if (parentId != null) {
      const [parent] = await runsByIds(db.sql, [parentId]);
      if (!parent || parent.projectId !== project.id) throw new NotFoundError('Run', parentId);
    } else if (input.parentRunHint != null) {
      // MLflow's parent tag is a hint: a parent elsewhere (or gone) leaves the run top-level.
      const [parent] = await runsByIds(db.sql, [input.parentRunHint]);
      parentId = parent && parent.projectId === project.id ? parent.id : null;
    }
    const data = {
      ...fields,
      projectId: project.id,
      name: fields.name ?? 'unnamed',
      parentId,
      environment: (fields.environment ?? undefined) as Prisma.InputJsonValue | undefined,
    };
    try {
      return { run: await insertLinkedRun(data, tags, code), created: true };
    } catch (error) {
      if (clientRunId && isUniqueViolation(error)) {
        // A concurrent retry with the same clientRunId won the race: return its run.
        const run = await runByClientId(db.sql, project.id, clientRunId);
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
    // The status guard makes a concurrent finish lose cleanly instead of overwriting; the end is
    // announced in the same transaction, so it is announced exactly when it happened.
    const ended = await prisma.$transaction(async (tx) => {
      const updated = await tx.run.updateMany({ where: { id: run.id, status: 'RUNNING' }, data: { status, endedAt } });
      if (updated.count === 0) return null;
      const row = await tx.run.findUniqueOrThrow({ where: { id: run.id } });
      await announceEnd(tx, row);
      return row;
    });
    return ended ?? finish(caller, input);
  }

  /**
   * Continues a run that ended KILLED or FAILED (a preempted or crashed job): RUNNING again, its
   * end time cleared, its points kept so steps carry on. FINISHED is final (its results may back
   * a model version or a comparison): a new run, e.g. a child of it, continues the work instead.
   * Resuming a RUNNING run changes nothing. The status guard makes a concurrent finish or resume win cleanly.
   */
  async function resume(caller: Access, runId: number): Promise<{ run: Run; resumed: boolean }> {
    const run = await requireEditable(caller, runId);
    if (run.status === 'RUNNING') return { run, resumed: false };
    if (run.status === 'FINISHED') {
      throw new ConflictError(
        `Run ${run.id} FINISHED and a finished run is final: only KILLED or FAILED runs can be resumed; start a new run (e.g. with parentRunId) to continue the work`,
        { runId: run.id, status: run.status },
      );
    }
    const updated = await prisma.run.updateMany({ where: { id: run.id, status: run.status }, data: { status: 'RUNNING', endedAt: null } });
    if (updated.count === 0) return resume(caller, runId);
    return { run: await requireRun(run.id), resumed: true };
  }

  return {
    start,
    finish,
    resume,
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
      if (input.name != null) data.name = requireName('input.name', input.name);
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
      const ids = await childRunIds(db.sql, parentIds, afterId, limit);
      return prisma.run.findMany({ where: { id: { in: ids } }, orderBy: { id: 'asc' } });
    },

    /** Unchecked reads for other services, which apply their own policy. */
    internal: { requireRun, requireNotDeleted, byIds: (ids: readonly number[]) => runsByIds(db.sql, ids) },
  };
}

export type RunService = ReturnType<typeof createRunService>;
