// Who may see and change a run: the caller's role in the run's project.
import { projectPolicy } from '../auth/policy.js';
import type { Run } from './service.js';

export const runAccess = projectPolicy<Pick<Run, 'projectId'>>('Run', (run) => run.projectId);
