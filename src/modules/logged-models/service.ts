// Logged models (MLflow 3): a model a run, or a script outside any run, logged in a project, with
// its own params, tags, metrics and status; its files are artifacts that carry it. Who may see
// and change one follows from its project.
import { randomBytes } from 'node:crypto';
import type { Database } from '../../db/database.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import type { LoggedModel, LoggedModelMetric, LoggedModelParam, LoggedModelTag } from '../../generated/prisma/client.js';
import { LIMITS, requireName, requireKey, requireMaxLength } from '../../validation.js';
import type { Access, Role } from '../auth/access.js';
import type { Project } from '../projects/service.js';
import { parseMlflowRunId } from '../runs/mlflow-id.js';
import type { RunService } from '../runs/service.js';
import { type ConditionSpec, parseConditions } from '../search/conditions.js';
import { loggedModelAccess } from './policy.js';
import { type DatasetRef, type LoggedModelOrder, searchLoggedModels } from './store.js';

export type { LoggedModel, LoggedModelMetric, LoggedModelParam, LoggedModelTag };
export type { DatasetRef, LoggedModelOrder };

export const LOGGED_MODEL_STATUSES = ['PENDING', 'READY', 'FAILED'] as const;
export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number];

export interface KeyValue {
  key: string;
  value: string;
}

export interface CreateLoggedModelInput {
  project: Project;
  name?: string | null;
  /** The run that logged it as the client named it (MLflow's source_run_id): linked when it is a run of the project. */
  sourceRun?: string | null;
  modelType?: string | null;
  params?: readonly KeyValue[] | null;
  tags?: readonly KeyValue[] | null;
}

export interface LoggedModelMetricInput {
  key: string;
  value: number;
  step: number;
  timestamp: Date;
  runId?: number | null;
  datasetName?: string | null;
  datasetDigest?: string | null;
}

const SEARCH_SPEC: ConditionSpec = {
  what: 'logged models',
  attributes: {
    name: 'string',
    model_id: 'string',
    model_type: 'string',
    status: 'string',
    source_run_id: 'string',
    creation_timestamp: 'number',
    last_updated_timestamp: 'number',
  },
  aliases: { creation_time: 'creation_timestamp', last_updated_time: 'last_updated_timestamp', run_id: 'source_run_id' },
  kinds: ['tag', 'param', 'metric'],
};

function keyValues(field: string, rows: readonly KeyValue[], maxValue: number): KeyValue[] {
  if (rows.length > LIMITS.tagsPerBatch) throw new ValidationError(field, `at most ${LIMITS.tagsPerBatch} per call (got ${rows.length})`);
  const byKey = new Map<string, KeyValue>();
  rows.forEach((row, i) => {
    requireKey(`${field}[${i}].key`, row.key);
    requireMaxLength(`${field}[${i}].value`, row.value, maxValue);
    byKey.set(row.key, row);
  });
  return [...byKey.values()];
}

/** MLflow's shape of id: m- and 32 hex digits. */
const newModelId = () => `m-${randomBytes(16).toString('hex')}`;

