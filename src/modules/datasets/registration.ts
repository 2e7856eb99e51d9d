// Registering dataset versions: validated, owned by one project, immutable once registered.
import type { Database } from '../../db/database.js';
import { findOrCreate } from '../../db/errors.js';
import { ConflictError, type ForbiddenError, nameNotYours, ValidationError } from '../../errors.js';
import type { Dataset, DatasetVersion, Prisma } from '../../generated/prisma/client.js';
import { LIMITS, requireMaxLength, requireName } from '../../validation.js';
import { normalizeSha256 } from '../artifacts/service.js';
import type { Access } from '../auth/access.js';
import type { EdgeRecorder } from '../lineage/store.js';
import type { ProjectService } from '../projects/service.js';
import { lineageDigest } from './digest.js';
import { datasetAccess } from './policy.js';
import type { DatasetVisibility } from './visibility.js';

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

const MAX_PARENTS = 100;
/** Longest source, schema or profile text kept (MLflow's own limits are 65,535 and 16 MB for schema). */
const MAX_DESCRIPTION = 1_000_000;

function jsonOrNull(field: string, value: unknown): Prisma.InputJsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object') throw new ValidationError(field, 'must be a JSON object or array');
  return value as Prisma.InputJsonValue;
}

export function createDatasetRegistration(db: Database, deps: { projects: ProjectService; recordEdges: EdgeRecorder; visibility: DatasetVisibility }) {
  const { projects, recordEdges, visibility } = deps;
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

  /**
   * Registers a version, or returns the one already registered with the same dataset and
   * digest (a retry). The same label with other content is a conflict: versions are immutable.
   * The input is validated first; then the caller needs EDITOR in the owning project and
   * sight of every parent (a hidden parent is NOT_FOUND) before anything is written.
   */
  async function registerVersion(caller: Access, input: RegisterDatasetVersionInput): Promise<{ datasetVersion: DatasetVersion; created: boolean }> {
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
    await visibility.requireVisibleVersions(caller, parents);
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
  }

  return { registerVersion };
}

function nameTaken(name: string): ForbiddenError {
  return nameNotYours('input.dataset', 'dataset', name);
}
