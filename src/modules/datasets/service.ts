// Datasets: immutable versions identified by content digest, what they derive from, and which runs read them.
import { createHash } from 'node:crypto';
import type { Database } from '../../db/database.js';
import { findOrCreate } from '../../db/errors.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import type { Dataset, DatasetVersion, Prisma, RunDatasetInput, RunModelInput } from '../../generated/prisma/client.js';
import { datasetsByIds, datasetVersionsByIds } from './store.js';
import { LIMITS, requireKey, requireMaxLength, requireName } from '../../validation.js';
import { normalizeSha256 } from '../artifacts/service.js';
import type { EdgeRecorder } from '../lineage/store.js';
import type { RunService } from '../runs/service.js';

export type { Dataset, DatasetVersion, RunDatasetInput, RunModelInput };

export interface RegisterDatasetVersionInput {
  /** OpenLineage-style namespace of the dataset, verbatim; "" (the default) for datasets named without one. */
  namespace?: string | null;
  dataset: string;
  /** Name of the project that owns the dataset: required when the dataset is new, checked when it exists. */
  project?: string | null;
  version: string;
  digest: string;
  description?: string | null;
  sourceUri?: string | null;
  coverageStart?: Date | null;
  coverageEnd?: Date | null;
  rowCount?: number | null;
  schema?: unknown;
  splits?: unknown;
  derivedFrom?: readonly number[] | null;
}

export interface LogInputsInput {
  runId: number;
  datasets?: readonly { datasetVersionId: number; role: string }[] | null;
  models?: readonly { modelVersionId: number; role: string }[] | null;
}

/**
 * Decides whether the caller may register into the dataset's project (throws to refuse). It
 * runs after validation and before any write; `projectId` null: the named project does not exist.
 */
export type DatasetOwnerCheck = (owner: { dataset: Dataset | null; projectId: number | null; projectName: string }) => Promise<void>;

const ROLE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const MAX_PARENTS = 100;
const MAX_INPUTS = 1000;

export function requireRole(field: string, role: string): string {
  if (role.length === 0 || role.length > 100 || !ROLE_PATTERN.test(role)) {
    throw new ValidationError(
      field,
      `must be 1 to 100 letters, digits, '_', '.' or '-', e.g. "train" or "base-model"; got ${JSON.stringify(role.slice(0, 100))}`,
    );
  }
  return role;
}

function jsonOrNull(field: string, value: unknown): Prisma.InputJsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') throw new ValidationError(field, 'must be a JSON object or array');
  return value as Prisma.InputJsonValue;
}

/**
 * The digest given to a version first seen in an OpenLineage event, which names a version but
 * carries no content digest: sha256 of "openlineage\n<namespace>\n<name>\n<version>".
 */
export function lineageDigest(namespace: string, name: string, version: string): string {
  return createHash('sha256').update(`openlineage\n${namespace}\n${name}\n${version}`).digest('hex');
}

