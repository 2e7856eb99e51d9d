// Who may read and add artifacts: an artifact goes with the run that produced it, so the caller's role in that run's project decides.
import { projectPolicy } from '../auth/policy.js';

export const artifactAccess = projectPolicy<{ projectId: number }>('Artifact', (artifact) => artifact.projectId);
