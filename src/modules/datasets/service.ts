// Datasets: immutable versions identified by content digest, what they derive from, which runs read them, and who may see each.
import type { Database } from '../../db/database.js';
import { findOrCreate } from '../../db/errors.js';
import { ConflictError, type ForbiddenError, NotFoundError, nameNotYours, ValidationError } from '../../errors.js';
import type { Dataset, DatasetVersion, Prisma, RunDatasetInput, RunModelInput } from '../../generated/prisma/client.js';
import type { Access } from '../auth/access.js';
import { isGlobalAdmin, readableProjects } from '../auth/policy.js';
import { projectAccess } from '../projects/policy.js';
import type { Project, ProjectService } from '../projects/service.js';
import { visibleVersions as visibleModelVersions } from '../registry/policy.js';
import { modelVersionsByIds } from '../registry/store.js';
import { runAccess } from '../runs/policy.js';
import { datasetAccess } from './policy.js';
import { datasetsByIds, datasetVersionsByIds, inputSummaries } from './store.js';
import type { DatasetReads } from './reads.js';
import { type OpenLineageRef, openLineageRefOf } from './source-uri.js';
import { keyProblem, LIMITS, requireKey, requireMaxLength, requireName } from '../../validation.js';
import { normalizeSha256 } from '../artifacts/service.js';
import type { EdgeRecorder } from '../lineage/store.js';
import type { Run, RunService } from '../runs/service.js';

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
  /** How the client described the source and the data, kept verbatim (MLflow's Dataset source_type, source, schema and profile). */
  sourceType?: string | null;
  source?: string | null;
  schemaText?: string | null;
  profile?: string | null;
  coverageStart?: Date | null;
  coverageEnd?: Date | null;
  rowCount?: number | null;
  schema?: unknown;
  splits?: unknown;
  derivedFrom?: readonly number[] | null;
}

export interface DatasetInputTag {
  key: string;
  value: string;
}

export interface LogInputsInput {
  runId: number;
  /** `tags`: the input's tags as the client sent them (MLflow's InputTag list), kept in order. */
  datasets?: readonly { datasetVersionId: number; role: string; tags?: readonly DatasetInputTag[] | null }[] | null;
  models?: readonly { modelVersionId: number; role: string }[] | null;
}

const MAX_ROLE_LENGTH = 100;
/** Longest source, schema or profile text kept (MLflow's own limits are 65,535 and 16 MB for schema). */
const MAX_DESCRIPTION = 1_000_000;
const MAX_PARENTS = 100;
const MAX_INPUTS = 1000;

export function requireRole(field: string, role: string): string {
  // A role is a key (MLflow's dataset context, e.g. "training", lands here), e.g. "train" or "base-model".
  const problem = keyProblem(role, MAX_ROLE_LENGTH);
  if (problem) throw new ValidationError(field, `${problem} (a role such as "train" or "base-model")`);
  return role;
}

function jsonOrNull(field: string, value: unknown): Prisma.InputJsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') throw new ValidationError(field, 'must be a JSON object or array');
  return value as Prisma.InputJsonValue;
}

import { lineageDigest } from './digest.js';

export { lineageDigest };

