// Pipeline runs from OpenLineage events: ingest.ts keeps and applies them, pipeline-reads.ts
// answers the caller-scoped reads of pipeline runs; this composes the service the doors use.
import type { Database } from '../../db/database.js';
import type { DatasetReads } from '../datasets/reads.js';
import type { EdgeRecorder, EdgeRetractor } from '../lineage/store.js';
import type { ProjectService } from '../projects/service.js';
import { createPipelineIngest } from './ingest.js';
import { createPipelineReads } from './pipeline-reads.js';
import type { EventType } from './rules.js';
import type { DatasetKey, PipelineRunRow } from './store.js';

export type { PipelineRunRow };

/** A dataset as an event names it, with its dataset facets and input/output facets. */
export interface EventDataset extends DatasetKey {
  facets: Record<string, unknown>;
  ioFacets: Record<string, unknown>;
}

/** A validated OpenLineage event (the front door checks the wire format and builds this). */
export interface LineageEvent {
  kind: 'RunEvent' | 'JobEvent' | 'DatasetEvent';
  eventType: EventType | null;
  eventTime: Date;
  /** null: sent without one (clients before openlineage-python 0.28). */
  schemaUrl: string | null;
  /** What was accepted though not as the spec says; kept with the raw event. */
  warnings: string[];
  run: { runId: string; facets: Record<string, unknown> } | null;
  job: { namespace: string; name: string; facets: Record<string, unknown> } | null;
  inputs: EventDataset[];
  outputs: EventDataset[];
  /** The dataset of a DatasetEvent. */
  dataset: EventDataset | null;
  /** The event as received, kept verbatim. */
  raw: unknown;
}

export { MAX_COLUMN_DEPTH } from './pipeline-reads.js';

export type Direction = 'UPSTREAM' | 'DOWNSTREAM' | 'BOTH';

export interface IngestResult {
  duplicate: boolean;
  projectId: number;
  pipelineRunId: number | null;
}

export interface PipelineConfig {
  /** Namespace -> project name ("*" for every other namespace); unmapped namespaces name their project. */
  projects: ReadonlyMap<string, string>;
}

export interface PipelineDeps {
  projects: ProjectService;
  reads: DatasetReads;
  recordEdges: EdgeRecorder;
  retractEdges: EdgeRetractor;
  config: PipelineConfig;
}

export function createPipelineService(db: Database, deps: PipelineDeps) {
  return { ...createPipelineIngest(db, deps), ...createPipelineReads(db) };
}

export type PipelineService = ReturnType<typeof createPipelineService>;
