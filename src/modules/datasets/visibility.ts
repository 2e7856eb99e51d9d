// Which dataset versions a caller may see, for reads and for the writes that link to them.
import type { Database } from '../../db/database.js';
import { NotFoundError } from '../../errors.js';
import type { Access } from '../auth/access.js';
import { datasetAccess } from './policy.js';
import type { Dataset, DatasetVersion } from '../../generated/prisma/client.js';
import { datasetVersionsByIds } from './store.js';

export function createDatasetVisibility(db: Database) {
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

  return { visibleVersionsByIds, requireVisibleVersions };
}

export type DatasetVisibility = ReturnType<typeof createDatasetVisibility>;
