// Who may see and change a project: any role in it to see, the role an operation names to change.
import { projectPolicy } from '../auth/policy.js';
import type { Project } from './service.js';

export const projectAccess = projectPolicy<Pick<Project, 'id'>>('Project', (project) => project.id);
