// Projects: the namespaces that hold runs. Creating one is idempotent by name.
import type { Database } from '../../db/database.js';
import { NotFoundError } from '../../errors.js';
import type { Project } from '../../generated/prisma/client.js';
import { findOrCreate } from '../../db/errors.js';
import { LIMITS, requireKey, requireMaxLength } from '../../validation.js';
import { ProjectCache } from './cache.js';

export type { Project };

/** MLflow's `Default` experiment (id "0", which every MLflow client assumes exists) is this project. */
export const DEFAULT_EXPERIMENT_PROJECT = 'Default';
export const DEFAULT_EXPERIMENT_ID = '0';

/** A project's MLflow experiment id: its number as text, "0" for the Default project. */
export function experimentIdOf(project: Project): string {
  return project.name === DEFAULT_EXPERIMENT_PROJECT ? DEFAULT_EXPERIMENT_ID : String(project.id);
}

export interface CreateProjectInput {
  name: string;
  description?: string | null;
}

export function createProjectService(db: Database) {
  const { prisma } = db;
  // Looked up by name on every startRun and run search: one round trip saved on each.
  const cache = new ProjectCache();

  async function byName(name: string): Promise<Project | null> {
    return cache.name(name) ?? cache.remember(await prisma.project.findUnique({ where: { name } }));
  }

  /** Returns the existing project when the name is taken, so a retried call changes nothing. */
  async function create(input: CreateProjectInput, options: { adminUserId?: number | null } = {}): Promise<{ project: Project; created: boolean }> {
    const name = requireKey('input.name', input.name.trim());
    const description = input.description == null ? null : requireMaxLength('input.description', input.description, LIMITS.notesLength);
    const { value: project, created } = await findOrCreate(
      () => byName(name),
      // The creator becomes the project's admin in the same transaction, so a retry never
      // finds a project its creator cannot see.
      () =>
        prisma.$transaction(async (tx) => {
          const made = await tx.project.create({ data: { name, description } });
          if (options.adminUserId != null) await tx.projectRole.create({ data: { projectId: made.id, userId: options.adminUserId, role: 'ADMIN' } });
          return made;
        }),
    );
    return { project: cache.remember(project), created };
  }

  return {
    create,

    byName,

    async requireByName(name: string): Promise<Project> {
      const project = await byName(name);
      if (!project) throw new NotFoundError('Project', name);
      return project;
    },

    /**
     * The project behind an MLflow experiment id: "0" is the Default project, created on first
     * use (with no roles, so only global admins and auth-off callers see it until roles are
     * granted); any other id is a project number. Null when there is no such project.
     */
    async byExperimentId(experimentId: string): Promise<Project | null> {
      if (experimentId === DEFAULT_EXPERIMENT_ID) return (await create({ name: DEFAULT_EXPERIMENT_PROJECT })).project;
      if (!/^[1-9][0-9]{0,9}$/.test(experimentId) || Number(experimentId) > 2_147_483_647) return null;
      const id = Number(experimentId);
      return cache.id(id) ?? cache.remember(await prisma.project.findUnique({ where: { id } }));
    },

    /** The project behind an MLflow experiment id, or null; never creates the Default project (for reads such as MLflow UI links). */
    async findByExperimentId(experimentId: string): Promise<Project | null> {
      if (experimentId === DEFAULT_EXPERIMENT_ID) return byName(DEFAULT_EXPERIMENT_PROJECT);
      if (!/^[1-9][0-9]{0,9}$/.test(experimentId) || Number(experimentId) > 2_147_483_647) return null;
      const id = Number(experimentId);
      return cache.id(id) ?? cache.remember(await prisma.project.findUnique({ where: { id } }));
    },

    /** The projects of these ids that exist; only those not cached are read. */
    async byIds(ids: readonly number[]): Promise<Project[]> {
      const missing = ids.filter((id) => !cache.id(id));
      if (missing.length) for (const found of await prisma.project.findMany({ where: { id: { in: missing } } })) cache.remember(found);
      return ids.flatMap((id) => cache.id(id) ?? []);
    },

    /** Projects by name, keyset-paginated after the given name. */
    async list(first: number, afterName: string | null, onlyIds: readonly number[] | null = null): Promise<{ projects: Project[]; hasNextPage: boolean }> {
      const rows = await prisma.project.findMany({
        where: { ...(afterName ? { name: { gt: afterName } } : {}), ...(onlyIds ? { id: { in: [...onlyIds] } } : {}) },
        orderBy: { name: 'asc' },
        take: first + 1,
      });
      return { projects: rows.slice(0, first), hasNextPage: rows.length > first };
    },

    async count(): Promise<number> {
      return prisma.project.count();
    },
  };
}

export type ProjectService = ReturnType<typeof createProjectService>;
