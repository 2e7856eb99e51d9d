// Model registry: registered models and their numbered versions, and who may see and change them; alias moves live in aliases.ts.
import type { Database } from '../../db/database.js';
import { findOrCreate } from '../../db/errors.js';
import { ConflictError, type ForbiddenError, NotFoundError, nameNotYours, ValidationError } from '../../errors.js';
import type {
  AliasAction,
  ModelAlias,
  ModelAliasEvent,
  ModelVersion,
  Prisma,
  PromotionDecision,
  PromotionRequest,
  RegisteredModel,
} from '../../generated/prisma/client.js';
import { type ModelWithAliases, modelsByIds, modelVersionsByIds, modelWithAliasesByName, type VersionWithModel } from './store.js';
import { LIMITS, requireName, requireKey, requireMaxLength } from '../../validation.js';
import type { EdgeRecorder } from '../lineage/store.js';
import { createAliasService, type PromotionGate } from './aliases.js';
import { createPromotionService } from './promotions.js';
import type { AliasRule } from '../governance/settings.js';
import type { EventSink } from '../webhooks/outbox.js';
import { aliasMoved, modelVersionCreated, promotion } from '../webhooks/events.js';
import type { Links } from '../../links.js';
import { mlflowRunId } from '../runs/mlflow-id.js';
import { type Access, LOCAL_ACTOR, type Role } from '../auth/access.js';
import { readableProjects } from '../auth/policy.js';
import { createDatasetVisibility } from '../datasets/visibility.js';
import type { ProjectService } from '../projects/service.js';
import { artifactAccess } from '../artifacts/policy.js';
import { artifactsByIds } from '../artifacts/records.js';
import type { LoggedModelService } from '../logged-models/service.js';
import { runAccess } from '../runs/policy.js';
import type { Run, RunService } from '../runs/service.js';
import { createRegistrySearch } from './search.js';
import { createRegistryTags } from './tags.js';
import { modelAccess, visibleVersions } from './policy.js';

export type { AliasAction, ModelAlias, ModelAliasEvent, ModelVersion, RegisteredModel };
export { requireAlias } from './aliases.js';
export type { AliasChangeResult, GateCheck, GateDecision, MoveOutcome, PromotionGate, VisibleDatasetVersions } from './aliases.js';
export type { DecisionResult, PromotionDecision, PromotionRequest, PromotionStatus } from './promotions.js';
export { statusOf } from './promotions.js';
export type { VersionWithModel };

const REGISTRABLE_KINDS = ['MODEL', 'CHECKPOINT'];

export interface CreateModelVersionInput {
  model: string;
  /** When the model is new: its project (default: the project of the artifact's run). */
  /** Name of the project that owns the model: used when this call creates it, checked when it exists. */
  project?: string | null;
  artifactId: number;
  description?: string | null;
  modelDescription?: string | null;
}

/**
 * A version registered from what an MLflow client named: a source URI as given, with the run
 * and logged model it resolved to (either may be absent) and the model file found there, if any.
 */
export interface CreateVersionFromSourceInput {
  model: string;
  source: string;
  runId?: number | null;
  loggedModelId?: string | null;
  artifactId?: number | null;
  description?: string | null;
  tags?: readonly { key: string; value: string }[] | null;
}

/**
 * The MLflow source URI a new version's webhook carries: as given through MLflow, else the run's
 * model directory (runs:/<run>/<dir>), else the logged model (models:/<id>).
 */
function webhookSource(row: { runId: number | null; loggedModelId?: string | null; source?: string | null }, dir: string): string {
  if (row.source) return row.source;
  if (row.runId !== null) return `runs:/${mlflowRunId(row.runId)}${dir ? `/${dir}` : ''}`;
  return row.loggedModelId ? `models:/${row.loggedModelId}` : '';
}

export interface RegistryOptions {
  promotionGate: PromotionGate;
  recordEdges: EdgeRecorder;
  projects: ProjectService;
  runs: RunService;
  loggedModels: LoggedModelService;
  /** Which aliases are protected, and who is in which approver group (governance settings). */
  governance: {
    aliasRule(model: RegisteredModel, alias: string): Promise<AliasRule | null>;
    groupsOf(projectId: number, actor: string): Promise<string[]>;
  };
  links: Links;
  /** Where alias moves, promotion decisions and new versions are announced (the webhook outbox). */
  events: EventSink;
}

