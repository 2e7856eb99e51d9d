// Lineage at the level of jobs and datasets (Marquez's /lineage): which jobs write a dataset and
// which read it, as their current versions declare (runs or JobEvents), walked to a depth; and,
// beyond Marquez, the training runs that read a version of a dataset and the model versions
// registered from them. Only what the caller may see is walked or shown.
import type { Database } from '../../db/database.js';
import { ValidationError } from '../../errors.js';
import type { Access } from '../auth/access.js';
import { datasetAccess } from '../datasets/policy.js';
import { datasetsByIds } from '../datasets/store.js';
import type { Dataset } from '../datasets/service.js';
import { visibleVersions } from '../registry/policy.js';
import { modelVersionsByIds } from '../registry/store.js';
import type { VersionWithModel } from '../registry/store.js';
import { runAccess } from '../runs/policy.js';
import type { Run } from '../runs/service.js';
import { jobAccess, type JobRow } from './jobs.js';
import * as jobs from './jobs-store.js';

export const MAX_JOB_LINEAGE_DEPTH = 20;

export interface JobLineage {
  datasets: Dataset[];
  jobs: JobRow[];
  trainingRuns: Run[];
  modelVersions: VersionWithModel[];
  /** Edges by node key: "dataset:<id>", "job:<id>", "run:<id>", "model:<id>". */
  edges: { from: string; to: string }[];
}

export function createJobLineageService(db: Database) {
  const { sql } = db;

  async function visibleJobs(caller: Access, ids: readonly number[]) {
    return jobAccess.visible(caller, await jobs.jobsByIds(sql, ids));
  }

  return {
    /**
     * The graph around a dataset or job the caller may see (NOT_FOUND otherwise), `depth` hops of
     * job-dataset edges each way, plus the ML side of every dataset reached.
     */
    async around(caller: Access, start: { dataset?: Dataset; job?: JobRow }, depth: number): Promise<JobLineage> {
      if (!Number.isInteger(depth) || depth < 0 || depth > MAX_JOB_LINEAGE_DEPTH) {
        throw new ValidationError('depth', `must be an integer from 0 to ${MAX_JOB_LINEAGE_DEPTH}`);
      }
      if (start.dataset) await datasetAccess.require(caller, start.dataset, 'VIEWER', `${start.dataset.namespace}/${start.dataset.name}`);
      if (start.job) await jobAccess.require(caller, start.job, 'VIEWER', `${start.job.namespace}/${start.job.name}`);
      const datasets = new Map<number, Dataset>(start.dataset ? [[start.dataset.id, start.dataset]] : []);
      const jobRows = new Map<number, JobRow>(start.job ? [[start.job.id, start.job]] : []);
      const edges = new Map<string, { from: string; to: string }>();
      const edge = (from: string, to: string) => edges.set(`${from}>${to}`, { from, to });
      let frontierDatasets = [...datasets.keys()];
      let frontierJobs = [...jobRows.keys()];
      for (let hop = 0; hop < depth && (frontierDatasets.length || frontierJobs.length); hop += 1) {
        const nextDatasets: number[] = [];
        const nextJobs: number[] = [];
        // Datasets -> the jobs whose current version reads or writes them.
        const touching = await jobs.jobsTouching(sql, frontierDatasets);
        const current = new Map((await jobs.currentVersions(sql, [...new Set(touching.map((t) => t.jobId))])).map((c) => [c.jobId, c.versionId]));
        const seenJobs = new Map((await visibleJobs(caller, [...current.keys()])).map((j) => [j.id, j]));
        for (const t of touching) {
          if (current.get(t.jobId) !== t.jobVersionId || !seenJobs.has(t.jobId)) continue;
          if (t.direction === 'OUTPUT') edge(`job:${t.jobId}`, `dataset:${t.datasetId}`);
          else edge(`dataset:${t.datasetId}`, `job:${t.jobId}`);
          if (!jobRows.has(t.jobId)) {
            jobRows.set(t.jobId, seenJobs.get(t.jobId)!);
            nextJobs.push(t.jobId);
          }
        }
        // Jobs -> the datasets their current version reads and writes.
        const versions = await jobs.currentVersions(sql, frontierJobs);
        const io = await jobs.versionDatasets(
          sql,
          versions.map((v) => v.versionId).filter((v) => v !== null),
        );
        const jobOf = new Map(versions.map((v) => [v.versionId, v.jobId]));
        const seenDatasets = new Map(
          (await datasetAccess.visible(caller, await datasetsByIds(sql, [...new Set(io.map((d) => d.datasetId))]))).map((d) => [d.id, d]),
        );
        for (const d of io) {
          if (!seenDatasets.has(d.datasetId)) continue;
          const job = `job:${jobOf.get(d.jobVersionId)}`;
          if (d.direction === 'OUTPUT') edge(job, `dataset:${d.datasetId}`);
          else edge(`dataset:${d.datasetId}`, job);
          if (!datasets.has(d.datasetId)) {
            datasets.set(d.datasetId, seenDatasets.get(d.datasetId)!);
            nextDatasets.push(d.datasetId);
          }
        }
        frontierDatasets = nextDatasets;
        frontierJobs = nextJobs;
      }
      const ml = await this.trainingSide(caller, [...datasets.keys()]);
      for (const e of ml.edges) edge(e.from, e.to);
      return {
        datasets: [...datasets.values()],
        jobs: [...jobRows.values()],
        trainingRuns: ml.runs,
        modelVersions: ml.modelVersions,
        edges: [...edges.values()],
      };
    },

    /** Training runs the caller may see that read a version of these datasets, and the model versions registered from them. */
    async trainingSide(caller: Access, datasetIds: readonly number[]) {
      const readers = await jobs.trainingReaders(sql, datasetIds);
      const runs = await runAccess.visible(caller, await runsByIds(db, [...new Set(readers.map((r) => r.runId))]));
      const seenRuns = new Set(runs.map((r) => r.id));
      const modelVersions = await visibleVersions(caller, await modelVersionsByIds(sql, [...new Set(readers.flatMap((r) => r.modelVersionIds))]));
      const seenModels = new Set(modelVersions.map((m) => m.version.id));
      const edges: { from: string; to: string }[] = [];
      for (const r of readers) {
        if (!seenRuns.has(r.runId)) continue;
        edges.push({ from: `dataset:${r.datasetId}`, to: `run:${r.runId}` });
        for (const m of r.modelVersionIds) if (seenModels.has(m)) edges.push({ from: `run:${r.runId}`, to: `model:${m}` });
      }
      return { runs, modelVersions, edges };
    },
  };
}

async function runsByIds(db: Database, ids: readonly number[]): Promise<Run[]> {
  if (ids.length === 0) return [];
  return db.prisma.run.findMany({ where: { id: { in: [...ids] }, deletedAt: null } });
}

export type JobLineageService = ReturnType<typeof createJobLineageService>;