export function createDatasetService(db: Database, runs: RunService, recordEdges: EdgeRecorder) {
  const { prisma } = db;

  /** The dataset, created in `projectId` when new; one that exists in another project is a conflict (a concurrent creator won). */
  async function ensureDataset(namespace: string, name: string, description: string | null, projectId: number): Promise<Dataset> {
    const found = async () => {
      const existing = await prisma.dataset.findUnique({ where: { namespace_name: { namespace, name } } });
      if (existing && existing.projectId !== projectId) {
        throw new ConflictError(
          `input.dataset: a dataset named ${JSON.stringify(name)} already exists in another project; dataset names are global within a namespace`,
          { field: 'input.dataset' },
        );
      }
      return existing;
    };
    return (await findOrCreate(found, () => prisma.dataset.create({ data: { namespace, name, description, projectId, createdAt: new Date() } }))).value;
  }

  /**
   * The project a registration writes into: the dataset's own when it exists (a different
   * `project` is a conflict), else the named project, which a new dataset needs. `authorize`
   * sees the owner before any rule names the dataset's project, so nothing leaks to outsiders.
   */
  async function ownerFor(namespace: string, name: string, projectName: string | null | undefined, authorize: DatasetOwnerCheck): Promise<number> {
    const dataset = await prisma.dataset.findUnique({ where: { namespace_name: { namespace, name } }, include: { project: { select: { name: true } } } });
    if (dataset) {
      const { project, ...row } = dataset;
      await authorize({ dataset: row, projectId: dataset.projectId, projectName: project.name });
      if (projectName != null && projectName !== project.name) {
        throw new ConflictError(
          `input.project: dataset ${JSON.stringify(name)} belongs to project ${JSON.stringify(project.name)}, not ${JSON.stringify(projectName)}; a dataset never moves between projects (omit input.project or name its own)`,
          { field: 'input.project' },
        );
      }
      return dataset.projectId;
    }
    if (projectName == null)
      throw new ValidationError(
        'input.project',
        `is required when the dataset is new (${JSON.stringify(name)} does not exist yet): name the project that will own it`,
      );
    const project = await prisma.project.findUnique({ where: { name: projectName } });
    await authorize({ dataset: null, projectId: project?.id ?? null, projectName });
    if (!project) throw new NotFoundError('Project', projectName);
    return project.id;
  }

  /** The version row and its derivedFrom links in one transaction (lineage edges join it later). */
  async function recordDatasetVersion(data: Prisma.DatasetVersionUncheckedCreateInput, parents: readonly number[]): Promise<DatasetVersion> {
    return prisma.$transaction(async (tx) => {
      const created = await tx.datasetVersion.create({ data });
      if (parents.length) {
        await tx.datasetDerivation.createMany({ data: parents.map((parentId) => ({ childId: created.id, parentId, createdAt: data.createdAt as Date })) });
        await recordEdges(
          tx,
          parents.map((parentId) => ({ from: { type: 'DatasetVersion', id: parentId }, to: { type: 'DatasetVersion', id: created.id }, kind: 'DERIVED_INTO' })),
          data.createdAt as Date,
        );
      }
      return created;
    });
  }

  /** Every input link of one call in one transaction. */
  async function recordRunInputs(
    runId: number,
    datasets: readonly { datasetVersionId: number; role: string }[],
    models: readonly { modelVersionId: number; role: string }[],
  ): Promise<{ datasetInputsWritten: number; modelInputsWritten: number }> {
    const createdAt = new Date();
    return prisma.$transaction(async (tx) => {
      const ds = datasets.length
        ? await tx.runDatasetInput.createMany({
            data: datasets.map((d) => ({ runId, datasetVersionId: d.datasetVersionId, role: d.role, createdAt })),
            skipDuplicates: true,
          })
        : { count: 0 };
      const ms = models.length
        ? await tx.runModelInput.createMany({
            data: models.map((m) => ({ runId, modelVersionId: m.modelVersionId, role: m.role, createdAt })),
            skipDuplicates: true,
          })
        : { count: 0 };
      // One lineage edge per input (the first role logged names it); a repeat adds nothing.
      await recordEdges(
        tx,
        [
          ...datasets.map(
            (d) => ({ from: { type: 'DatasetVersion', id: d.datasetVersionId }, to: { type: 'Run', id: runId }, kind: 'INPUT_TO', role: d.role }) as const,
          ),
          ...models.map(
            (m) => ({ from: { type: 'ModelVersion', id: m.modelVersionId }, to: { type: 'Run', id: runId }, kind: 'INPUT_TO', role: m.role }) as const,
          ),
        ],
        createdAt,
      );
      return { datasetInputsWritten: ds.count, modelInputsWritten: ms.count };
    });
  }

  return {
    recordDatasetVersion,
    recordRunInputs,

    /** The project owning a dataset version, or null when there is no such version. */
    async projectOfVersion(versionId: number): Promise<number | null> {
      const row = await prisma.datasetVersion.findUnique({ where: { id: versionId }, select: { dataset: { select: { projectId: true } } } });
      return row?.dataset.projectId ?? null;
    },

    /**
     * Registers a version, or returns the one already registered with the same dataset and
     * digest (a retry). The same label with other content is a conflict: versions are immutable.
     * The input is validated first, then `authorize` sees the owning project before anything is written.
     */
    async registerVersion(
      input: RegisterDatasetVersionInput,
      actor: string | null,
      authorize: DatasetOwnerCheck,
    ): Promise<{ datasetVersion: DatasetVersion; created: boolean }> {
      const name = requireKey('input.dataset', input.dataset.trim());
      const namespace = input.namespace == null ? '' : requireMaxLength('input.namespace', input.namespace, LIMITS.nameLength);
      const version = requireName('input.version', input.version);
      const digest = normalizeSha256('input.digest', input.digest);
      const description = input.description == null ? null : requireMaxLength('input.description', input.description, LIMITS.notesLength);
      const sourceUri = input.sourceUri == null ? null : requireName('input.sourceUri', input.sourceUri, 2000);
      const { coverageStart = null, coverageEnd = null } = input;
      if (coverageStart && coverageEnd && coverageEnd < coverageStart) {
        throw new ValidationError('input.coverageEnd', 'must not be before coverageStart');
      }
      if (input.rowCount != null && (!Number.isSafeInteger(input.rowCount) || input.rowCount < 0)) {
        throw new ValidationError('input.rowCount', 'must be a non-negative integer');
      }
      const schema = jsonOrNull('input.schema', input.schema);
      const splits = jsonOrNull('input.splits', input.splits);
      const parents = [...new Set(input.derivedFrom ?? [])];
      if (parents.length > MAX_PARENTS) throw new ValidationError('input.derivedFrom', `at most ${MAX_PARENTS} parents (got ${parents.length})`);

      const projectId = await ownerFor(namespace, name, input.project, authorize);
      const dataset = await ensureDataset(namespace, name, description, projectId);
      const find = async () => {
        const same = await prisma.datasetVersion.findUnique({ where: { datasetId_digest: { datasetId: dataset.id, digest } } });
        if (same) return same;
        const label = await prisma.datasetVersion.findUnique({ where: { datasetId_version: { datasetId: dataset.id, version } } });
        // A version first seen in an OpenLineage event carries no content digest: registering its
        // label (with the real digest) meets it instead of conflicting.
        if (label && label.digest === lineageDigest(namespace, name, version)) return label;
        if (label) {
          throw new ConflictError(
            `input.version: ${name} version ${JSON.stringify(version)} is already registered with digest ${label.digest}; versions are immutable, register the new content under a new version`,
            {
              field: 'input.version',
            },
          );
        }
        return null;
      };
      const { value: datasetVersion, created } = await findOrCreate(find, async () => {
        if (parents.length) {
          const found = await prisma.datasetVersion.findMany({ where: { id: { in: parents } }, select: { id: true } });
          const missing = parents.find((id) => !found.some((f) => f.id === id));
          if (missing !== undefined) throw new NotFoundError('DatasetVersion', missing);
        }
        return recordDatasetVersion(
          {
            datasetId: dataset.id,
            version,
            digest,
            sourceUri,
            coverageStart,
            coverageEnd,
            rowCount: input.rowCount == null ? null : BigInt(input.rowCount),
            schema,
            splits,
            createdBy: actor,
            createdAt: new Date(),
          },
          parents,
        );
      });
      return { datasetVersion, created };
    },

    /** Links a run to the dataset and model versions it read. Linking again changes nothing. */
    async logInputs(input: LogInputsInput): Promise<{ datasetInputsWritten: number; modelInputsWritten: number }> {
      const run = await runs.requireLiveRun(input.runId);
      const datasets = (input.datasets ?? []).map((d, i) => ({ ...d, role: requireRole(`input.datasets[${i}].role`, d.role) }));
      const models = (input.models ?? []).map((m, i) => ({ ...m, role: requireRole(`input.models[${i}].role`, m.role) }));
      if (datasets.length + models.length > MAX_INPUTS) throw new ValidationError('input', `at most ${MAX_INPUTS} inputs per call`);
      const dsIds = [...new Set(datasets.map((d) => d.datasetVersionId))];
      const foundDs = new Set((await prisma.datasetVersion.findMany({ where: { id: { in: dsIds } }, select: { id: true } })).map((r) => r.id));
      const missingDs = dsIds.find((id) => !foundDs.has(id));
      if (missingDs !== undefined) throw new NotFoundError('DatasetVersion', missingDs);
      const mvIds = [...new Set(models.map((m) => m.modelVersionId))];
      const foundMv = new Set((await prisma.modelVersion.findMany({ where: { id: { in: mvIds } }, select: { id: true } })).map((r) => r.id));
      const missingMv = mvIds.find((id) => !foundMv.has(id));
      if (missingMv !== undefined) throw new NotFoundError('ModelVersion', missingMv);
      return recordRunInputs(run.id, datasets, models);
    },

    async byName(name: string, namespace = ''): Promise<Dataset | null> {
      return prisma.dataset.findUnique({ where: { namespace_name: { namespace, name } } });
    },

    async byIds(ids: readonly number[]): Promise<Dataset[]> {
      return datasetsByIds(db.sql, ids);
    },

    /** Versions by id, each with its dataset. */
    async versionsByIds(ids: readonly number[]): Promise<{ version: DatasetVersion; dataset: Dataset }[]> {
      return datasetVersionsByIds(db.sql, ids);
    },

    async versionByLabel(dataset: string, version: string, namespace = ''): Promise<DatasetVersion | null> {
      return prisma.datasetVersion.findFirst({ where: { dataset: { namespace, name: dataset }, version } });
    },

    /** Versions of a dataset, newest first; `covering` keeps those whose window contains the whole range. */
    async versionsOf(datasetId: number, options: { first: number; afterId: number | null; covering?: { start: Date; end: Date } | null }) {
      const where: Prisma.DatasetVersionWhereInput = { datasetId };
      if (options.afterId !== null) where.id = { lt: options.afterId };
      if (options.covering) {
        where.coverageStart = { lte: options.covering.start };
        where.coverageEnd = { gte: options.covering.end };
      }
      const rows = await prisma.datasetVersion.findMany({ where, orderBy: { id: 'desc' }, take: options.first + 1 });
      return { versions: rows.slice(0, options.first), hasNextPage: rows.length > options.first };
    },

    async parentsOf(childIds: readonly number[]) {
      const rows = await prisma.datasetDerivation.findMany({
        where: { childId: { in: [...childIds] } },
        include: { parent: true },
        orderBy: { parentId: 'asc' },
      });
      return rows.map((r) => ({ childId: r.childId, version: r.parent }));
    },

    async datasetInputsOf(runIds: readonly number[]): Promise<RunDatasetInput[]> {
      return prisma.runDatasetInput.findMany({ where: { runId: { in: [...runIds] } }, orderBy: [{ runId: 'asc' }, { createdAt: 'asc' }, { role: 'asc' }] });
    },

    async modelInputsOf(runIds: readonly number[]): Promise<RunModelInput[]> {
      return prisma.runModelInput.findMany({ where: { runId: { in: [...runIds] } }, orderBy: [{ runId: 'asc' }, { createdAt: 'asc' }, { role: 'asc' }] });
    },

    /** Live runs that read a dataset version (in any role, or one role), oldest first; `projectIds` (null: all) limits whose runs count. */
    async usedBy(versionId: number, options: { role: string | null; first: number; afterRunId: number | null; projectIds: readonly number[] | null }) {
      const role = options.role == null ? null : requireRole('role', options.role);
      const where: Prisma.RunWhereInput = {
        deletedAt: null,
        ...(options.projectIds ? { projectId: { in: [...options.projectIds] } } : {}),
        datasetInputs: { some: { datasetVersionId: versionId, ...(role ? { role } : {}) } },
      };
      const rows = await prisma.run.findMany({
        where: options.afterRunId === null ? where : { ...where, id: { gt: options.afterRunId } },
        orderBy: { id: 'asc' },
        take: options.first + 1,
      });
      return { runs: rows.slice(0, options.first), hasNextPage: rows.length > options.first, totalCount: () => prisma.run.count({ where }) };
    },
  };
}

export type DatasetService = ReturnType<typeof createDatasetService>;