/** Every alias move passes `promotionGate`, and a protected alias moves only through approved requests; there is no way around either. */
export function createRegistryService(db: Database, options: RegistryOptions) {
  const { recordEdges, projects, runs, loggedModels, events, links } = options;
  const { prisma } = db;

  async function requireModelRow(name: string): Promise<RegisteredModel> {
    const model = await prisma.registeredModel.findUnique({ where: { name } });
    if (!model) throw new NotFoundError('RegisteredModel', name);
    return model;
  }

  /** The named model when the caller holds `role` in its project (NOT_FOUND when missing or hidden). */
  async function requireModel(caller: Access, name: string, role: Role): Promise<RegisteredModel> {
    return modelAccess.require(caller, await prisma.registeredModel.findUnique({ where: { name } }), role, name);
  }

  async function visibleVersionsByIds(caller: Access, ids: readonly number[]): Promise<VersionWithModel[]> {
    return visibleVersions(caller, await modelVersionsByIds(db.sql, ids));
  }

  /** A version of a model the caller read, when the caller may also see the run it came from (NOT_FOUND otherwise). */
  async function requireVersion(caller: Access, model: RegisteredModel, version: number, field: string): Promise<ModelVersion> {
    if (!Number.isSafeInteger(version) || version < 1) throw new ValidationError(field, 'must be a version number of 1 or more');
    const found = await prisma.modelVersion.findUnique({ where: { modelId_version: { modelId: model.id, version } } });
    if (!found || !(await visibleVersionsByIds(caller, [found.id])).length) throw new NotFoundError('ModelVersion', `${model.name}/${version}`);
    return found;
  }

  /** Dataset versions the caller may see, by id: a gate refusal names only those. */
  const datasetVisibility = createDatasetVisibility(db);
  const visibleDatasetVersions = (caller: Access) => async (ids: readonly number[]) =>
    new Set((await datasetVisibility.visibleVersionsByIds(caller, ids)).map((r) => r.version.id));
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
  async function recordModelVersion(
    data: {
      modelId: number;
      runId: number | null;
      artifactId: number | null;
      loggedModelId?: string | null;
      source?: string | null;
      description: string | null;
      createdBy: string | null;
      /** The artifact's directory, for the MLflow source URI webhooks carry when no source was given. */
      dir?: string;
    },
    tags: readonly { key: string; value: string }[] = [],
  ): Promise<ModelVersion> {
    const { dir = '', ...row } = data;
    return prisma.$transaction(async (tx) => {
      const now = new Date();
      const model = await tx.registeredModel.update({ where: { id: row.modelId }, data: { latestVersion: { increment: 1 }, updatedAt: now } });
      const created = await tx.modelVersion.create({ data: { ...row, version: model.latestVersion, createdAt: now, updatedAt: now } });
      if (tags.length) await tx.modelVersionTag.createMany({ data: tags.map((t) => ({ versionId: created.id, key: t.key, value: t.value })) });
      if (row.artifactId !== null) {
        await recordEdges(
          tx,
          [{ from: { type: 'Artifact', id: row.artifactId }, to: { type: 'ModelVersion', id: created.id }, kind: 'REGISTERED_AS' }],
          created.createdAt,
        );
      }
      await events(tx, [modelVersionCreated(model, created, webhookSource(row, dir), tags)]);
      return created;
    });
  }

  /**
   * The project a registration writes into, when the caller may write there: the model's own
   * when it exists (a different `project` is a conflict), else the named project, else
   * `defaultProjectId` (the artifact's run's). A model in a project the caller has no role in is
   * a name already taken (names are global).
   */
  async function ownerFor(caller: Access, modelName: string, projectName: string | null | undefined, defaultProjectId: number): Promise<number> {
    const name = requireName('input.model', modelName);
    const model = await prisma.registeredModel.findUnique({ where: { name }, include: { project: { select: { name: true } } } });
    if (model) {
      const { project, ...row } = model;
      if (!(await modelAccess.canSee(caller, row))) throw nameTaken(name);
      await modelAccess.require(caller, row, 'EDITOR', name);
      if (projectName != null && projectName !== project.name) {
        throw new ConflictError(
          `input.project: model ${JSON.stringify(name)} belongs to project ${JSON.stringify(project.name)}, not ${JSON.stringify(projectName)}; a model never moves between projects (omit input.project or name its own)`,
          { field: 'input.project' },
        );
      }
      return model.projectId;
    }
    if (projectName == null) return (await projects.requireById(caller, defaultProjectId, 'EDITOR')).id;
    return (await projects.require(caller, projectName, 'EDITOR')).id;
  }

  const announce = {
    alias: async (tx: Prisma.TransactionClient, model: RegisteredModel, event: ModelAliasEvent) =>
      events(tx, [await aliasMoved(tx, model, event, links.promotion)]),
    request: async (
      tx: Prisma.TransactionClient,
      model: RegisteredModel,
      request: PromotionRequest,
      kind: 'requested' | 'approved' | 'rejected',
      decisions: readonly PromotionDecision[],
    ) => events(tx, [await promotion(tx, model, request, kind, decisions, links.promotion)]),
  };
  const promotions = createPromotionService(db, {
    gate: options.promotionGate,
    groupsOf: options.governance.groupsOf,
    visibleDatasetVersions,
    link: links.promotion,
    announce,
  });
  const aliases = createAliasService(db, {
    gate: options.promotionGate,
    aliasRule: options.governance.aliasRule,
    promotions,
    requireModel,
    requireVersion,
    canSeeVersion: async (caller, id) => (await visibleVersionsByIds(caller, [id])).length > 0,
    visibleDatasetVersions,
    announce: announce.alias,
  });
  const tagService = createRegistryTags(db, { requireModel, requireVersion, visibleOnly: (caller, rows) => visibleOnly(caller, rows) });

  return {
    ...tagService,
    ...createRegistrySearch(db),
    ...aliases,
    promotions,
    requireModel,
    requireVersion,
    visibleVersionsByIds,

    /**
     * Creates a model with no versions yet in a project where the caller is EDITOR; an existing
     * name the caller may see returns that model with `created` false (one it may not is a CONFLICT).
     */
    async createModel(
      caller: Access,
      input: { name: string; description?: string | null; project: string },
    ): Promise<{ model: RegisteredModel; created: boolean }> {
      const name = requireName('input.name', input.name);
      const description = input.description == null ? null : requireMaxLength('input.description', input.description, LIMITS.notesLength);
      const existing = await prisma.registeredModel.findUnique({ where: { name } });
      if (existing) {
        if (!(await modelAccess.canSee(caller, existing))) throw nameTaken(name);
        return { model: existing, created: false };
      }
      const project = await projects.require(caller, input.project, 'EDITOR');
      return { model: await ensureModel(name, description, project.id), created: true };
    },

    /** Replaces a model's description (EDITOR). */
    async describeModel(caller: Access, name: string, description: string | null): Promise<RegisteredModel> {
      const model = await requireModel(caller, name, 'EDITOR');
      const text = description == null ? null : requireMaxLength('input.description', description, LIMITS.notesLength);
      return prisma.registeredModel.update({ where: { id: model.id }, data: { description: text, updatedAt: new Date() } });
    },

    /** Replaces a version's description (EDITOR on the model, sight of the version). */
    async describeVersion(caller: Access, name: string, version: number, description: string | null): Promise<ModelVersion> {
      const found = await requireVersion(caller, await requireModel(caller, name, 'EDITOR'), version, 'input.version');
      const text = description == null ? null : requireMaxLength('input.description', description, LIMITS.notesLength);
      return prisma.modelVersion.update({ where: { id: found.id }, data: { description: text, updatedAt: new Date() } });
    },

    /** The highest-numbered version of each model the caller read (from its version counter), in one query; those the caller may not see are left out. */
    async latestVersionsOf(caller: Access, models: readonly RegisteredModel[]): Promise<ModelVersion[]> {
      const numbered = (await modelAccess.visible(caller, models)).filter((m) => m.latestVersion > 0);
      if (!numbered.length) return [];
      const rows = await prisma.modelVersion.findMany({
        where: { OR: numbered.map((m) => ({ modelId: m.id, version: m.latestVersion })) },
        orderBy: { modelId: 'asc' },
      });
      return visibleOnly(caller, rows);
    },

    /** Versions of models the caller read, in model then version order, that the caller may see; `runIds` (null: any) limits them to those runs. */
    async versionsOfModels(caller: Access, models: readonly RegisteredModel[], runIds: readonly number[] | null): Promise<ModelVersion[]> {
      const modelIds = (await modelAccess.visible(caller, models)).map((m) => m.id);
      const rows = await prisma.modelVersion.findMany({
        where: { modelId: { in: modelIds }, ...(runIds ? { runId: { in: [...runIds] } } : {}) },
        orderBy: [{ modelId: 'asc' }, { version: 'asc' }],
      });
      return visibleOnly(caller, rows);
    },

    /**
     * Registers an artifact as the next version of a model (creating the model on first use).
     * The artifact identifies the version, so a retry returns the version already created.
     */
    async createVersion(caller: Access, input: CreateModelVersionInput): Promise<{ modelVersion: ModelVersion; created: boolean }> {
      const name = requireName('input.model', input.model);
      const description = input.description == null ? null : requireMaxLength('input.description', input.description, LIMITS.notesLength);
      const modelDescription = input.modelDescription == null ? null : requireMaxLength('input.modelDescription', input.modelDescription, LIMITS.notesLength);
      const artifact = await prisma.artifact.findUnique({
        where: { id: input.artifactId },
        include: { run: { select: { deletedAt: true } } },
      });
      // Reading the artifact is enough on its side (VIEWER of its project; else NOT_FOUND):
      // the write lands in the model's project, which needs EDITOR.
      if (!artifact || !(await artifactAccess.canSee(caller, artifact))) throw new NotFoundError('Artifact', input.artifactId);
      if (!REGISTRABLE_KINDS.includes(artifact.kind)) {
        throw new ValidationError('input.artifactId', `must be a MODEL or CHECKPOINT artifact (this one is ${artifact.kind})`);
      }
      if (artifact.run?.deletedAt)
        throw new ConflictError(`Run ${artifact.runId} is deleted; restore it before registering its artifacts`, { runId: artifact.runId, state: 'deleted' });
      const projectId = await ownerFor(caller, name, input.project, artifact.projectId);
      // A concurrent creator in another project wins the name: ensureModel then refuses (CONFLICT).
      const model = await ensureModel(name, modelDescription, projectId);
      const key = { modelId_artifactId: { modelId: model.id, artifactId: artifact.id } };
      const { value: modelVersion, created } = await findOrCreate(
        () => prisma.modelVersion.findUnique({ where: key }),
        () =>
          recordModelVersion({
            modelId: model.id,
            runId: artifact.runId,
            artifactId: artifact.id,
            loggedModelId: artifact.loggedModelId,
            description,
            createdBy: caller.actor ?? LOCAL_ACTOR,
            dir: artifact.name.split('/').slice(0, -1).join('/'),
          }),
      );
      return { modelVersion, created };
    },

    /**
     * Registers what an MLflow client named (a source URI, with the run and logged model it
     * resolved to, and the model file found there) as a new version, creating the model on
     * first use in the project of that run or logged model. Each call is a new version, as
     * MLflow numbers them, except that a stored model file is one version of a model (a retry
     * returns it). The caller must see the run, logged model and file it names.
     */
    async createVersionFromSource(caller: Access, input: CreateVersionFromSourceInput): Promise<{ modelVersion: ModelVersion; created: boolean }> {
      const name = requireName('input.model', input.model);
      const source = requireMaxLength('input.source', input.source, 2000);
      const description = input.description == null ? null : requireMaxLength('input.description', input.description, LIMITS.notesLength);
      const tags = (input.tags ?? []).map((t, i) => ({
        key: requireKey(`input.tags[${i}].key`, t.key),
        value: requireMaxLength(`input.tags[${i}].value`, t.value, LIMITS.tagValueLength),
      }));
      if (input.artifactId != null) {
        const existing = await prisma.registeredModel.findUnique({ where: { name } });
        const found =
          existing && (await prisma.modelVersion.findUnique({ where: { modelId_artifactId: { modelId: existing.id, artifactId: input.artifactId } } }));
        if (found) {
          await modelAccess.require(caller, existing, 'EDITOR', name);
          return { modelVersion: found, created: false };
        }
      }
      const run = input.runId == null ? null : await runs.require(caller, input.runId, 'VIEWER');
      if (run?.deletedAt) throw new ConflictError(`Run ${run.id} is deleted; restore it before registering from it`, { runId: run.id, state: 'deleted' });
      const loggedModel = input.loggedModelId == null ? null : await loggedModels.require(caller, input.loggedModelId, 'VIEWER');
      const artifact = input.artifactId == null ? null : (await artifactsByIds(db.sql, [input.artifactId]))[0];
      if (input.artifactId != null && !(await artifactAccess.canSee(caller, artifact))) throw new NotFoundError('Artifact', input.artifactId);
      const origin = run?.projectId ?? loggedModel?.projectId ?? artifact?.projectId ?? null;
      if (origin === null && !(await prisma.registeredModel.findUnique({ where: { name } }))) {
        throw new ValidationError(
          'run_id',
          `a new model needs a project: name the run it comes from (run_id), or create the model with the tag runledger.project`,
        );
      }
      const projectId = await ownerFor(caller, name, null, origin ?? -1);
      const model = await ensureModel(name, null, projectId);
      const modelVersion = await recordModelVersion(
        {
          modelId: model.id,
          runId: run?.id ?? artifact?.runId ?? loggedModel?.sourceRunId ?? null,
          artifactId: artifact?.id ?? null,
          loggedModelId: loggedModel?.id ?? artifact?.loggedModelId ?? null,
          source,
          description,
          createdBy: caller.actor ?? LOCAL_ACTOR,
        },
        tags,
      );
      return { modelVersion, created: true };
    },

    /** Versions registered from logged models the caller read (MLflow's mlflow.modelVersions tag). */
    async versionsOfLoggedModels(caller: Access, modelIds: readonly string[]): Promise<(ModelVersion & { modelName: string })[]> {
      if (!modelIds.length) return [];
      const rows = await prisma.modelVersion.findMany({
        where: { loggedModelId: { in: [...modelIds] } },
        include: { model: { select: { name: true } } },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      });
      return (await visibleOnly(caller, rows)).map(({ model, ...v }) => ({ ...v, modelName: model.name }));
    },

    /** Models of a project the caller may see, by name, after `afterName`; one row past `first` tells whether more follow. */
    async modelsOfProject(
      caller: Access,
      projectId: number,
      first: number,
      afterName: string | null,
    ): Promise<{ models: RegisteredModel[]; hasNextPage: boolean }> {
      await projects.requireById(caller, projectId, 'VIEWER');
      const rows = await prisma.registeredModel.findMany({
        where: { projectId, ...(afterName !== null ? { name: { gt: afterName } } : {}) },
        orderBy: { name: 'asc' },
        take: first + 1,
      });
      return { models: rows.slice(0, first), hasNextPage: rows.length > first };
    },

    /**
     * Whether the caller could create a model of this name: true when no model holds it, false
     * when a model the caller sees does; FORBIDDEN when one the caller may not see holds it
     * (names are global, and the refusal must not say that it exists).
     */
    async nameFree(caller: Access, name: string): Promise<boolean> {
      const model = await prisma.registeredModel.findUnique({ where: { name: name.trim() } });
      if (!model) return true;
      if (!(await modelAccess.canSee(caller, model))) throw nameTaken(model.name);
      return false;
    },

    /** The named model when the caller may see it, else null (a missing and a hidden model look alike). */
    async get(caller: Access, name: string): Promise<RegisteredModel | null> {
      const model = await prisma.registeredModel.findUnique({ where: { name } });
      return (await modelAccess.canSee(caller, model)) ? model : null;
    },

    /**
     * `get`, with what model@alias reads go on to load, from the same statement: the aliases it
     * holds now (as aliasesOfModels gives them) and, of their versions and those versions' runs,
     * the ones the caller may see (as visibleVersionsByIds and the run service's visibleByIds).
     */
    async getWithAliases(caller: Access, name: string): Promise<ModelWithAliases | null> {
      const found = await modelWithAliasesByName(db.sql, name);
      if (!found || !(await modelAccess.canSee(caller, found.model))) return null;
      const [versions, runs] = await Promise.all([visibleVersions(caller, found.versions), runAccess.visible(caller, found.runs)]);
      return { ...found, versions, runs };
    },

    async visibleModelsByIds(caller: Access, ids: readonly number[]): Promise<RegisteredModel[]> {
      return modelAccess.visible(caller, await modelsByIds(db.sql, ids));
    },

    /** Versions registered from runs the caller read, of models the caller may see. */
    async versionsOfRuns(caller: Access, runs: readonly Run[]): Promise<ModelVersion[]> {
      const runIds = (await runAccess.visible(caller, runs)).map((r) => r.id);
      return visibleOnly(caller, await prisma.modelVersion.findMany({ where: { runId: { in: runIds } }, orderBy: [{ runId: 'asc' }, { id: 'asc' }] }));
    },

    /** Versions of a model the caller read, newest first, from runs the caller may see. */
    async versionsOf(caller: Access, model: RegisteredModel, first: number, beforeVersion: number | null) {
      await modelAccess.require(caller, model, 'VIEWER', model.name);
      const projectIds = await readableProjects(caller);
      // Versions that came from runs or logged models of projects the caller cannot see are left out.
      const where: Prisma.ModelVersionWhereInput = {
        modelId: model.id,
        ...(projectIds
          ? {
              OR: [
                { run: { projectId: { in: projectIds } } },
                { runId: null, loggedModel: { projectId: { in: projectIds } } },
                { runId: null, loggedModelId: null },
              ],
            }
          : {}),
      };
      const rows = await prisma.modelVersion.findMany({
        where: { ...where, ...(beforeVersion !== null ? { version: { lt: beforeVersion } } : {}) },
        orderBy: { version: 'desc' },
        take: first + 1,
      });
      return { versions: rows.slice(0, first), hasNextPage: rows.length > first, totalCount: () => prisma.modelVersion.count({ where }) };
    },

    /** Aliases held now by models the caller read (pointing at versions it may or may not see: load those through visibleVersionsByIds). */
    async aliasesOfModels(caller: Access, models: readonly RegisteredModel[]): Promise<ModelAlias[]> {
      const modelIds = (await modelAccess.visible(caller, models)).map((m) => m.id);
      return prisma.modelAlias.findMany({ where: { modelId: { in: modelIds } }, orderBy: [{ modelId: 'asc' }, { alias: 'asc' }] });
    },

    /** Aliases held now by versions the caller read. */
    async aliasesOfVersions(caller: Access, versions: readonly ModelVersion[]): Promise<ModelAlias[]> {
      const versionIds = (await visibleOnly(caller, versions)).map((v) => v.id);
      return prisma.modelAlias.findMany({ where: { versionId: { in: versionIds } }, orderBy: [{ versionId: 'asc' }, { alias: 'asc' }] });
    },

    /** Unchecked lookups for other services, which apply their own policy. */
    internal: { requireModel: requireModelRow },
  };

  /** The versions of `rows` the caller may see (both their model's and their run's project). */
  async function visibleOnly<V extends ModelVersion>(caller: Access, rows: readonly V[]): Promise<V[]> {
    if (rows.length === 0) return [];
    const seen = new Set(
      (
        await visibleVersionsByIds(
          caller,
          rows.map((v) => v.id),
        )
      ).map((v) => v.version.id),
    );
    return rows.filter((v) => seen.has(v.id));
  }
}

function nameTaken(name: string): ForbiddenError {
  return nameNotYours('input.model', 'model', name);
}

export type RegistryService = ReturnType<typeof createRegistryService>;
