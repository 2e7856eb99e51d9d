// The caller-scoped reads of pipeline runs: the runs, the datasets they read and wrote, their
// raw events, and field-level lineage.
import type { Database } from '../../db/database.js';
import { ValidationError } from '../../errors.js';
import type { Access } from '../auth/access.js';
import { readableProjects } from '../auth/policy.js';
import { datasetAccess, visibleVersionIds } from '../datasets/policy.js';
import { walkColumnLineage } from './column-lineage-store.js';
import { pipelineRunAccess } from './policy.js';
import type { Direction } from './service.js';
import * as store from './store.js';
import type { PipelineRunRow } from './store.js';

/** Column lineage walks at most this many hops (a field's history rarely runs deeper). */
export const MAX_COLUMN_DEPTH = 20;

export function createPipelineReads(db: Database) {
  const { sql } = db;
  return {
    /** Pipeline runs of these ids the caller may see. */
    async visibleByIds(caller: Access, ids: readonly number[]): Promise<PipelineRunRow[]> {
      return pipelineRunAccess.visible(caller, await store.pipelineRunsByIds(sql, ids));
    },

    /** Pipeline runs of these OpenLineage run ids the caller may see. */
    async visibleByRunUuids(caller: Access, runUuids: readonly string[]): Promise<PipelineRunRow[]> {
      return pipelineRunAccess.visible(caller, await store.pipelineRunsByUuids(sql, runUuids));
    },

    /** The datasets runs the caller read read and wrote (each dataset's own visibility is applied where it is loaded). */
    async datasetsOf(caller: Access, runs: readonly PipelineRunRow[]) {
      return store.runDatasets(
        sql,
        (await pipelineRunAccess.visible(caller, runs)).map((r) => r.id),
      );
    },

    /** The raw events of runs the caller read, in event-time order, a page per run. */
    async eventsOf(caller: Access, runs: readonly PipelineRunRow[], options: { first: number; offset: number }): Promise<store.KeptEventRow[]> {
      const visible = await pipelineRunAccess.visible(caller, runs);
      return store.eventsOfRuns(
        sql,
        visible.map((r) => r.runUuid),
        options.first,
        options.offset,
      );
    },

    /** Raw events of every project the caller may see, within an event-time window (Marquez's /events/lineage). */
    async events(caller: Access, options: { before: Date | null; after: Date | null; first: number; offset: number; newestFirst: boolean }) {
      return store.eventsPage(sql, await readableProjects(caller), { ...options, limit: options.first });
    },

    /**
     * Field-level lineage around a dataset the caller may see (NOT_FOUND otherwise): where its
     * field (or every field) comes from, what comes from it, or both, within `depth` hops,
     * through datasets the caller may see only.
     */
    async columnLineage(caller: Access, start: { namespace: string; name: string; field: string | null }, direction: Direction, depth: number) {
      const [dataset] = await store.datasetsByKeys(sql, [start]);
      await datasetAccess.require(caller, dataset ? { projectId: dataset.projectId } : null, 'VIEWER', `${start.namespace}/${start.name}`);
      if (!Number.isInteger(depth) || depth < 1 || depth > MAX_COLUMN_DEPTH)
        throw new ValidationError('depth', `must be an integer from 1 to ${MAX_COLUMN_DEPTH}`);
      const projectIds = await readableProjects(caller);
      const ways = direction === 'BOTH' ? (['UPSTREAM', 'DOWNSTREAM'] as const) : [direction];
      const edges = [];
      for (const way of ways) edges.push(...(await walkColumnLineage(sql, start, way, depth, projectIds)));
      return edges;
    },

    /** Versions the caller may see of the datasets a run declared as outputs: what it wrote, or (failed) would have written over. */
    async declaredOutputVersions(caller: Access, run: PipelineRunRow, at: Date | null): Promise<number[]> {
      await pipelineRunAccess.require(caller, run, 'VIEWER', run.runUuid);
      return visibleVersionIds(sql, caller, await store.declaredOutputVersions(sql, run.id, at));
    },
  };
}
