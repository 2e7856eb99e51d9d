// Wires the domain services to one database; created once per app.
import type { Database } from './db/database.js';
import { createArtifactService } from './modules/artifacts/service.js';
import type { ArtifactStore } from './modules/artifacts/store.js';
import { createDatasetService } from './modules/datasets/service.js';
import { createMetricService } from './modules/metrics/service.js';
import { createProjectService } from './modules/projects/service.js';
import { createRegistryService } from './modules/registry/service.js';
import { createRunSearch } from './modules/runs/search.js';
import { createRunService } from './modules/runs/service.js';

export interface ServiceOptions {
  artifactStore: ArtifactStore;
  maxArtifactBytes: number;
}

export function createServices(db: Database, options: ServiceOptions) {
  const projects = createProjectService(db);
  const runs = createRunService(db, projects);
  return {
    projects,
    runs,
    search: createRunSearch(db, projects),
    metrics: createMetricService(db),
    datasets: createDatasetService(db, runs),
    artifacts: createArtifactService(db, options.artifactStore, { maxBytes: options.maxArtifactBytes }, runs),
    registry: createRegistryService(db),
  };
}

export type Services = ReturnType<typeof createServices>;
