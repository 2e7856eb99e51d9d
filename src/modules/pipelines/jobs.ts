// Jobs as the caller may see them: a job by name, the jobs of a namespace, their versions (the
// current one is its latest run's), what each version reads and writes, and their runs. A job
// belongs to the project its namespace maps to; a hidden one reads as missing.
import type { Database } from '../../db/database.js';
import type { Access } from '../auth/access.js';
import { readableProjects } from '../auth/policy.js';
import { projectPolicy } from '../auth/policy.js';
import { pipelineRunAccess } from './policy.js';
import * as store from './jobs-store.js';
import type { JobRow, JobVersionRow } from './jobs-store.js';
import { pipelineRunsByIds, type PipelineRunRow } from './store.js';

export type { JobRow, JobVersionRow };

export const jobAccess = projectPolicy<{ projectId: number }>('Job', (job) => job.projectId);

export interface JobPage {
  jobs: JobRow[];
  hasNextPage: boolean;
  totalCount: number;
}

export function createJobService(db: Database) {
  const { sql } = db;

  /** Versions whose jobs the caller may see. */
  async function visibleVersions(caller: Access, versions: readonly JobVersionRow[]): Promise<JobVersionRow[]> {
    const jobs = await jobAccess.visible(caller, await store.jobsByIds(sql, [...new Set(versions.map((v) => v.jobId))]));
    const seen = new Set(jobs.map((j) => j.id));
    return versions.filter((v) => seen.has(v.jobId));
  }

  return {
    async visibleByIds(caller: Access, ids: readonly number[]): Promise<JobRow[]> {
      return jobAccess.visible(caller, await store.jobsByIds(sql, ids));
    },

    /** The job named (namespace, name), or null when it does not exist or the caller may not see it. */
    async byKey(caller: Access, namespace: string, name: string): Promise<JobRow | null> {
      const [job] = await store.jobsByKeys(sql, [{ namespace, name }]);
      return (await jobAccess.canSee(caller, job)) ? job! : null;
    },

    /** Jobs the caller may see, of one namespace or all, by namespace and name, a page at a time. */
    async list(caller: Access, options: { namespace: string | null; first: number; offset: number }): Promise<JobPage> {
      const projectIds = await readableProjects(caller);
      const { ids, total } = await store.listJobIds(sql, options.namespace, projectIds, options.first + 1, options.offset);
      const page = ids.slice(0, options.first);
      const byId = new Map((await store.jobsByIds(sql, page)).map((j) => [j.id, j]));
      return { jobs: page.map((id) => byId.get(id)!), hasNextPage: ids.length > options.first, totalCount: total };
    },

    async versionsByIds(caller: Access, ids: readonly number[]): Promise<JobVersionRow[]> {
      return visibleVersions(caller, await store.jobVersionsByIds(sql, ids));
    },

    /** Versions of jobs the caller read, newest first per job. */
    async versionsOf(caller: Access, jobs: readonly JobRow[]): Promise<JobVersionRow[]> {
      const ids = (await jobAccess.visible(caller, jobs)).map((j) => j.id);
      return store.versionsOfJobs(sql, ids);
    },

    /** The current version of each job the caller read: its latest run's, else its latest JobEvent's. */
    async currentVersionIds(caller: Access, jobs: readonly JobRow[]): Promise<{ jobId: number; versionId: number }[]> {
      const ids = (await jobAccess.visible(caller, jobs)).map((j) => j.id);
      return (await store.currentVersions(sql, ids)).filter((r) => r.versionId !== null);
    },

    /**
     * The jobs whose current version writes each dataset the caller read (as Job.outputs says),
     * those the caller may see, by namespace and name.
     */
    async writersOf(caller: Access, datasetIds: readonly number[]): Promise<{ datasetId: number; job: JobRow }[]> {
      const writes = (await store.jobsTouching(sql, datasetIds)).filter((t) => t.direction === 'OUTPUT');
      const current = new Map((await store.currentVersions(sql, [...new Set(writes.map((w) => w.jobId))])).map((c) => [c.jobId, c.versionId]));
      const jobs = new Map((await jobAccess.visible(caller, await store.jobsByIds(sql, [...current.keys()]))).map((j) => [j.id, j]));
      return writes
        .filter((w) => jobs.has(w.jobId) && current.get(w.jobId) === w.jobVersionId)
        .map((w) => ({ datasetId: w.datasetId, job: jobs.get(w.jobId)! }))
        .sort((a, b) => a.job.namespace.localeCompare(b.job.namespace) || a.job.name.localeCompare(b.job.name));
    },

    /** What versions the caller read read and write (each dataset's own visibility applies where it is loaded). */
    async datasetsOfVersions(caller: Access, versions: readonly JobVersionRow[]) {
      return store.versionDatasets(
        sql,
        (await visibleVersions(caller, versions)).map((v) => v.id),
      );
    },

    /** Runs of a job the caller may see, newest first. */
    async runsOf(caller: Access, job: JobRow, options: { first: number; offset: number }): Promise<{ runs: PipelineRunRow[]; hasNextPage: boolean }> {
      await jobAccess.require(caller, job, 'VIEWER', `${job.namespace}/${job.name}`);
      const ids = await store.runIdsOfJobs(sql, [job.id], options.first + 1, options.offset);
      const runs = new Map(
        (
          await pipelineRunsByIds(
            sql,
            ids.map((r) => r.runId),
          )
        ).map((r) => [r.id, r]),
      );
      const ordered = ids.map((r) => runs.get(r.runId)!).filter(Boolean);
      return { runs: (await pipelineRunAccess.visible(caller, ordered)).slice(0, options.first), hasNextPage: ordered.length > options.first };
    },

    /** The latest run of each job the caller read. */
    async latestRuns(caller: Access, jobs: readonly JobRow[]): Promise<PipelineRunRow[]> {
      const ids = (await jobAccess.visible(caller, jobs)).map((j) => j.id);
      const latest = await store.runIdsOfJobs(sql, ids, 1, 0);
      return pipelineRunAccess.visible(
        caller,
        await pipelineRunsByIds(
          sql,
          latest.map((r) => r.runId),
        ),
      );
    },
  };
}

export type JobService = ReturnType<typeof createJobService>;
