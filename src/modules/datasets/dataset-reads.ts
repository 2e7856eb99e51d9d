// Reads of datasets, their versions and derivations, and the runs that read them, as a caller may see them.
import type { Database } from '../../db/database.js';
import type { Dataset, DatasetVersion, Prisma, RunDatasetInput, RunModelInput } from '../../generated/prisma/client.js';
import type { Access } from '../auth/access.js';
import { readableProjects } from '../auth/policy.js';
import { projectAccess } from '../projects/policy.js';
import type { Project } from '../projects/service.js';
import type { Run } from '../runs/service.js';
import { runAccess } from '../runs/policy.js';
import { datasetAccess } from './policy.js';
import { requireRole } from './role.js';
import { datasetInputsWithVersions, datasetsByIds, inputSummaries, modelInputsOfRuns } from './store.js';
import type { DatasetVisibility } from './visibility.js';

export function createDatasetQueries(db: Database, visibility: DatasetVisibility) {
  const { prisma } = db;
  return {
    /** The dataset with this namespace and name when the caller may see it, else null. */
    async get(caller: Access, name: string, namespace = ''): Promise<Dataset | null> {
      const dataset = await prisma.dataset.findUnique({ where: { namespace_name: { namespace, name } } });
      return (await datasetAccess.canSee(caller, dataset)) ? dataset : null;
    },

    async visibleByIds(caller: Access, ids: readonly number[]): Promise<Dataset[]> {
      return datasetAccess.visible(caller, await datasetsByIds(db.sql, ids));
    },

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
      const visible = new Set((await visibility.visibleVersionsByIds(caller, [...new Set(rows.map((r) => r.parentId))])).map((v) => v.version.id));
      return rows.filter((r) => visible.has(r.parentId)).map((r) => ({ childId: r.childId, version: r.parent }));
    },

    /**
     * Dataset inputs of runs the caller read, with the versions they name that the caller may
     * see (each with its dataset); an input whose version is hidden is still listed, and its
     * version loads as null where it is loaded.
     */
    async datasetInputsOf(
      caller: Access,
      runList: readonly Run[],
    ): Promise<{ inputs: RunDatasetInput[]; versions: { version: DatasetVersion; dataset: Dataset }[] }> {
      const ids = (await runAccess.visible(caller, runList)).map((r) => r.id);
      if (!ids.length) return { inputs: [], versions: [] };
      const rows = await datasetInputsWithVersions(db.sql, ids);
      const visible = new Set((await datasetAccess.visible(caller, [...new Map(rows.map((r) => [r.dataset.id, r.dataset])).values()])).map((d) => d.id));
      return { inputs: rows.map((r) => r.input), versions: rows.filter((r) => visible.has(r.dataset.id)) };
    },

    async modelInputsOf(caller: Access, runList: readonly Run[]): Promise<RunModelInput[]> {
      const ids = (await runAccess.visible(caller, runList)).map((r) => r.id);
      return ids.length ? modelInputsOfRuns(db.sql, ids) : [];
    },

    /** Live runs the caller may see that read a dataset version (in any role, or one role), oldest first. */
    /**
     * The distinct dataset versions live runs of these projects read, with each role and input
     * tags (MLflow's search-datasets), newest input first; at most `limit`.
     */
    async inputsOfProjects(caller: Access, projectList: readonly Project[], limit: number) {
      const ids = (await projectAccess.visible(caller, projectList)).map((p) => p.id);
      if (!ids.length) return [];
      return inputSummaries(db.sql, ids, limit);
    },

    async usedBy(caller: Access, versionId: number, options: { role: string | null; first: number; afterRunId: number | null }) {
      const role = options.role == null ? null : requireRole('role', options.role);
      await visibility.requireVisibleVersions(caller, [versionId]);
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
