// Who may see and change datasets: the role in the dataset's project; a version goes with its dataset.
import type { SqlQueryable } from '../../db/sql.js';
import { NotFoundError } from '../../errors.js';
import { type Access, type Role, isGlobalAdmin, projectPolicy } from '../auth/policy.js';
import type { Dataset } from './service.js';
import { datasetVersionsByIds } from './store.js';

export const datasetAccess = projectPolicy<Pick<Dataset, 'projectId'>>('Dataset', (dataset) => dataset.projectId);

/** The ids of these dataset versions the caller may see (through their datasets); global admins skip the lookup. */
export async function visibleVersionIds(sql: SqlQueryable, caller: Access, ids: readonly number[]): Promise<number[]> {
  if (isGlobalAdmin(caller) || ids.length === 0) return [...ids];
  const rows = await datasetVersionsByIds(sql, ids);
  const visible = new Set(
    (
      await datasetAccess.visible(
        caller,
        rows.map((r) => r.dataset),
      )
    ).map((d) => d.id),
  );
  return rows.filter((r) => visible.has(r.dataset.id)).map((r) => r.version.id);
}

/** A dataset version when the caller holds `role` in its dataset's project (NOT_FOUND when missing or hidden). */
export async function requireVersionRole(sql: SqlQueryable, caller: Access, id: number, role: Role, ref: string | number = id): Promise<void> {
  const [row] = await datasetVersionsByIds(sql, [id]);
  if (!row || !(await datasetAccess.canSee(caller, row.dataset))) throw new NotFoundError('DatasetVersion', ref);
  await datasetAccess.require(caller, row.dataset, role, ref);
}
