// Who may see and change a logged model: the caller's role in the project it was logged in.
import { projectPolicy } from '../auth/policy.js';
import type { LoggedModel } from './service.js';

export const loggedModelAccess = projectPolicy<Pick<LoggedModel, 'projectId'>>('LoggedModel', (model) => model.projectId);
