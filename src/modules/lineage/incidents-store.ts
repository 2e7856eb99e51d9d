// SQL of incident questions: dataset versions matching a filter, the aliases versions held at an
// instant, and dataset version labels.
import type { SqlQueryable } from '../../db/sql.js';
import type { DatasetVersionFilter } from './incidents.js';

/** Ids of dataset versions matching the filter that existed at `at` (or now), of datasets in `projectIds` (null: any); at most `limit`. */
export async function datasetVersionsMatching(
  sql: SqlQueryable,
  filter: DatasetVersionFilter,
  at: Date | null,
  projectIds: readonly number[] | null,
  limit: number,
): Promise<{ id: number }[]> {
  const { namespace, name, version, digest, coverageOverlaps, createdAfter, createdBefore } = filter;
  return sql.query<{ id: number }>(
    `SELECT dv.id FROM dataset_versions dv JOIN datasets d ON d.id = dv.dataset_id
     WHERE ($1::text IS NULL OR d.name = $1) AND ($2::text IS NULL OR dv.version = $2)
       AND ($3::text IS NULL OR lower(dv.digest) = lower($3))
       AND ($4::timestamptz IS NULL OR (dv.coverage_start < $5::timestamptz AND dv.coverage_end > $4::timestamptz))
       AND ($6::timestamptz IS NULL OR dv.created_at >= $6) AND ($7::timestamptz IS NULL OR dv.created_at < $7)
       AND ($8::timestamptz IS NULL OR dv.created_at <= $8)
       AND ($10::int[] IS NULL OR d.project_id = ANY($10::int[]))
       AND ($11::text IS NULL OR d.namespace = $11)
     ORDER BY dv.id LIMIT $9`,
    [
      name ?? null,
      version ?? null,
      digest ? digest.replace(/^sha256:/i, '') : null,
      coverageOverlaps?.start.toISOString() ?? null,
      coverageOverlaps?.end.toISOString() ?? null,
      createdAfter?.toISOString() ?? null,
      createdBefore?.toISOString() ?? null,
      at?.toISOString() ?? null,
      limit,
      projectIds ? [...projectIds] : null,
      namespace ?? null,
    ],
  );
}

/** The aliases each version held at `at` (by effective time, from the alias event history); now (null), from the alias table. */
export async function aliasesHeld(sql: SqlQueryable, versionIds: readonly number[], at: Date | null): Promise<{ version_id: number; alias: string }[]> {
  if (at) {
    return sql.query<{ version_id: number; alias: string }>(
      `SELECT x.to_version_id AS version_id, x.alias FROM (
         SELECT DISTINCT ON (e.model_id, e.alias) e.alias, e.to_version_id
         FROM model_alias_events e
         WHERE e.model_id IN (SELECT model_id FROM model_versions WHERE id = ANY($1::int[])) AND e.effective_at <= $2::timestamptz
         ORDER BY e.model_id, e.alias, e.effective_at DESC, e.id DESC) x
       WHERE x.to_version_id = ANY($1::int[]) ORDER BY x.alias`,
      [versionIds, at.toISOString()],
    );
  }
  return sql.query<{ version_id: number; alias: string }>('SELECT version_id, alias FROM model_aliases WHERE version_id = ANY($1::int[]) ORDER BY alias', [
    versionIds,
  ]);
}

/** Dataset name and version of each dataset version id. */
export async function datasetVersionLabels(sql: SqlQueryable, ids: readonly number[]): Promise<{ id: number; dataset: string; version: string }[]> {
  return sql.query<{ id: number; dataset: string; version: string }>(
    'SELECT dv.id, d.name AS dataset, dv.version FROM dataset_versions dv JOIN datasets d ON d.id = dv.dataset_id WHERE dv.id = ANY($1::int[])',
    [ids],
  );
}
