// Model registry: registered models and their numbered versions; alias moves live in aliases.ts.
import type { Database } from '../../db/database.js';
import { findOrCreate } from '../../db/errors.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import type { AliasAction, ModelAlias, ModelAliasEvent, ModelVersion, Prisma, RegisteredModel } from '../../generated/prisma/client.js';
import { modelsByIds, modelVersionsByIds } from './store.js';
import { LIMITS, requireKey, requireMaxLength } from '../../validation.js';
import type { EdgeRecorder } from '../lineage/store.js';
import { createAliasService, type PromotionGate } from './aliases.js';
import { LOCAL_ACTOR } from '../auth/access.js';
import { endsWithLoneBackslash, LONE_BACKSLASH_RULE } from '../search/like.js';

export type { AliasAction, ModelAlias, ModelAliasEvent, ModelVersion, RegisteredModel };
export { requireAlias } from './aliases.js';
export type { AliasChangeResult, AliasMoveOptions, PromotionGate, VisibleDatasetVersions } from './aliases.js';

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
 * A name filter as MLflow's model search sends it: an exact name, or a LIKE pattern whose only
 * wildcards are a leading and/or trailing `%` (the shapes an index-friendly query can serve).
 * `_` matches itself: model names are full of underscores, and people mean them literally.
 */
export type ModelNameFilter = { equals: string } | { like: string; caseInsensitive: boolean };

function nameWhere(filter: ModelNameFilter): Prisma.StringFilter {
  if ('equals' in filter) return { equals: filter.equals };
  if (endsWithLoneBackslash(filter.like)) throw new ValidationError('filter', `the LIKE pattern ${LONE_BACKSLASH_RULE}`, { rule: 'likeEscape' });
  const mode = filter.caseInsensitive ? ('insensitive' as const) : undefined;
  const inner = filter.like.replace(/^%/, '').replace(/%$/, '');
  if (inner.includes('%'))
    throw new ValidationError('filter', `LIKE patterns may use % only at the start or end (got ${JSON.stringify(filter.like.slice(0, 100))})`);
  const starts = filter.like.startsWith('%');
  const ends = filter.like.length > 1 && filter.like.endsWith('%');
  if (starts && ends) return { contains: inner, mode };
  if (ends) return { startsWith: inner, mode };
  if (starts) return { endsWith: inner, mode };
  return { equals: inner, mode };
}

