// The catalog across domains: one name-prefix search over datasets, jobs, training runs and
// registered models, and the namespaces jobs and datasets live in, each limited to what the
// caller may see (in SQL, by the projects they hold a role in).
import type { Database } from '../../db/database.js';
import { ValidationError } from '../../errors.js';
import { LIMITS } from '../../validation.js';
import type { Access } from '../auth/access.js';
import { readableProjects } from '../auth/policy.js';
import { datasetAccess } from '../datasets/policy.js';
import type { Dataset } from '../datasets/service.js';
import { datasetsByIds, datasetVersionsByIds } from '../datasets/store.js';
import { pipelineRunAccess } from '../pipelines/policy.js';
import { pipelineRunsByIds, type PipelineRunRow } from '../pipelines/store.js';
import * as store from './store.js';
import { SEARCH_KINDS, type SearchHit, type SearchKind } from './store.js';

export { SEARCH_KINDS };
export type { SearchHit, SearchKind };

const MAX_HITS = 1000;

export function createCatalogService(db: Database) {
  const { sql } = db;
  return {
    /** Names starting with `prefix` (any case), of the kinds asked (all by default), at most `first`. */
    async search(caller: Access, options: { prefix: string; kinds?: readonly SearchKind[] | null; first: number }): Promise<SearchHit[]> {
      const prefix = options.prefix.trim();
      if (prefix.length === 0) throw new ValidationError('query', 'must not be empty: give the start of a name');
      if (prefix.length > LIMITS.nameLength) throw new ValidationError('query', `must be at most ${LIMITS.nameLength} characters`);
      if (!Number.isInteger(options.first) || options.first < 1 || options.first > MAX_HITS) {
        throw new ValidationError('first', `must be an integer from 1 to ${MAX_HITS}`);
      }
      const kinds = options.kinds?.length ? [...new Set(options.kinds)] : [...SEARCH_KINDS];
      return store.searchNames(sql, prefix, kinds, await readableProjects(caller), options.first);
    },

    /** Datasets of a namespace the caller may see, by name, a page, with how many there are. */
    async datasetsOf(caller: Access, namespace: string, options: { first: number; offset: number }) {
      const { ids, total } = await store.datasetIdsOf(sql, namespace, await readableProjects(caller), options.first, options.offset);
      const byId = new Map((await datasetsByIds(sql, ids)).map((d) => [d.id, d]));
      return { datasets: ids.map((id) => byId.get(id)!).filter(Boolean), total };
    },

    /** Versions of a dataset the caller may see (NOT_FOUND otherwise), newest first, each with the pipeline run that produced it (if visible). */
    async versionsOf(caller: Access, dataset: Dataset, options: { first: number; offset: number }) {
      await datasetAccess.require(caller, dataset, 'VIEWER', `${dataset.namespace}/${dataset.name}`);
      const { ids, total } = await store.versionIdsOf(sql, dataset.id, options.first, options.offset);
      const rows = new Map((await datasetVersionsByIds(sql, ids)).map((r) => [r.version.id, r.version]));
      const producers = await store.producersOf(sql, ids);
      const runs = new Map(
        (
          await pipelineRunAccess.visible(
            caller,
            await pipelineRunsByIds(
              sql,
              producers.map((p) => p.pipelineRunId),
            ),
          )
        ).map((r) => [r.id, r]),
      );
      const producedBy = new Map(producers.map((p) => [p.versionId, runs.get(p.pipelineRunId) ?? null]));
      return { versions: ids.map((id) => ({ version: rows.get(id)!, producedBy: producedBy.get(id) ?? null })), total };
    },

    /** The dataset versions pipeline runs the caller read read and produced, with their datasets (each checked for sight). */
    async versionsOfPipelineRuns(caller: Access, runs: readonly PipelineRunRow[]) {
      const visible = await pipelineRunAccess.visible(caller, runs);
      const links = await store.versionsOfPipelineRuns(
        sql,
        visible.map((r) => r.id),
      );
      const versions = await datasetVersionsByIds(sql, [...new Set(links.map((l) => l.versionId))]);
      const seen = new Set(
        (
          await datasetAccess.visible(
            caller,
            versions.map((v) => v.dataset),
          )
        ).map((d) => d.id),
      );
      const byId = new Map(versions.filter((v) => seen.has(v.dataset.id)).map((v) => [v.version.id, v]));
      return links.flatMap((l) => {
        const v = byId.get(l.versionId);
        return v ? [{ ...l, version: v.version, dataset: v.dataset }] : [];
      });
    },

    /** The newest version of each dataset the caller may see. */
    async latestVersions(caller: Access, datasets: readonly Dataset[]) {
      const visible = await datasetAccess.visible(caller, datasets);
      const latest = await store.latestVersionIds(
        sql,
        visible.map((d) => d.id),
      );
      const rows = await datasetVersionsByIds(
        sql,
        latest.map((l) => l.versionId),
      );
      return new Map(rows.map((r) => [r.dataset.id, r.version]));
    },

    /** Namespaces of jobs and datasets the caller may see (one, when `name` is given). */
    async namespaces(caller: Access, options: { name?: string | null; first: number; offset: number }) {
      return store.namespaces(sql, await readableProjects(caller), { name: options.name ?? null, limit: options.first, offset: options.offset });
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;
