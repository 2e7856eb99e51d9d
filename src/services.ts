// Wires the domain services to one database; created once per app.
import type { Database } from './db/database.js';
import { createAuditService } from './modules/audit/service.js';
import { createAuthService } from './modules/auth/service.js';
import { createMetricService } from './modules/metrics/service.js';
import { createProjectService } from './modules/projects/service.js';
import { createRunSearch } from './modules/runs/search.js';
import { createRunService } from './modules/runs/service.js';

export function createServices(db: Database) {
  const projects = createProjectService(db);
  const runs = createRunService(db, projects);
  return {
    projects,
    runs,
    search: createRunSearch(db, projects),
    metrics: createMetricService(db),
    auth: createAuthService(db),
    audit: createAuditService(db),
  };
}

export type Services = ReturnType<typeof createServices>;
