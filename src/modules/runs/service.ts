// Runs: their lifecycle (start, finish, delete, restore), tags, and who may see and change them.
import type { Database } from '../../db/database.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import type { Prisma, Run, RunStatus } from '../../generated/prisma/client.js';
import { LIMITS, requireKey, requireMaxLength, requireName } from '../../validation.js';
import type { EdgeRecorder } from '../lineage/store.js';
import type { Access, Role } from '../auth/access.js';
import type { PendingAudit } from '../audit/pending.js';
import type { ProjectService } from '../projects/service.js';
import type { CodeVersionInput } from './code-version.js';
import { runAccess } from './policy.js';
import { createRunReads } from './run-reads.js';
import { createRunStart } from './start.js';
import { runsByIds } from './store.js';
import { validateTags } from './tags.js';
import type { RunChange } from '../live/wire.js';

export type { Run, RunStatus };
export { validateTags };
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

/** Announces a run that just ended, inside the transaction that ended it (the webhook outbox). */
export type RunEndAnnouncer = (tx: Prisma.TransactionClient, run: Run) => Promise<void>;

/** A run write that committed: what it changed, for live subscribers (on every replica). */
export interface RunCommitted {
  run: Run;
  change: RunChange;
}

export interface RunHooks {
  /**
   * Called by every run write once its transaction committed (never from inside it, so a
   * rolled-back write announces nothing). Required: a write method that does not call it is
   * caught by test/unit/runs-publish.test.ts.
   */
  afterCommit: (event: RunCommitted) => void;
  announceEnd?: RunEndAnnouncer;
}

export function createRunService(db: Database, projects: ProjectService, recordEdges: EdgeRecorder, hooks: RunHooks) {
  const { prisma } = db;
  const { startOnce } = createRunStart(db, projects, recordEdges);
  const announceEnd = hooks.announceEnd ?? (async () => {});
  function committed(run: Run, change: RunChange): Run {
    hooks.afterCommit({ run, change });
    return run;
  }

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
    const result = await startOnce(caller, input, options);
    if (result.created) committed(result.run, 'CREATED');
    return result;
  }

  /** Ends a run. Finishing again with the same status is a no-op; another status is a conflict. */
  async function finish(caller: Access, input: FinishRunInput): Promise<Run> {
    return committed(await finishOnce(caller, input), 'FINISHED');
  }

  async function finishOnce(caller: Access, input: FinishRunInput): Promise<Run> {
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
    return ended ?? finishOnce(caller, input);
  }

  /**
   * Continues a run that ended KILLED or FAILED (a preempted or crashed job): RUNNING again, its
   * end time cleared, its points kept so steps carry on. FINISHED is final (its results may back
   * a model version or a comparison): a new run, e.g. a child of it, continues the work instead.
   * Resuming a RUNNING run changes nothing. The status guard makes a concurrent finish or resume win cleanly.
   */
  async function resume(caller: Access, runId: number): Promise<{ run: Run; resumed: boolean }> {
    const result = await resumeOnce(caller, runId);
    if (result.resumed) committed(result.run, 'RESUMED');
    return result;
  }

  async function resumeOnce(caller: Access, runId: number): Promise<{ run: Run; resumed: boolean }> {
    const run = await requireEditable(caller, runId);
    if (run.status === 'RUNNING') return { run, resumed: false };
    if (run.status === 'FINISHED') {
      throw new ConflictError(
        `Run ${run.id} FINISHED and a finished run is final: only KILLED or FAILED runs can be resumed; start a new run (e.g. with parentRunId) to continue the work`,
        { runId: run.id, status: run.status },
      );
    }
    const updated = await prisma.run.updateMany({ where: { id: run.id, status: run.status }, data: { status: 'RUNNING', endedAt: null } });
    if (updated.count === 0) return resumeOnce(caller, runId);
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
      if (run.deletedAt) return committed(run, 'DELETED');
      return committed(await prisma.run.update({ where: { id: runId }, data: { deletedAt: new Date() } }), 'DELETED');
    },

    /** Brings back a soft-deleted run (EDITOR). */
    async restore(caller: Access, runId: number): Promise<Run> {
      const run = await require(caller, runId, 'EDITOR');
      if (!run.deletedAt) return committed(run, 'RESTORED');
      return committed(await prisma.run.update({ where: { id: runId }, data: { deletedAt: null } }), 'RESTORED');
    },

    async update(caller: Access, input: { runId: number; name?: string | null; notes?: string | null }): Promise<Run> {
      await requireEditable(caller, input.runId);
      const data: Prisma.RunUpdateInput = {};
      if (input.name != null) data.name = requireName('input.name', input.name);
      if (input.notes != null) data.notes = requireMaxLength('input.notes', input.notes, LIMITS.notesLength);
      return committed(await prisma.run.update({ where: { id: input.runId }, data }), 'UPDATED');
    },

    /** Removes one tag of a run the caller may edit; a key the run lacks is NOT_FOUND. */
    async removeTag(caller: Access, runId: number, key: string): Promise<Run> {
      const run = await requireEditable(caller, runId);
      const { count } = await prisma.tag.deleteMany({ where: { runId: run.id, key: requireKey('key', key) } });
      if (count === 0) throw new NotFoundError('RunTag', key);
      return committed(run, 'TAGS_CHANGED');
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
      return committed(run, 'TAGS_CHANGED');
    },

    ...createRunReads(db),

    /** Unchecked reads for other services, which apply their own policy. */
    internal: { requireRun, requireNotDeleted, byIds: (ids: readonly number[]) => runsByIds(db.sql, ids) },
  };
}

export type RunService = ReturnType<typeof createRunService>;
