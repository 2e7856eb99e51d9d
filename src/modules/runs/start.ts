// Starting a run: who it is for, its validated fields, and the one-statement hot path or, with a
// parent or a code version, one transaction that writes the run with its lineage edges.
import type { Database } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import type { Prisma, Run } from '../../generated/prisma/client.js';
import { LIMITS, requireKey, requireMaxLength, requireName } from '../../validation.js';
import type { Access } from '../auth/access.js';
import type { PendingAudit } from '../audit/pending.js';
import { isGlobalAdmin, projectsWithRole } from '../auth/policy.js';
import type { EdgeInput, EdgeRecorder } from '../lineage/store.js';
import { projectAccess } from '../projects/policy.js';
import type { ProjectService } from '../projects/service.js';
import { recordCommit, validateCodeVersion } from './code-version.js';
import { gpuCountOf } from './environment.js';
import type { StartRunInput, TagInput } from './service.js';
import { type NewRunRow, runByClientId, runsByIds, startRunStatement } from './store.js';
import { validateTags } from './tags.js';

const deletedProject = (name: string, projectId: number) =>
  new ConflictError(`project ${JSON.stringify(name)} is deleted; restore it before starting runs in it`, { projectId });

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

export function createRunStart(db: Database, projects: ProjectService, recordEdges: EdgeRecorder) {
  const { prisma } = db;

  async function startOnce(caller: Access, input: StartRunInput, options: { audit?: PendingAudit | null }): Promise<{ run: Run; created: boolean }> {
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

  return { startOnce };
}
