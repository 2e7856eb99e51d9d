// Run conventions as CI enforces them: which runs of a project break its declared conventions
// (a required param or tag missing, a tag value outside the shared dictionary, a required input
// role not logged), and whether a run about to start would (fail fast on its params and tags).
import type { Database } from '../../db/database.js';
import { ValidationError } from '../../errors.js';
import type { Access } from '../auth/access.js';
import type { Project, ProjectService } from '../projects/service.js';
import { runAccess } from '../runs/policy.js';
import type { Run } from '../runs/service.js';
import { type Conventions, conventionsOf } from './settings.js';

export interface Violation {
  kind: 'PARAM' | 'TAG' | 'TAG_VALUE' | 'INPUT';
  key: string;
  message: string;
}

export interface RunViolations {
  run: Run;
  violations: Violation[];
}

const MAX_RUNS_CHECKED = 5000;

/** What a run (or one about to start) breaks of the conventions; `inputs` null: not checked (not known yet). */
export function violationsOf(
  conventions: Conventions,
  params: ReadonlyMap<string, string>,
  tags: ReadonlyMap<string, string>,
  inputs: ReadonlySet<string> | null,
): Violation[] {
  const out: Violation[] = [];
  for (const key of conventions.requiredParams) {
    if (!params.has(key)) out.push({ kind: 'PARAM', key, message: `param ${key} is required` });
  }
  for (const tag of conventions.requiredTags) {
    const value = tags.get(tag.key);
    if (value === undefined)
      out.push({ kind: 'TAG', key: tag.key, message: `tag ${tag.key} is required${tag.allowedValues ? ` (one of ${tag.allowedValues.join(', ')})` : ''}` });
    else if (tag.allowedValues && !tag.allowedValues.includes(value)) {
      out.push({ kind: 'TAG_VALUE', key: tag.key, message: `tag ${tag.key} is ${JSON.stringify(value)}; allowed: ${tag.allowedValues.join(', ')}` });
    }
  }
  if (inputs) {
    for (const role of conventions.requiredInputs) {
      if (!inputs.has(role)) out.push({ kind: 'INPUT', key: role, message: `a dataset input with role ${role} is required` });
    }
  }
  return out;
}

export function createConventionChecks(db: Database, deps: { projects: ProjectService }) {
  const { prisma } = db;

  async function conventionsFor(projectId: number): Promise<Conventions> {
    return conventionsOf(await prisma.projectGovernance.findUnique({ where: { projectId } }));
  }

  /** Each run's violations, for runs the caller read; one query per kind of record for all of them. */
  async function checkRuns(caller: Access, runs: readonly Run[]): Promise<RunViolations[]> {
    const visible = await runAccess.visible(caller, runs);
    if (visible.length === 0) return [];
    const ids = visible.map((r) => r.id);
    const [params, tags, inputs, settings] = await Promise.all([
      prisma.param.findMany({ where: { runId: { in: ids } }, select: { runId: true, key: true, value: true } }),
      prisma.tag.findMany({ where: { runId: { in: ids } }, select: { runId: true, key: true, value: true } }),
      prisma.runDatasetInput.findMany({ where: { runId: { in: ids } }, select: { runId: true, role: true } }),
      prisma.projectGovernance.findMany({ where: { projectId: { in: [...new Set(visible.map((r) => r.projectId))] } } }),
    ]);
    const byProject = new Map(settings.map((s) => [s.projectId, conventionsOf(s)]));
    const group = <T extends { runId: number }>(rows: T[]) => {
      const map = new Map<number, T[]>();
      for (const row of rows) map.set(row.runId, [...(map.get(row.runId) ?? []), row]);
      return map;
    };
    const [p, t, i] = [group(params), group(tags), group(inputs)];
    return visible.map((run) => ({
      run,
      violations: violationsOf(
        byProject.get(run.projectId) ?? conventionsOf(null),
        new Map((p.get(run.id) ?? []).map((x) => [x.key, x.value])),
        new Map((t.get(run.id) ?? []).map((x) => [x.key, x.value])),
        new Set((i.get(run.id) ?? []).map((x) => x.role)),
      ),
    }));
  }

  return {
    checkRuns,

    /** Runs of a project started since `since` (not deleted), each with what it breaks; checked counts every run looked at. */
    async checkProject(caller: Access, projectName: string, since: Date): Promise<{ project: Project; checked: number; failing: RunViolations[] }> {
      const project = await deps.projects.require(caller, projectName, 'VIEWER');
      if (since.getTime() > Date.now()) throw new ValidationError('since', 'must not be in the future');
      const runs = await prisma.run.findMany({
        where: { projectId: project.id, startedAt: { gte: since }, deletedAt: null },
        orderBy: { id: 'asc' },
        take: MAX_RUNS_CHECKED + 1,
      });
      if (runs.length > MAX_RUNS_CHECKED) throw new ValidationError('since', `covers more than ${MAX_RUNS_CHECKED} runs; check a shorter period`);
      const checked = await checkRuns(caller, runs);
      return { project, checked: checked.length, failing: checked.filter((c) => c.violations.length > 0) };
    },

    /** What a run about to start in a project would break, judged by the params and tags it will log (inputs come later, so are not judged). */
    async checkStart(
      caller: Access,
      project: Project,
      params: readonly { key: string; value: string }[],
      tags: readonly { key: string; value: string }[],
    ): Promise<Violation[]> {
      await deps.projects.requireById(caller, project.id, 'VIEWER');
      return violationsOf(await conventionsFor(project.id), new Map(params.map((x) => [x.key, x.value])), new Map(tags.map((x) => [x.key, x.value])), null);
    },
  };
}

export type ConventionChecks = ReturnType<typeof createConventionChecks>;