export function createDatasetService(db: Database, deps: { runs: RunService; projects: ProjectService; recordEdges: EdgeRecorder; reads: DatasetReads }) {
  const { runs, projects, recordEdges, reads } = deps;
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
   * The project a registration writes into, when the caller may write there: the dataset's own
   * when it exists (a different `project` is a conflict), else the named project, which a new
   * dataset needs. A dataset of a project the caller has no role in is a name already taken
   * (names are global), never a NOT_FOUND that would confirm it exists somewhere.
   */
  async function ownerFor(caller: Access, namespace: string, name: string, projectName: string | null | undefined): Promise<number> {
    const dataset = await prisma.dataset.findUnique({ where: { namespace_name: { namespace, name } }, include: { project: { select: { name: true } } } });
    if (dataset) {
      const { project, ...row } = dataset;
      if (!(await datasetAccess.canSee(caller, row))) throw nameTaken(name);
      await datasetAccess.require(caller, row, 'EDITOR', name);
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
    return (await projects.require(caller, projectName, 'EDITOR')).id;
  }

  /** Versions the caller may see, each with its dataset. */
  async function visibleVersionsByIds(caller: Access, ids: readonly number[]): Promise<{ version: DatasetVersion; dataset: Dataset }[]> {
    const rows = await datasetVersionsByIds(db.sql, ids);
    const visible = new Set(
      (
        await datasetAccess.visible(
          caller,
          rows.map((r) => r.dataset),
        )
      ).map((d) => d.id),
    );
    return rows.filter((r) => visible.has(r.dataset.id));
  }

  /** Refuses the first id the caller cannot see, as NOT_FOUND: a hidden input and a missing one look alike. */
  async function requireVisibleVersions(caller: Access, ids: readonly number[]): Promise<void> {
    const seen = new Set((await visibleVersionsByIds(caller, ids)).map((r) => r.version.id));
    const missing = ids.find((id) => !seen.has(id));
    if (missing !== undefined) throw new NotFoundError('DatasetVersion', missing);
  }

  async function requireVisibleModelVersions(caller: Access, ids: readonly number[]): Promise<void> {
    const seen = new Set((await visibleModelVersions(caller, await modelVersionsByIds(db.sql, ids))).map((r) => r.version.id));
    const missing = ids.find((id) => !seen.has(id));
    if (missing !== undefined) throw new NotFoundError('ModelVersion', missing);
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
    datasets: readonly { datasetVersionId: number; role: string; tags?: readonly DatasetInputTag[] | null }[],
    models: readonly { modelVersionId: number; role: string }[],
  ): Promise<{ datasetInputsWritten: number; modelInputsWritten: number }> {
    const createdAt = new Date();
    return prisma.$transaction(async (tx) => {
      const ds = datasets.length
        ? await tx.runDatasetInput.createMany({
            data: datasets.map((d) => ({
              runId,
              datasetVersionId: d.datasetVersionId,
              role: d.role,
              tags: d.tags ? d.tags.map((t) => ({ key: t.key, value: t.value })) : undefined,
              createdAt,
            })),
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

  /** The sources of the logged versions, linked as reads of the OpenLineage datasets they name (not the version's own dataset). */
  async function linkSources(caller: Access, run: Run, logged: readonly { datasetVersionId: number; role: string }[]) {
    if (logged.length === 0) return;
    const rows = new Map((await datasetVersionsByIds(db.sql, [...new Set(logged.map((l) => l.datasetVersionId))])).map((r) => [r.version.id, r]));
    const sources = logged.flatMap((l) => {
      const row = rows.get(l.datasetVersionId);
      const ref = openLineageRefOf(row?.version.sourceUri);
      const own = ref && row && ref.namespace === row.dataset.namespace && ref.name === row.dataset.name;
      return row && ref && !own ? [{ sourceUri: row.version.sourceUri, role: l.role }] : [];
    });
    await linkSourceUris(caller, run, sources);
  }

  async function linkSourceUris(caller: Access, run: Run, sources: readonly { sourceUri: string | null; role: string }[]): Promise<OpenLineageRef[]> {
    const refs = sources.flatMap((s) => {
      const ref = openLineageRefOf(s.sourceUri);
      return ref ? [{ ...ref, role: s.role }] : [];
    });
    if (refs.length === 0) return [];
    // A user's run links only to data that user may see (decided when the link is made, which
    // may be when the dataset first arrives); global admins and the local user see everything.
    const actorUserId = isGlobalAdmin(caller) ? null : caller.userId;
    const now = new Date();
    await db.sql.transaction(async (tx) => {
      await reads.lock(tx, refs);
      for (const ref of refs) {
        await reads.record(
          tx,
          {
            namespace: ref.namespace,
            name: ref.name,
            reader: { type: 'Run', id: run.id },
            role: ref.role,
            version: ref.version ?? '',
            readAt: run.startedAt,
            mayWrite: false,
            actorUserId,
          },
          now,
        );
      }
    });
    return refs.map(({ role: _role, ...ref }) => ref);
  }

  return {
    /**
     * Registers a version, or returns the one already registered with the same dataset and
     * digest (a retry). The same label with other content is a conflict: versions are immutable.
     * The input is validated first; then the caller needs EDITOR in the owning project and
     * sight of every parent (a hidden parent is NOT_FOUND) before anything is written.
     */
    async registerVersion(caller: Access, input: RegisterDatasetVersionInput): Promise<{ datasetVersion: DatasetVersion; created: boolean }> {
      const name = requireName('input.dataset', input.dataset);
      const namespace = input.namespace == null ? '' : requireMaxLength('input.namespace', input.namespace, LIMITS.nameLength);
      const version = requireName('input.version', input.version);
      const digest = normalizeSha256('input.digest', input.digest);
      const description = input.description == null ? null : requireMaxLength('input.description', input.description, LIMITS.notesLength);
      const sourceUri = input.sourceUri == null ? null : requireName('input.sourceUri', input.sourceUri, 2000);
      const described = {
        sourceType: input.sourceType == null ? null : requireMaxLength('input.sourceType', input.sourceType, LIMITS.nameLength),
        source: input.source == null ? null : requireMaxLength('input.source', input.source, MAX_DESCRIPTION),
        schemaText: input.schemaText == null ? null : requireMaxLength('input.schemaText', input.schemaText, MAX_DESCRIPTION),
        profile: input.profile == null ? null : requireMaxLength('input.profile', input.profile, MAX_DESCRIPTION),
      };
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

      const projectId = await ownerFor(caller, namespace, name, input.project);
      await requireVisibleVersions(caller, parents);
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
      const { value: datasetVersion, created } = await findOrCreate(find, async () =>
        recordDatasetVersion(
          {
            datasetId: dataset.id,
            version,
            digest,
            sourceUri,
            ...described,
            coverageStart,
            coverageEnd,
            rowCount: input.rowCount == null ? null : BigInt(input.rowCount),
            schema,
            splits,
            createdBy: caller.actor,
            createdAt: new Date(),
          },
          parents,
        ),
      );
      return { datasetVersion, created };
    },

    /**
     * Links a run the caller may edit to the dataset and model versions it read, which the caller
     * must see (a hidden one is NOT_FOUND, like a missing one). Linking again changes nothing.
     */
    async logInputs(caller: Access, input: LogInputsInput): Promise<{ run: Run; datasetInputsWritten: number; modelInputsWritten: number }> {
      const run = await runs.requireEditable(caller, input.runId);
      const datasets = (input.datasets ?? []).map((d, i) => {
        const tags = d.tags == null ? null : validateInputTags(`input.datasets[${i}].tags`, d.tags);
        return { ...d, role: requireRole(`input.datasets[${i}].role`, d.role), tags };
      });
      const models = (input.models ?? []).map((m, i) => ({ ...m, role: requireRole(`input.models[${i}].role`, m.role) }));
      if (datasets.length + models.length > MAX_INPUTS) throw new ValidationError('input', `at most ${MAX_INPUTS} inputs per call`);
      await requireVisibleVersions(caller, [...new Set(datasets.map((d) => d.datasetVersionId))]);
      await requireVisibleModelVersions(caller, [...new Set(models.map((m) => m.modelVersionId))]);
      const written = await recordRunInputs(run.id, datasets, models);
      await linkSources(caller, run, datasets);
      return { run, ...written };
    },

    /**
     * Links a training run to the OpenLineage dataset a source names (s3://raw/clicks, a Delta
     * or Iceberg table; see source-uri.ts), at the version the source names or, when it names
     * none, the version current when the run started, now or once that dataset's events arrive.
     * Every door's dataset inputs come here through logInputs; a door whose datasets bypass it
     * calls this with the source URI. Returns the OpenLineage datasets named.
     */
    async linkSource(caller: Access, runId: number, sources: readonly { sourceUri: string | null; role: string }[]): Promise<OpenLineageRef[]> {
      const run = await runs.requireEditable(caller, runId);
      return linkSourceUris(caller, run, sources);
    },

    /** The dataset with this namespace and name when the caller may see it, else null. */
    async get(caller: Access, name: string, namespace = ''): Promise<Dataset | null> {
      const dataset = await prisma.dataset.findUnique({ where: { namespace_name: { namespace, name } } });
      return (await datasetAccess.canSee(caller, dataset)) ? dataset : null;
    },

    async visibleByIds(caller: Access, ids: readonly number[]): Promise<Dataset[]> {
      return datasetAccess.visible(caller, await datasetsByIds(db.sql, ids));
    },

    visibleVersionsByIds,

    /** A version by dataset name and label when the caller may see its dataset, else null. */
    async versionByLabel(caller: Access, dataset: string, version: string, namespace = ''): Promise<DatasetVersion | null> {
      const found = await prisma.datasetVersion.findFirst({ where: { dataset: { namespace, name: dataset }, version }, include: { dataset: true } });
      if (!found || !(await datasetAccess.canSee(caller, found.dataset))) return null;
      const { dataset: _dataset, ...row } = found;
      return row;
    },

    /** Versions of a dataset the caller read, newest first; `covering` keeps those whose window contains the whole range. */
    async versionsOf(caller: Access, dataset: Dataset, options: { first: number; afterId: number | null; covering?: { start: Date; end: Date } | null }) {
      await datasetAccess.require(caller, dataset, 'VIEWER', dataset.name);
      const where: Prisma.DatasetVersionWhereInput = { datasetId: dataset.id };
      if (options.afterId !== null) where.id = { lt: options.afterId };
      if (options.covering) {
        where.coverageStart = { lte: options.covering.start };
        where.coverageEnd = { gte: options.covering.end };
      }
      const rows = await prisma.datasetVersion.findMany({ where, orderBy: { id: 'desc' }, take: options.first + 1 });
      return { versions: rows.slice(0, options.first), hasNextPage: rows.length > options.first };
    },

    /** The versions each child version was derived from, of datasets the caller may see. */
    async parentsOf(caller: Access, childIds: readonly number[]) {
      const rows = await prisma.datasetDerivation.findMany({
        where: { childId: { in: [...childIds] } },
        include: { parent: true },
        orderBy: { parentId: 'asc' },
      });
      const visible = new Set((await visibleVersionsByIds(caller, [...new Set(rows.map((r) => r.parentId))])).map((v) => v.version.id));
      return rows.filter((r) => visible.has(r.parentId)).map((r) => ({ childId: r.childId, version: r.parent }));
    },

    /** Dataset inputs of runs the caller read (each input's version is checked where it is loaded). */
    async datasetInputsOf(caller: Access, runList: readonly Run[]): Promise<RunDatasetInput[]> {
      const ids = (await runAccess.visible(caller, runList)).map((r) => r.id);
      return prisma.runDatasetInput.findMany({ where: { runId: { in: ids } }, orderBy: [{ runId: 'asc' }, { createdAt: 'asc' }, { role: 'asc' }] });
    },

    async modelInputsOf(caller: Access, runList: readonly Run[]): Promise<RunModelInput[]> {
      const ids = (await runAccess.visible(caller, runList)).map((r) => r.id);
      return prisma.runModelInput.findMany({ where: { runId: { in: ids } }, orderBy: [{ runId: 'asc' }, { createdAt: 'asc' }, { role: 'asc' }] });
    },

    /**
     * The distinct dataset versions live runs of these projects read, with each role and input
     * tags (MLflow's search-datasets), newest input first; at most `limit`.
     */
    async inputsOfProjects(caller: Access, projectList: readonly Project[], limit: number) {
      const ids = (await projectAccess.visible(caller, projectList)).map((p) => p.id);
      if (!ids.length) return [];
      return inputSummaries(db.sql, ids, limit);
    },

    /** Live runs the caller may see that read a dataset version (in any role, or one role), oldest first. */
    async usedBy(caller: Access, versionId: number, options: { role: string | null; first: number; afterRunId: number | null }) {
      const role = options.role == null ? null : requireRole('role', options.role);
      await requireVisibleVersions(caller, [versionId]);
      const projectIds = await readableProjects(caller);
      const where: Prisma.RunWhereInput = {
        deletedAt: null,
        ...(projectIds ? { projectId: { in: projectIds } } : {}),
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

function validateInputTags(field: string, tags: readonly DatasetInputTag[]): DatasetInputTag[] {
  if (tags.length > 100) throw new ValidationError(field, `at most 100 tags per input (got ${tags.length})`);
  tags.forEach((t, i) => {
    requireKey(`${field}[${i}].key`, t.key);
    requireMaxLength(`${field}[${i}].value`, t.value, LIMITS.tagValueLength);
  });
  return [...tags];
}

function nameTaken(name: string): ForbiddenError {
  return nameNotYours('input.dataset', 'dataset', name);
}

export type DatasetService = ReturnType<typeof createDatasetService>;
