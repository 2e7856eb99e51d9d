// What Marquez's job and run answers need, loaded for a whole list at once through the services
// (a fixed number of calls per list, never one per row).
import type { Access } from '../../modules/auth/access.js';
import type { JobRow } from '../../modules/pipelines/jobs.js';
import type { PipelineRunRow } from '../../modules/pipelines/service.js';
import type { Services } from '../../services.js';
import { type JobContext, runJson } from './json.js';

/** Each run's Marquez JSON: its job version and the dataset versions it read and produced. */
export async function runContexts(services: Services, access: Access, runs: readonly PipelineRunRow[]): Promise<Map<number, ReturnType<typeof runJson>>> {
  const jobs = new Map((await services.jobs.visibleByIds(access, [...new Set(runs.flatMap((r) => (r.jobId ? [r.jobId] : [])))])).map((j) => [j.id, j]));
  const versions = new Map(
    (await services.jobs.versionsByIds(access, [...new Set(runs.flatMap((r) => (r.jobVersionId ? [r.jobVersionId] : [])))])).map((v) => [v.id, v]),
  );
  const io = await services.catalog.versionsOfPipelineRuns(access, runs);
  const out = new Map<number, ReturnType<typeof runJson>>();
  for (const run of runs) {
    const mine = io
      .filter((l) => l.pipelineRunId === run.id)
      .map((l) => ({ ...l, key: { namespace: l.dataset.namespace, name: l.dataset.name, version: l.version.version } }));
    out.set(
      run.id,
      runJson(run, {
        job: run.jobId ? (jobs.get(run.jobId) ?? null) : null,
        version: run.jobVersionId ? (versions.get(run.jobVersionId) ?? null) : null,
        inputs: mine.filter((l) => l.direction === 'INPUT').map((l) => l.key),
        outputs: mine.filter((l) => l.direction === 'OUTPUT').map((l) => l.key),
      }),
    );
  }
  return out;
}

/** Each job's current version, what it reads and writes, and its latest run. */
export async function jobContexts(services: Services, access: Access, jobs: readonly JobRow[]): Promise<Map<number, JobContext>> {
  const current = new Map((await services.jobs.currentVersionIds(access, jobs)).map((c) => [c.jobId, c.versionId]));
  const versions = new Map((await services.jobs.versionsByIds(access, [...new Set(current.values())])).map((v) => [v.id, v]));
  const io = await services.jobs.datasetsOfVersions(access, [...versions.values()]);
  const datasets = new Map((await services.datasets.visibleByIds(access, [...new Set(io.map((d) => d.datasetId))])).map((d) => [d.id, d]));
  const latest = await services.jobs.latestRuns(access, jobs);
  const latestJson = await runContexts(services, access, latest);
  const out = new Map<number, JobContext>();
  for (const job of jobs) {
    const versionId = current.get(job.id);
    const mine = io.filter((d) => d.jobVersionId === versionId);
    const pick = (direction: string) =>
      mine.filter((d) => d.direction === direction).flatMap((d) => (datasets.has(d.datasetId) ? [datasets.get(d.datasetId)!] : []));
    const run = latest.find((r) => r.jobId === job.id);
    out.set(job.id, {
      current: versionId ? (versions.get(versionId) ?? null) : null,
      inputs: pick('INPUT'),
      outputs: pick('OUTPUT'),
      latestRun: run ? (latestJson.get(run.id) ?? null) : null,
    });
  }
  return out;
}
