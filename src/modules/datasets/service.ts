// Datasets: immutable versions identified by content digest, what they derive from, which runs read them, and who may see each.
import type { Database } from '../../db/database.js';
import type { Dataset, DatasetVersion, RunDatasetInput, RunModelInput } from '../../generated/prisma/client.js';
import type { EdgeRecorder } from '../lineage/store.js';
import type { ProjectService } from '../projects/service.js';
import type { RunService } from '../runs/service.js';
import { lineageDigest } from './digest.js';
import { createDatasetQueries } from './dataset-reads.js';
import type { DatasetReads } from './reads.js';
import { createDatasetRegistration } from './registration.js';
import { createRunInputs } from './run-inputs.js';
import { createDatasetVisibility } from './visibility.js';

export type { Dataset, DatasetVersion, RunDatasetInput, RunModelInput };
export type { RegisterDatasetVersionInput } from './registration.js';
export type { LogInputsInput } from './run-inputs.js';
export { requireRole } from './role.js';
export { lineageDigest };

export function createDatasetService(db: Database, deps: { runs: RunService; projects: ProjectService; recordEdges: EdgeRecorder; reads: DatasetReads }) {
  const visibility = createDatasetVisibility(db);
  return {
    ...createDatasetRegistration(db, { projects: deps.projects, recordEdges: deps.recordEdges, visibility }),
    ...createRunInputs(db, { runs: deps.runs, recordEdges: deps.recordEdges, reads: deps.reads, visibility }),
    visibleVersionsByIds: visibility.visibleVersionsByIds,
    ...createDatasetQueries(db, visibility),
  };
}

export type DatasetService = ReturnType<typeof createDatasetService>;
