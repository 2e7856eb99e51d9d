// Model registry: numbered model versions, their aliases, and the append-only history of every alias change.
import { actingUser } from '../../context.js';
import type { Database } from '../../db/database.js';
import { findOrCreate } from '../../db/errors.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import type { AliasAction, ModelAlias, ModelAliasEvent, ModelVersion, Prisma, RegisteredModel } from '../../generated/prisma/client.js';
import { modelsByIds, modelVersionsByIds } from './store.js';
import { LIMITS, requireKey, requireMaxLength } from '../../validation.js';
import type { EdgeRecorder } from '../lineage/store.js';

export type { AliasAction, ModelAlias, ModelAliasEvent, ModelVersion, RegisteredModel };

type Tx = Prisma.TransactionClient;

const ALIAS_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;
const REASON_MAX = 2000;
const REGISTRABLE_KINDS = ['MODEL', 'CHECKPOINT'];

export interface CreateModelVersionInput {
  model: string;
  /** Name of the project that owns the model: used when this call creates it, checked when it exists. */
  project?: string | null;
  artifactId: number;
  description?: string | null;
  modelDescription?: string | null;
}

/**
 * Decides whether an alias may move onto a version; lineage supplies it (a version trained on
 * quarantined data needs an override). Throws a ConflictError to refuse; returns what an
 * override let through, for the history, or null when nothing needed overriding.
 */
export interface PromotionGate {
  check(
    version: ModelVersion,
    label: string,
    override: { reason: string } | null,
    canSee?: VisibleDatasetVersions,
  ): Promise<{ reason: string; datasetVersionIds: number[] } | null>;
}

/** Which of these dataset versions the caller may see; a refusal names only those. */
export type VisibleDatasetVersions = (ids: readonly number[]) => Promise<Set<number>>;

export interface AliasChangeResult {
  model: RegisteredModel;
  /** The version the alias points at after the call (null when removed). */
  version: ModelVersion | null;
  /** The recorded event, or null when the call changed nothing (e.g. a retry). */
  event: ModelAliasEvent | null;
}

export function requireAlias(field: string, alias: string): string {
  if (alias.length === 0 || alias.length > 100 || !ALIAS_PATTERN.test(alias)) {
    throw new ValidationError(field, `must start with a letter and use only letters, digits, '_' and '-' (at most 100), e.g. "production"; got ${JSON.stringify(alias.slice(0, 100))}`);
  }
  return alias;
}

function optionalReason(field: string, reason: string | null | undefined): string | null {
  const trimmed = reason?.trim() ?? '';
  return trimmed ? requireMaxLength(field, trimmed, REASON_MAX) : null;
}

