// Per-request loaders of jobs and job versions, reading through the job service as the caller:
// jobs of projects the caller has no role in load as null.
import DataLoader from 'dataloader';
import type { Context } from '../../context.js';
import { byId, manyByParent } from '../../loaders.js';
import type { Dataset } from '../datasets/service.js';
import type { JobRow, JobVersionRow } from './jobs.js';

export const jobLoader = (ctx: Context) =>
  ctx.loaders.get('job', (s) =>
    byId(
      (ids) => s.jobs.visibleByIds(ctx.access, ids),
      (j) => j.id,
    ),
  );

export const jobVersionLoader = (ctx: Context) =>
  ctx.loaders.get('jobVersion', (s) =>
    byId(
      (ids) => s.jobs.versionsByIds(ctx.access, ids),
      (v) => v.id,
    ),
  );

export const jobVersionsLoader = (ctx: Context) =>
  ctx.loaders.get('jobVersions', (s) =>
    manyByParent(
      (jobs: readonly JobRow[]) => s.jobs.versionsOf(ctx.access, jobs),
      (v) => v.jobId,
    ),
  );

/** The current version id of each job (its latest run's, else its latest JobEvent's). */
export const currentJobVersionLoader = (ctx: Context) =>
  ctx.loaders.get('currentJobVersion', (s) => {
    return new DataLoader<JobRow, number | null, number>(
      async (jobs) => {
        const found = new Map((await s.jobs.currentVersionIds(ctx.access, jobs)).map((r) => [r.jobId, r.versionId]));
        return jobs.map((j) => found.get(j.id) ?? null);
      },
      { cacheKeyFn: (j) => j.id },
    );
  });

export const jobVersionDatasetsLoader = (ctx: Context) =>
  ctx.loaders.get('jobVersionDatasets', (s) =>
    manyByParent(
      (versions: readonly JobVersionRow[]) => s.jobs.datasetsOfVersions(ctx.access, versions),
      (d) => d.jobVersionId,
    ),
  );

export const latestJobRunLoader = (ctx: Context) =>
  ctx.loaders.get('latestJobRun', (s) => {
    return new DataLoader<JobRow, Awaited<ReturnType<typeof s.jobs.latestRuns>>[number] | null, number>(
      async (jobs) => {
        const runs = new Map((await s.jobs.latestRuns(ctx.access, jobs)).map((r) => [r.jobId, r]));
        return jobs.map((j) => runs.get(j.id) ?? null);
      },
      { cacheKeyFn: (j) => j.id },
    );
  });

/** The jobs whose current version writes each dataset the request read. */
export const datasetWritersLoader = (ctx: Context) =>
  ctx.loaders.get('datasetWriters', (s) =>
    manyByParent(
      (datasets: readonly Dataset[]) =>
        s.jobs.writersOf(
          ctx.access,
          datasets.map((d) => d.id),
        ),
      (w) => w.datasetId,
    ),
  );
