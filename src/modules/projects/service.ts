// Projects: the namespaces that hold runs. Creating one is idempotent by name; every read and write is the caller's.
import type { Database } from '../../db/database.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import type { Project } from '../../generated/prisma/client.js';
import { findOrCreate } from '../../db/errors.js';
import { LIMITS, requireDisplayName, requireMaxLength } from '../../validation.js';
import type { Access, Role } from '../auth/access.js';
import { readableProjects } from '../auth/policy.js';
import { ProjectCache } from './cache.js';
import { projectAccess } from './policy.js';

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

  async function byId(id: number): Promise<Project | null> {
    return cache.id(id) ?? cache.remember(await prisma.project.findUnique({ where: { id } }));
  }

  /** The projects of these ids that exist; only those not cached are read. */
  async function byIds(ids: readonly number[]): Promise<Project[]> {
    const missing = ids.filter((id) => !cache.id(id));
    if (missing.length) for (const found of await prisma.project.findMany({ where: { id: { in: missing } } })) cache.remember(found);
    return ids.flatMap((id) => cache.id(id) ?? []);
  }

  /**
   * Creates a project, or returns the existing one of that name (a retry changes nothing). The
   * creator becomes its admin in the same transaction, so a retry never finds a project its
   * creator cannot see. A name taken by a project the caller has no role in is a CONFLICT.
   */
  async function create(caller: Access, input: CreateProjectInput): Promise<{ project: Project; created: boolean }> {
    const name = requireDisplayName('input.name', input.name, LIMITS.projectNameLength);
    const description = input.description == null ? null : requireMaxLength('input.description', input.description, LIMITS.notesLength);
    const adminUserId = caller.userId;
    const { value: project, created } = await findOrCreate(
      () => byName(name),
      () =>
        prisma.$transaction(async (tx) => {
          const made = await tx.project.create({ data: { name, description } });
          if (adminUserId != null) await tx.projectRole.create({ data: { projectId: made.id, userId: adminUserId, role: 'ADMIN' } });
          return made;
        }),
    );
    if (!created && !(await projectAccess.canSee(caller, project))) {
      throw new ConflictError(`input.name: a project named ${JSON.stringify(project.name)} already exists and you have no role in it`, {
        field: 'input.name',
      });
    }
    return { project: cache.remember(project), created };
  }

  return {
    create,

    /** The named project when the caller may see it, else null (a missing and a hidden project look alike). */
    async get(caller: Access, name: string): Promise<Project | null> {
      const project = await byName(name);
      return (await projectAccess.canSee(caller, project)) ? project : null;
    },

    /** The named project when the caller holds `role` in it; NOT_FOUND when missing or hidden, FORBIDDEN without the role. */
    async require(caller: Access, name: string, role: Role): Promise<Project> {
      return projectAccess.require(caller, await byName(name), role, name);
    },

    /** A project by id when the caller holds `role` in it (see `require`). */
    async requireById(caller: Access, id: number, role: Role): Promise<Project> {
      return projectAccess.require(caller, await byId(id), role, id);
    },

    /**
     * The project behind an MLflow experiment id, when the caller holds `role` in it: "0" is the
     * Default project (seeded by a migration, owned by no one), any other id a project number.
     */
    async requireByExperimentId(caller: Access, experimentId: string, role: Role): Promise<Project> {
      const id = parseExperimentId(experimentId);
      const project = id === DEFAULT_EXPERIMENT_ID ? await byName(DEFAULT_EXPERIMENT_PROJECT) : id === null ? null : await byId(id);
      return projectAccess.require(caller, project, role, experimentId);
    },

    /** The projects of these ids that exist and the caller may see, in id order given. */
    async visibleByIds(caller: Access, ids: readonly number[]): Promise<Project[]> {
      return projectAccess.visible(caller, await byIds(ids));
    },

    /** Projects the caller may see, by name, keyset-paginated after the given name. */
    async list(caller: Access, first: number, afterName: string | null): Promise<{ projects: Project[]; hasNextPage: boolean }> {
      const onlyIds = await readableProjects(caller);
      const rows = await prisma.project.findMany({
        where: { ...(afterName ? { name: { gt: afterName } } : {}), ...(onlyIds ? { id: { in: onlyIds } } : {}) },
        orderBy: { name: 'asc' },
        take: first + 1,
      });
      return { projects: rows.slice(0, first), hasNextPage: rows.length > first };
    },

    /** Unchecked lookups for other services, which apply their own policy to what they find. */
    internal: { byName, byId, byIds },
  };
}

/** "0" for the Default experiment, a project id, or null when the text cannot name a project. */
function parseExperimentId(experimentId: string): typeof DEFAULT_EXPERIMENT_ID | number | null {
  if (experimentId === DEFAULT_EXPERIMENT_ID) return DEFAULT_EXPERIMENT_ID;
  if (!/^[1-9][0-9]{0,9}$/.test(experimentId) || Number(experimentId) > 2_147_483_647) return null;
  return Number(experimentId);
}

export type ProjectService = ReturnType<typeof createProjectService>;