export function createRegistryService(db: Database, options: { promotionGate?: PromotionGate; recordEdges: EdgeRecorder }) {
  const { recordEdges } = options;
  const { prisma } = db;

  async function requireModel(name: string): Promise<RegisteredModel> {
    const model = await prisma.registeredModel.findUnique({ where: { name } });
    if (!model) throw new NotFoundError('RegisteredModel', name);
    return model;
  }

  async function requireVersion(model: RegisteredModel, version: number, field: string): Promise<ModelVersion> {
    if (!Number.isSafeInteger(version) || version < 1) throw new ValidationError(field, 'must be a version number of 1 or more');
    const found = await prisma.modelVersion.findUnique({ where: { modelId_version: { modelId: model.id, version } } });
    if (!found) throw new NotFoundError('ModelVersion', `${model.name}/${version}`);
    return found;
  }

  /** The model, created in `projectId` when new; one that exists in another project is a conflict (a concurrent creator won). */
  async function ensureModel(name: string, description: string | null, projectId: number): Promise<RegisteredModel> {
    const found = async () => {
      const existing = await prisma.registeredModel.findUnique({ where: { name } });
      if (existing && existing.projectId !== projectId) {
        throw new ConflictError(`input.model: a model named ${JSON.stringify(name)} already exists in another project; model names are global`, { field: 'input.model' });
      }
      return existing;
    };
    return (await findOrCreate(found, () => prisma.registeredModel.create({ data: { name, description, projectId, createdAt: new Date() } }))).value;
  }

  /**
   * Locks the model row so alias changes of one model happen one at a time, and returns the
   * instant for the next event: never earlier than the last one, so history order is time order.
   */
  async function lockForAliasChange(tx: Tx, modelId: number): Promise<Date> {
    await tx.$queryRaw`SELECT id FROM registered_models WHERE id = ${modelId} FOR UPDATE`;
    const last = await tx.modelAliasEvent.findFirst({ where: { modelId }, orderBy: [{ at: 'desc' }, { id: 'desc' }] });
    const now = new Date();
    return last && last.at > now ? last.at : now;
  }

  /** Moves (or removes) an alias and appends its event, in the caller's transaction. */
  async function recordAliasChange(
    tx: Tx,
    change: {
      modelId: number;
      alias: string;
      action: AliasAction;
      from: number | null;
      to: number | null;
      actor: string | null;
      reason: string | null;
      at: Date;
      override?: { reason: string; datasetVersionIds: number[] } | null;
    },
  ): Promise<ModelAliasEvent> {
    if (change.to === null) {
      await tx.modelAlias.delete({ where: { modelId_alias: { modelId: change.modelId, alias: change.alias } } });
    } else {
      await tx.modelAlias.upsert({
        where: { modelId_alias: { modelId: change.modelId, alias: change.alias } },
        create: { modelId: change.modelId, alias: change.alias, versionId: change.to, updatedAt: change.at },
        update: { versionId: change.to, updatedAt: change.at },
      });
    }
    return tx.modelAliasEvent.create({
      data: {
        modelId: change.modelId,
        alias: change.alias,
        action: change.action,
        fromVersionId: change.from,
        toVersionId: change.to,
        actor: change.actor,
        reason: change.reason,
        at: change.at,
        overrideReason: change.override?.reason ?? null,
        overriddenDatasetVersionIds: change.override?.datasetVersionIds ?? [],
      },
    });
  }

  // Inside a transaction pass its client: on PGlite (one connection) another would wait forever.
  async function runUserOf(versionId: number | null, client: Tx = prisma): Promise<string | null> {
    if (versionId === null) return null;
    const row = await client.modelVersion.findUnique({ where: { id: versionId }, select: { run: { select: { user: true } } } });
    return row?.run.user ?? null;
  }

  async function versionById(id: number | null): Promise<ModelVersion | null> {
    return id === null ? null : prisma.modelVersion.findUnique({ where: { id } });
  }

  /** Numbers and writes a version in one transaction; the counter update locks the model row, so numbers never collide. */
  async function recordModelVersion(data: { modelId: number; runId: number; artifactId: number; description: string | null; createdBy: string | null }): Promise<ModelVersion> {
    return prisma.$transaction(async (tx) => {
      const { latestVersion } = await tx.registeredModel.update({ where: { id: data.modelId }, data: { latestVersion: { increment: 1 } } });
      const created = await tx.modelVersion.create({ data: { ...data, version: latestVersion, createdAt: new Date() } });
      await recordEdges(tx, [{ from: { type: 'Artifact', id: data.artifactId }, to: { type: 'ModelVersion', id: created.id }, kind: 'REGISTERED_AS' }], created.createdAt);
      return created;
    });
  }

  return {
    requireModel,
    recordModelVersion,

    /**
     * The project a registration writes into: the model's own when it exists (a different
     * `project` is a conflict), else the named project, else `defaultProjectId` (the artifact's run's).
     */
    async ownerFor(modelName: string, projectName: string | null | undefined, defaultProjectId: number): Promise<{ model: RegisteredModel | null; projectId: number }> {
      const name = requireKey('input.model', modelName.trim());
      const model = await prisma.registeredModel.findUnique({ where: { name }, include: { project: { select: { name: true } } } });
      if (model) {
        if (projectName != null && projectName !== model.project.name) {
          throw new ConflictError(
            `input.project: model ${JSON.stringify(name)} belongs to project ${JSON.stringify(model.project.name)}, not ${JSON.stringify(projectName)}; a model never moves between projects (omit input.project or name its own)`,
            { field: 'input.project' },
          );
        }
        const { project: _project, ...row } = model;
        return { model: row, projectId: model.projectId };
      }
      if (projectName == null) return { model: null, projectId: defaultProjectId };
      const project = await prisma.project.findUnique({ where: { name: projectName } });
      if (!project) throw new NotFoundError('Project', projectName);
      return { model: null, projectId: project.id };
    },

    requireVersion,
    recordAliasChange,

    /**
     * Registers an artifact as the next version of a model (creating the model on first use).
     * The artifact identifies the version, so a retry returns the version already created.
     */
    async createVersion(input: CreateModelVersionInput, actor: string | null, projectId: number): Promise<{ modelVersion: ModelVersion; created: boolean }> {
      const name = requireKey('input.model', input.model.trim());
      const description = input.description == null ? null : requireMaxLength('input.description', input.description, LIMITS.notesLength);
      const modelDescription = input.modelDescription == null ? null : requireMaxLength('input.modelDescription', input.modelDescription, LIMITS.notesLength);
      const artifact = await prisma.artifact.findUnique({ where: { id: input.artifactId }, include: { run: { select: { user: true, deletedAt: true } } } });
      if (!artifact) throw new NotFoundError('Artifact', input.artifactId);
      if (!REGISTRABLE_KINDS.includes(artifact.kind)) {
        throw new ValidationError('input.artifactId', `must be a MODEL or CHECKPOINT artifact (this one is ${artifact.kind})`);
      }
      if (artifact.run.deletedAt) throw new ConflictError(`Run ${artifact.runId} is deleted; restore it before registering its artifacts`, { runId: artifact.runId });
      const model = await ensureModel(name, modelDescription, projectId);
      const key = { modelId_artifactId: { modelId: model.id, artifactId: artifact.id } };
      const { value: modelVersion, created } = await findOrCreate(
        () => prisma.modelVersion.findUnique({ where: key }),
        () => recordModelVersion({ modelId: model.id, runId: artifact.runId, artifactId: artifact.id, description, createdBy: actingUser(actor, artifact.run.user) }),
      );
      return { modelVersion, created };
    },

    /**
     * Points an alias at a version. Pointing it where it already points records nothing. A
     * version the promotion gate refuses (trained on quarantined data) needs `override.reason`,
     * which the history records with what it let through.
     */
    async setAlias(
      input: { model: string; alias: string; version: number; reason?: string | null; override?: { reason: string } | null },
      actor: string | null,
      canSee?: VisibleDatasetVersions,
    ): Promise<AliasChangeResult> {
      const alias = requireAlias('input.alias', input.alias);
      const reason = optionalReason('input.reason', input.reason);
      const overrideReason = input.override ? optionalReason('input.override.reason', input.override.reason) : null;
      if (input.override && !overrideReason) throw new ValidationError('input.override.reason', 'an override must say why');
      const model = await requireModel(input.model);
      const target = await requireVersion(model, input.version, 'input.version');
      const who = actingUser(actor, await runUserOf(target.id));
      // The gate reads lineage outside the transaction (PGlite has one connection); a retry onto
      // the version the alias already holds is a no-op and needs no override.
      const holder = await prisma.modelAlias.findUnique({ where: { modelId_alias: { modelId: model.id, alias } } });
      const override =
        holder?.versionId === target.id || !options.promotionGate
          ? null
          : await options.promotionGate.check(target, `${model.name} version ${target.version}`, overrideReason ? { reason: overrideReason } : null, canSee);
      const event = await prisma.$transaction(async (tx) => {
        const at = await lockForAliasChange(tx, model.id);
        const current = await tx.modelAlias.findUnique({ where: { modelId_alias: { modelId: model.id, alias } } });
        if (current?.versionId === target.id) return null;
        return recordAliasChange(tx, { modelId: model.id, alias, action: 'SET', from: current?.versionId ?? null, to: target.id, actor: who, reason, at, override });
      });
      return { model, version: target, event };
    },

    /** Removes an alias. Removing one that is not set records nothing. */
    async removeAlias(input: { model: string; alias: string; reason?: string | null }, actor: string | null): Promise<AliasChangeResult> {
      const alias = requireAlias('input.alias', input.alias);
      const reason = optionalReason('input.reason', input.reason);
      const model = await requireModel(input.model);
      const event = await prisma.$transaction(async (tx) => {
        const at = await lockForAliasChange(tx, model.id);
        const current = await tx.modelAlias.findUnique({ where: { modelId_alias: { modelId: model.id, alias } } });
        if (!current) return null;
        const who = actingUser(actor, await runUserOf(current.versionId, tx));
        return recordAliasChange(tx, { modelId: model.id, alias, action: 'REMOVE', from: current.versionId, to: null, actor: who, reason, at });
      });
      return { model, version: null, event };
    },

    /**
     * Undoes the latest change of an alias: it goes back to the version it held before (a
     * removal is undone by restoring the removed version). With `fromVersion`, nothing
     * happens unless the alias still points at that version, so a retry cannot roll back twice.
     */
    async rollbackAlias(input: { model: string; alias: string; reason: string; fromVersion?: number | null }, actor: string | null): Promise<AliasChangeResult> {
      const alias = requireAlias('input.alias', input.alias);
      const reason = optionalReason('input.reason', input.reason);
      if (!reason) throw new ValidationError('input.reason', 'a rollback must say why');
      const model = await requireModel(input.model);
      const expected = input.fromVersion == null ? null : await requireVersion(model, input.fromVersion, 'input.fromVersion');
      const result = await prisma.$transaction(async (tx) => {
        const at = await lockForAliasChange(tx, model.id);
        const current = await tx.modelAlias.findUnique({ where: { modelId_alias: { modelId: model.id, alias } } });
        const currentId = current?.versionId ?? null;
        if (expected && currentId !== expected.id) return { event: null, to: currentId };
        const last = await tx.modelAliasEvent.findFirst({ where: { modelId: model.id, alias }, orderBy: [{ at: 'desc' }, { id: 'desc' }] });
        if (!last) throw new ConflictError(`input.alias: ${model.name} has never had the alias ${JSON.stringify(alias)}; there is nothing to roll back`, { field: 'input.alias' });
        if (last.fromVersionId === null) {
          throw new ConflictError(`input.alias: ${JSON.stringify(alias)} of ${model.name} held no version before its latest change; use removeModelAlias`, { field: 'input.alias' });
        }
        const who = actingUser(actor, await runUserOf(last.fromVersionId, tx));
        const event = await recordAliasChange(tx, { modelId: model.id, alias, action: 'ROLLBACK', from: currentId, to: last.fromVersionId, actor: who, reason, at });
        return { event, to: last.fromVersionId };
      });
      return { model, version: await versionById(result.to), event: result.event };
    },

    /** Models of a project by name, after `afterName`; one row past `first` tells whether more follow. */
    async modelsOfProject(projectId: number, first: number, afterName: string | null): Promise<{ models: RegisteredModel[]; hasNextPage: boolean }> {
      const rows = await prisma.registeredModel.findMany({
        where: { projectId, ...(afterName !== null ? { name: { gt: afterName } } : {}) },
        orderBy: { name: 'asc' },
        take: first + 1,
      });
      return { models: rows.slice(0, first), hasNextPage: rows.length > first };
    },

    async byName(name: string): Promise<RegisteredModel | null> {
      return prisma.registeredModel.findUnique({ where: { name } });
    },

    async modelsByIds(ids: readonly number[]): Promise<RegisteredModel[]> {
      return modelsByIds(db.sql, ids);
    },

    /** Versions by id, each with its model. */
    async versionsByIds(ids: readonly number[]): Promise<{ version: ModelVersion; model: RegisteredModel }[]> {
      return modelVersionsByIds(db.sql, ids);
    },

    async versionsOfRuns(runIds: readonly number[]): Promise<ModelVersion[]> {
      return prisma.modelVersion.findMany({ where: { runId: { in: [...runIds] } }, orderBy: [{ runId: 'asc' }, { id: 'asc' }] });
    },

    /** Versions of a model, newest first; `projectIds` (null: all) limits them to runs of those projects. */
    async versionsOf(modelId: number, first: number, beforeVersion: number | null, projectIds: readonly number[] | null = null) {
      const where: Prisma.ModelVersionWhereInput = { modelId, ...(projectIds ? { run: { projectId: { in: [...projectIds] } } } : {}) };
      const rows = await prisma.modelVersion.findMany({
        where: { ...where, ...(beforeVersion !== null ? { version: { lt: beforeVersion } } : {}) },
        orderBy: { version: 'desc' },
        take: first + 1,
      });
      return { versions: rows.slice(0, first), hasNextPage: rows.length > first, totalCount: () => prisma.modelVersion.count({ where }) };
    },

    async aliasesOfModels(modelIds: readonly number[]): Promise<ModelAlias[]> {
      return prisma.modelAlias.findMany({ where: { modelId: { in: [...modelIds] } }, orderBy: [{ modelId: 'asc' }, { alias: 'asc' }] });
    },

    async aliasesOfVersions(versionIds: readonly number[]): Promise<ModelAlias[]> {
      return prisma.modelAlias.findMany({ where: { versionId: { in: [...versionIds] } }, orderBy: [{ versionId: 'asc' }, { alias: 'asc' }] });
    },

    /** The version an alias pointed at, at an instant, read from the event history. */
    /** The id of the version an alias pointed at at `at`; null when it was unset then. */
    async aliasAt(modelId: number, alias: string, at: Date): Promise<number | null> {
      requireAlias('name', alias);
      const event = await prisma.modelAliasEvent.findFirst({ where: { modelId, alias, at: { lte: at } }, orderBy: [{ at: 'desc' }, { id: 'desc' }] });
      return event?.toVersionId ?? null;
    },

    /** Alias changes, oldest first. */
    async history(modelId: number, alias: string | null): Promise<ModelAliasEvent[]> {
      if (alias !== null) requireAlias('alias', alias);
      return prisma.modelAliasEvent.findMany({ where: { modelId, ...(alias !== null ? { alias } : {}) }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
    },
  };
}

export type RegistryService = ReturnType<typeof createRegistryService>;