export function createLoggedModelService(db: Database, deps: { runs: RunService }) {
  const { prisma } = db;

  /** A live logged model when the caller holds `role` in its project; deleted ones are NOT_FOUND like missing ones. */
  async function require(caller: Access, id: string, role: Role): Promise<LoggedModel> {
    const model = await prisma.loggedModel.findUnique({ where: { id } });
    return loggedModelAccess.require(caller, model && !model.deletedAt ? model : null, role, id);
  }

  /** Live models of these ids the caller may see. */
  async function visibleByIds(caller: Access, ids: readonly string[]): Promise<LoggedModel[]> {
    if (!ids.length) return [];
    return loggedModelAccess.visible(caller, await prisma.loggedModel.findMany({ where: { id: { in: [...ids] }, deletedAt: null } }));
  }

  function touch(id: string) {
    return prisma.loggedModel.update({ where: { id }, data: { updatedAt: new Date() } });
  }

  return {
    require,

    /** Logs a model in a project the caller may edit, with its params and tags, PENDING until finalized. */
    async create(caller: Access, input: CreateLoggedModelInput): Promise<LoggedModel> {
      const name = input.name == null || input.name.trim() === '' ? `model-${randomBytes(4).toString('hex')}` : requireName('input.name', input.name);
      const modelType = input.modelType == null ? null : requireMaxLength('input.modelType', input.modelType, LIMITS.nameLength);
      const sourceRunText = input.sourceRun == null || input.sourceRun === '' ? null : requireMaxLength('input.sourceRun', input.sourceRun, 200);
      const params = keyValues('input.params', input.params ?? [], LIMITS.paramValueLength);
      const tags = keyValues('input.tags', input.tags ?? [], LIMITS.tagValueLength);
      const project = await loggedModelAccess.require(caller, { projectId: input.project.id }, 'EDITOR', input.project.name);
      if (input.project.deletedAt) throw new ConflictError(`project ${JSON.stringify(input.project.name)} is deleted; restore it before logging models in it`);
      // A source run is linked when the caller may see it and it is in the same project; any other text stays text.
      const runNumber = sourceRunText ? parseMlflowRunId(sourceRunText) : null;
      const sourceRun = runNumber === null ? null : (await deps.runs.visibleByIds(caller, [runNumber]))[0];
      const now = new Date();
      return prisma.$transaction(async (tx) => {
        const model = await tx.loggedModel.create({
          data: {
            id: newModelId(),
            projectId: project.projectId,
            name,
            sourceRunId: sourceRun && sourceRun.projectId === project.projectId ? sourceRun.id : null,
            sourceRunText,
            modelType,
            createdBy: caller.actor,
            createdAt: now,
            updatedAt: now,
          },
        });
        if (params.length) await tx.loggedModelParam.createMany({ data: params.map((p) => ({ modelId: model.id, ...p })) });
        if (tags.length) await tx.loggedModelTag.createMany({ data: tags.map((t) => ({ modelId: model.id, ...t })) });
        return model;
      });
    },

    /** Sets the status a client finalizes with (READY or FAILED; PENDING again is allowed, as MLflow allows it). */
    async finalize(caller: Access, id: string, status: string, message?: string | null): Promise<LoggedModel> {
      if (!(LOGGED_MODEL_STATUSES as readonly string[]).includes(status)) {
        throw new ValidationError('status', `must be one of ${LOGGED_MODEL_STATUSES.join(', ')} (got ${JSON.stringify(status)})`);
      }
      await require(caller, id, 'EDITOR');
      return prisma.loggedModel.update({
        where: { id },
        data: { status, statusMessage: message == null ? null : requireMaxLength('statusMessage', message, LIMITS.notesLength), updatedAt: new Date() },
      });
    },

    /** Sets tags (the last value of a key wins). */
    async setTags(caller: Access, id: string, tags: readonly KeyValue[]): Promise<LoggedModel> {
      const rows = keyValues('tags', tags, LIMITS.tagValueLength);
      await require(caller, id, 'EDITOR');
      await prisma.$transaction(
        rows.map((t) =>
          prisma.loggedModelTag.upsert({ where: { modelId_key: { modelId: id, key: t.key } }, create: { modelId: id, ...t }, update: { value: t.value } }),
        ),
      );
      return touch(id);
    },

    /** Removes a tag; a key the model lacks is NOT_FOUND. */
    async removeTag(caller: Access, id: string, key: string): Promise<LoggedModel> {
      await require(caller, id, 'EDITOR');
      const { count } = await prisma.loggedModelTag.deleteMany({ where: { modelId: id, key } });
      if (count === 0) throw new NotFoundError('LoggedModelTag', key);
      return touch(id);
    },

    /** Logs params; a param already logged with another value is a CONFLICT (params never change). */
    async logParams(caller: Access, id: string, params: readonly KeyValue[]): Promise<LoggedModel> {
      const rows = keyValues('params', params, LIMITS.paramValueLength);
      await require(caller, id, 'EDITOR');
      const existing = await prisma.loggedModelParam.findMany({ where: { modelId: id, key: { in: rows.map((r) => r.key) } } });
      const changed = existing.find((e) => rows.some((r) => r.key === e.key && r.value !== e.value));
      if (changed)
        throw new ConflictError(`params: ${JSON.stringify(changed.key)} is already ${JSON.stringify(changed.value)}; a logged model's params never change`);
      await prisma.loggedModelParam.createMany({ data: rows.map((r) => ({ modelId: id, ...r })), skipDuplicates: true });
      return touch(id);
    },

    /** Records metric points measured for a model; the same point again changes nothing. */
    async logMetrics(caller: Access, id: string, metrics: readonly LoggedModelMetricInput[]): Promise<void> {
      metrics.forEach((m, i) => requireKey(`metrics[${i}].key`, m.key));
      await require(caller, id, 'EDITOR');
      await prisma.loggedModelMetric.createMany({
        data: metrics.map((m) => ({
          modelId: id,
          key: m.key,
          value: m.value,
          step: BigInt(m.step),
          ts: m.timestamp,
          runId: m.runId ?? null,
          datasetName: m.datasetName ?? null,
          datasetDigest: m.datasetDigest ?? null,
        })),
        skipDuplicates: true,
      });
    },

    /** Deletes a model (EDITOR): it leaves reads and searches; its files and versions registered from it stay. */
    async delete(caller: Access, id: string): Promise<void> {
      await require(caller, id, 'EDITOR');
      await prisma.loggedModel.update({ where: { id }, data: { deletedAt: new Date() } });
    },

    /** Live models of these projects (those the caller may see) matching an MLflow-grammar filter, a page at an offset. */
    async search(
      caller: Access,
      input: {
        projects: readonly Project[];
        filter?: string | null;
        datasets?: readonly DatasetRef[];
        order?: readonly LoggedModelOrder[];
        first: number;
        offset: number;
      },
    ): Promise<{ models: LoggedModel[]; hasNextPage: boolean }> {
      const conditions = parseConditions(input.filter, SEARCH_SPEC);
      const order = (input.order ?? []).map((o, i) => {
        if ('attribute' in o.field) {
          const attribute = SEARCH_SPEC.aliases?.[o.field.attribute] ?? o.field.attribute;
          if (!(attribute in SEARCH_SPEC.attributes)) {
            throw new ValidationError(`order_by[${i}]`, `must be an attribute (${Object.keys(SEARCH_SPEC.attributes).join(', ')}) or metrics.<key>`);
          }
          return { ...o, field: { attribute } };
        }
        return o;
      });
      const visible = await loggedModelAccess.visible(
        caller,
        input.projects.map((p) => ({ projectId: p.id })),
      );
      const rows = await searchLoggedModels(db.sql, {
        projectIds: visible.map((p) => p.projectId),
        conditions,
        datasets: input.datasets ?? [],
        order,
        limit: input.first + 1,
        offset: input.offset,
      });
      return { models: rows.slice(0, input.first), hasNextPage: rows.length > input.first };
    },

    /** Params, tags and metrics of models the caller read. */
    async detailsOf(caller: Access, models: readonly LoggedModel[]) {
      const ids = (await loggedModelAccess.visible(caller, models)).map((m) => m.id);
      const where = { modelId: { in: ids } };
      const [params, tags, metrics] = await Promise.all([
        prisma.loggedModelParam.findMany({ where, orderBy: [{ modelId: 'asc' }, { key: 'asc' }] }),
        prisma.loggedModelTag.findMany({ where, orderBy: [{ modelId: 'asc' }, { key: 'asc' }] }),
        prisma.loggedModelMetric.findMany({ where, orderBy: [{ modelId: 'asc' }, { key: 'asc' }, { step: 'asc' }, { ts: 'asc' }] }),
      ]);
      return { params, tags, metrics };
    },

    visibleByIds,

    /** Models runs the caller may edit produced (MLflow's run outputs) or read (its model inputs), both linked once. */
    async linkRun(caller: Access, runId: number, input: { outputs?: readonly { modelId: string; step: number }[]; inputs?: readonly string[] }): Promise<void> {
      const run = await deps.runs.requireEditable(caller, runId);
      const ids = [...new Set([...(input.outputs ?? []).map((o) => o.modelId), ...(input.inputs ?? [])])];
      const found = new Set((await visibleByIds(caller, ids)).map((m) => m.id));
      const missing = ids.find((id) => !found.has(id));
      if (missing !== undefined) throw new NotFoundError('LoggedModel', missing);
      const createdAt = new Date();
      await prisma.$transaction([
        prisma.runModelOutput.createMany({
          data: (input.outputs ?? []).map((o) => ({ runId: run.id, loggedModelId: o.modelId, step: BigInt(o.step), createdAt })),
          skipDuplicates: true,
        }),
        prisma.runLoggedModelInput.createMany({
          data: (input.inputs ?? []).map((id) => ({ runId: run.id, loggedModelId: id, createdAt })),
          skipDuplicates: true,
        }),
      ]);
    },

    /** What runs the caller read produced and read of logged models. */
    async linksOfRuns(caller: Access, runIds: readonly number[]) {
      const visible = new Set((await deps.runs.visibleByIds(caller, runIds)).map((r) => r.id));
      const ids = runIds.filter((id) => visible.has(id));
      const [outputs, inputs] = await Promise.all([
        prisma.runModelOutput.findMany({ where: { runId: { in: ids } }, orderBy: [{ runId: 'asc' }, { createdAt: 'asc' }] }),
        prisma.runLoggedModelInput.findMany({ where: { runId: { in: ids } }, orderBy: [{ runId: 'asc' }, { createdAt: 'asc' }] }),
      ]);
      return { outputs, inputs };
    },
  };
}

export type LoggedModelService = ReturnType<typeof createLoggedModelService>;
