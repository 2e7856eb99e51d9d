// Who may see and write pipeline runs (OpenLineage): the caller's role in the run's project.
import { projectPolicy } from '../auth/policy.js';

export const pipelineRunAccess = projectPolicy<{ projectId: number }>('PipelineRun', (run) => run.projectId);
