// Who may see and change registered models and their versions. A model belongs to one project;
// a version joins two (its model's and the project of the run that produced it), so seeing a
// version needs sight of both, while moving an alias or registering needs EDITOR on the model's.
import { type Access, projectPolicy, visibleInAll } from '../auth/policy.js';
import type { RegisteredModel } from './service.js';
import type { VersionWithModel } from './store.js';

export const modelAccess = projectPolicy<Pick<RegisteredModel, 'projectId'>>('RegisteredModel', (model) => model.projectId);

/** The versions the caller may see: their model's project and their run's project are both visible. */
export function visibleVersions(caller: Access, rows: readonly VersionWithModel[]): Promise<VersionWithModel[]> {
  return visibleInAll(caller, rows, (row) => [row.model.projectId, row.runProjectId]);
}
