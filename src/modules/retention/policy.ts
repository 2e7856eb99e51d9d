// Who may see and act on retention: a plan belongs to its project and only the project's ADMINs
// make, read or apply one (others get NOT_FOUND, as if it did not exist); the orphan bytes of the
// shared store are weighed and freed for global admins alone.
import { isGlobalAdmin, projectPolicy } from '../auth/policy.js';

export const retentionPlanAccess = projectPolicy<{ projectId: number }>('RetentionPlan', (plan) => plan.projectId);

/** Whether a plan may list and free blobs no artifact refers to (the store is shared by every project). */
export const mayFreeOrphanBlobs = isGlobalAdmin;