/** Every alias move passes `promotionGate`; there is no way around it. */
export function createRegistryService(db: Database, options: { promotionGate: PromotionGate; recordEdges: EdgeRecorder }) {
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
        throw new ConflictError(`input.model: a model named ${JSON.stringify(name)} already exists in another project; model names are global`, {
          field: 'input.model',
        });
      }
      return existing;
    };
    return (await findOrCreate(found, () => prisma.registeredModel.create({ data: { name, description, projectId, createdAt: new Date() } }))).value;
  }

  /** Numbers and writes a version in one transaction; the counter update locks the model row, so numbers never collide. */
  async function recordModelVersion(data: {
    modelId: number;
    runId: number;
    artifactId: number;
    description: string | null;
    createdBy: string | null;
  }): Promise<ModelVersion> {
    return prisma.$transaction(async (tx) => {
      const { latestVersion } = await tx.registeredModel.update({ where: { id: data.modelId }, data: { latestVersion: { increment: 1 } } });
      const created = await tx.modelVersion.create({ data: { ...data, version: latestVersion, createdAt: new Date() } });
      await recordEdges(
        tx,
        [{ from: { type: 'Artifact', id: data.artifactId }, to: { type: 'ModelVersion', id: created.id }, kind: 'REGISTERED_AS' }],
        created.createdAt,
      );
      return created;
    });
  }

  return {
    ...createAliasService(db, { gate: options.promotionGate, requireModel, requireVersion }),
    requireModel,
    recordModelVersion,

    /**
     * The project a registration writes into: the model's own when it exists (a different
     * `project` is a conflict), else the named project, else `defaultProjectId` (the artifact's run's).
     */
    async ownerFor(
      modelName: string,
      projectName: string | null | undefined,
      defaultProjectId: number,
    ): Promise<{ model: RegisteredModel | null; projectId: number }> {
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

    /** Creates a model with no versions yet in a project; an existing name returns that model with `created` false. */
    async createModel(input: { name: string; description?: string | null }, projectId: number): Promise<{ model: RegisteredModel; created: boolean }> {
      const name = requireKey('input.name', input.name.trim());
      const description = input.description == null ? null : requireMaxLength('input.description', input.description, LIMITS.notesLength);
      const existing = await prisma.registeredModel.findUnique({ where: { name } });
      if (existing) return { model: existing, created: false };
      return { model: await ensureModel(name, description, projectId), created: true };
    },

    /** Replaces a model's description. */
    async describeModel(name: string, description: string | null): Promise<RegisteredModel> {
      const model = await requireModel(name);
      const text = description == null ? null : requireMaxLength('input.description', description, LIMITS.notesLength);
      return prisma.registeredModel.update({ where: { id: model.id }, data: { description: text } });
    },

    /** Replaces a version's description. */
    async describeVersion(name: string, version: number, description: string | null): Promise<ModelVersion> {
      const found = await requireVersion(await requireModel(name), version, 'input.version');
      const text = description == null ? null : requireMaxLength('input.description', description, LIMITS.notesLength);
      return prisma.modelVersion.update({ where: { id: found.id }, data: { description: text } });
    },

    /** Models by name, keyset-paginated after `afterName`; `projectIds` (null: all) limits them to those projects. */
    async searchModels(input: { name?: ModelNameFilter | null; projectIds: readonly number[] | null; first: number; afterName: string | null }) {
      const name: Prisma.StringFilter = { ...(input.name ? nameWhere(input.name) : {}), ...(input.afterName ? { gt: input.afterName } : {}) };
      const rows = await prisma.registeredModel.findMany({
        where: { name, ...(input.projectIds ? { projectId: { in: [...input.projectIds] } } : {}) },
        orderBy: { name: 'asc' },
        take: input.first + 1,
      });
      return { models: rows.slice(0, input.first), hasNextPage: rows.length > input.first };
    },

    /** The highest-numbered version of each model (from its version counter), in one query. */
    async latestVersionsOf(models: readonly RegisteredModel[]): Promise<ModelVersion[]> {
      const numbered = models.filter((m) => m.latestVersion > 0);
      if (!numbered.length) return [];
      return prisma.modelVersion.findMany({ where: { OR: numbered.map((m) => ({ modelId: m.id, version: m.latestVersion })) }, orderBy: { modelId: 'asc' } });
    },

    /** Versions of models by id, in model then version order; `runIds` (null: any) limits them to those runs. */
    async versionsOfModels(modelIds: readonly number[], runIds: readonly number[] | null): Promise<ModelVersion[]> {
      return prisma.modelVersion.findMany({
        where: { modelId: { in: [...modelIds] }, ...(runIds ? { runId: { in: [...runIds] } } : {}) },
        orderBy: [{ modelId: 'asc' }, { version: 'asc' }],
      });
    },

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
      if (artifact.run.deletedAt)
        throw new ConflictError(`Run ${artifact.runId} is deleted; restore it before registering its artifacts`, { runId: artifact.runId });
      const model = await ensureModel(name, modelDescription, projectId);
      const key = { modelId_artifactId: { modelId: model.id, artifactId: artifact.id } };
      const { value: modelVersion, created } = await findOrCreate(
        () => prisma.modelVersion.findUnique({ where: key }),
        () => recordModelVersion({ modelId: model.id, runId: artifact.runId, artifactId: artifact.id, description, createdBy: actor ?? LOCAL_ACTOR }),
      );
      return { modelVersion, created };
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
  };
}

export type RegistryService = ReturnType<typeof createRegistryService>;
