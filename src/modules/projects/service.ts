// Projects: the namespaces that hold runs (MLflow's experiments). Creating one is idempotent by name; renames, deletes, restores and tags; every read and write is the caller's.
import type { Database } from '../../db/database.js';
import { findOrCreate, isUniqueViolation } from '../../db/errors.js';
import { ConflictError, NotFoundError, nameNotYours, ValidationError } from '../../errors.js';
import type { Project } from '../../generated/prisma/client.js';
import { LIMITS, requireName, requireKey, requireMaxLength } from '../../validation.js';
import type { Access, Role } from '../auth/access.js';
import { readableProjects } from '../auth/policy.js';
import { type ConditionSpec, parseConditions } from '../search/conditions.js';
import { projectAccess } from './policy.js';
import { projectById, projectByName, searchProjects } from './store.js';

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
  /** Where the client keeps artifacts (MLflow's artifact_location): recorded, informational only. */
  artifactLocation?: string | null;
  /** Tags set when this call creates the project (a retry that finds it changes nothing). */
  tags?: readonly ProjectTagInput[] | null;
}

export interface ProjectTagInput {
  key: string;
  value: string;
}

export type ProjectView = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export interface SearchProjectsInput {
  /** MLflow's grammar: name, experiment_id, creation_time, last_update_time and tags.<key>. */
  filter?: string | null;
  /** e.g. [{ field: 'name', direction: 'DESC' }]; default: newest first. */
  orderBy?: readonly { field: string; direction: 'ASC' | 'DESC' }[] | null;
  view?: ProjectView | null;
  first: number;
  offset: number;
}

function validateTags(field: string, tags: readonly ProjectTagInput[]): ProjectTagInput[] {
  if (tags.length > LIMITS.tagsPerBatch) throw new ValidationError(field, `at most ${LIMITS.tagsPerBatch} tags per call (got ${tags.length})`);
  const byKey = new Map<string, ProjectTagInput>();
  tags.forEach((tag, i) => {
    requireKey(`${field}[${i}].key`, tag.key);
    requireMaxLength(`${field}[${i}].value`, tag.value, LIMITS.tagValueLength);
    byKey.set(tag.key, tag);
  });
  return [...byKey.values()];
}

export function createProjectService(db: Database) {
  const { prisma } = db;

  // No per-process cache: replicas share one database, and experiments can be renamed and
  // deleted (through MLflow), so a cached row could be stale on every other replica. The
  // lookup is one primary-key or unique-index read (measured in bench/replicas.ts).
  async function byName(name: string): Promise<Project | null> {
    return projectByName(db.sql, name);
  }

  async function byId(id: number): Promise<Project | null> {
    // An id outside int4 names no project, and must not reach the int4 parameter as an error.
    return Number.isSafeInteger(id) && id > 0 && id <= 2_147_483_647 ? projectById(db.sql, id) : null;
  }

  /** The projects of these ids that exist, in the order asked. */
  async function byIds(ids: readonly number[]): Promise<Project[]> {
    if (ids.length === 0) return [];
    const found = new Map((await prisma.project.findMany({ where: { id: { in: [...new Set(ids)] } } })).map((p) => [p.id, p]));
    return ids.flatMap((id) => found.get(id) ?? []);
  }

  /**
   * Creates a project, or returns the existing one of that name (a retry changes nothing). The
   * creator becomes its admin in the same transaction, so a retry never finds a project its
   * creator cannot see. A name taken by a project the caller has no role in is FORBIDDEN (see nameNotYours).
   */
  async function create(caller: Access, input: CreateProjectInput): Promise<{ project: Project; created: boolean }> {
    const name = requireName('input.name', input.name, LIMITS.projectNameLength);
    const description = input.description == null ? null : requireMaxLength('input.description', input.description, LIMITS.notesLength);
    const artifactLocation = input.artifactLocation == null ? null : requireMaxLength('input.artifactLocation', input.artifactLocation, 2000);
    const tags = validateTags('input.tags', input.tags ?? []);
    const adminUserId = caller.userId;
    const { value: project, created } = await findOrCreate(
      () => byName(name),
      () =>
        prisma.$transaction(async (tx) => {
          const made = await tx.project.create({ data: { name, description, artifactLocation } });
          if (adminUserId != null) await tx.projectRole.create({ data: { projectId: made.id, userId: adminUserId, role: 'ADMIN' } });
          if (tags.length) await tx.projectTag.createMany({ data: tags.map((t) => ({ projectId: made.id, key: t.key, value: t.value })) });
          return made;
        }),
    );
    if (!created && !(await projectAccess.canSee(caller, project))) throw nameNotYours('input.name', 'project', project.name);
    return { project, created };
  }

  /** A project the caller may change with `role`, refused when deleted (restore it first). */
  async function requireActive(caller: Access, id: number, role: Role, what: string): Promise<Project> {
    const project = await projectAccess.require(caller, await prisma.project.findUnique({ where: { id } }), role, id);
    if (project.deletedAt) throw new ConflictError(`project ${JSON.stringify(project.name)} is deleted; restore it before you ${what}`, { projectId: id });
    return project;
  }

  function refuseDefault(project: Project, what: string): void {
    if (project.name === DEFAULT_EXPERIMENT_PROJECT) {
      throw new ConflictError(
        `the Default project is MLflow's experiment 0, which every MLflow client expects to exist under that name; it cannot be ${what}`,
        {
          projectId: project.id,
        },
      );
    }
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

    /**
     * The project behind an MLflow experiment id when the caller may see it, else null (missing
     * and hidden alike); for reads such as MLflow UI links.
     */
    async findByExperimentId(caller: Access, experimentId: string): Promise<Project | null> {
      const id = parseExperimentId(experimentId);
      const project = id === DEFAULT_EXPERIMENT_ID ? await byName(DEFAULT_EXPERIMENT_PROJECT) : id === null ? null : await byId(id);
      return (await projectAccess.canSee(caller, project)) ? project : null;
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

    /** Projects the caller may see that match an MLflow-grammar filter, in the order asked, a page at an offset. */
    async search(caller: Access, input: SearchProjectsInput): Promise<{ projects: Project[]; hasNextPage: boolean }> {
      const conditions = parseConditions(input.filter, PROJECT_FILTER);
      const order = (input.orderBy ?? []).map((o, i) => {
        const field = PROJECT_FILTER.aliases?.[o.field] ?? o.field;
        if (!PROJECT_ORDER_FIELDS.includes(field))
          throw new ValidationError(`orderBy[${i}]`, `must be one of ${PROJECT_ORDER_FIELDS.join(', ')} (got ${JSON.stringify(o.field)})`);
        return { field, direction: o.direction };
      });
      const rows = await searchProjects(db.sql, {
        projectIds: await readableProjects(caller),
        conditions,
        order,
        view: input.view ?? 'ACTIVE_ONLY',
        limit: input.first + 1,
        offset: input.offset,
      });
      return { projects: rows.slice(0, input.first), hasNextPage: rows.length > input.first };
    },

    /** Tags of projects the caller read, by project then key. */
    async tagsOf(caller: Access, projects: readonly Project[]): Promise<{ projectId: number; key: string; value: string }[]> {
      const ids = (await projectAccess.visible(caller, projects)).map((p) => p.id);
      if (!ids.length) return [];
      return prisma.projectTag.findMany({ where: { projectId: { in: ids } }, orderBy: [{ projectId: 'asc' }, { key: 'asc' }] });
    },

    /** Renames a project (EDITOR). Names stay unique: a taken one is a CONFLICT. The Default project keeps its name. */
    async rename(caller: Access, id: number, newName: string): Promise<Project> {
      const name = requireName('input.name', newName, LIMITS.projectNameLength);
      const project = await requireActive(caller, id, 'EDITOR', 'rename it');
      refuseDefault(project, 'renamed');
      if (project.name === name) return project;
      try {
        return await prisma.project.update({ where: { id }, data: { name, updatedAt: new Date() } });
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`input.name: a project named ${JSON.stringify(name)} already exists`, { field: 'input.name' });
        throw error;
      }
    },

    /** Sets or clears a project's description (EDITOR). */
    async describe(caller: Access, id: number, description: string | null): Promise<Project> {
      const text = description == null ? null : requireMaxLength('input.description', description, LIMITS.notesLength);
      await requireActive(caller, id, 'EDITOR', 'describe it');
      return await prisma.project.update({ where: { id }, data: { description: text, updatedAt: new Date() } });
    },

    /**
     * Deletes a project (ADMIN): it keeps its runs, its name and every link, takes no new runs,
     * and leaves default listings until restored. Deleting again changes nothing.
     */
    async delete(caller: Access, id: number): Promise<Project> {
      const project = await projectAccess.require(caller, await prisma.project.findUnique({ where: { id } }), 'ADMIN', id);
      refuseDefault(project, 'deleted');
      if (project.deletedAt) return project;
      const now = new Date();
      return await prisma.project.update({ where: { id }, data: { deletedAt: now, updatedAt: now } });
    },

    /** Restores a deleted project (ADMIN); restoring a live one changes nothing. */
    async restore(caller: Access, id: number): Promise<Project> {
      const project = await projectAccess.require(caller, await prisma.project.findUnique({ where: { id } }), 'ADMIN', id);
      if (!project.deletedAt) return project;
      return await prisma.project.update({ where: { id }, data: { deletedAt: null, updatedAt: new Date() } });
    },

    /** Sets and removes tags of a live project (EDITOR), in one transaction. Removing a key it lacks is NOT_FOUND. */
    async setTags(caller: Access, id: number, input: { tags?: readonly ProjectTagInput[] | null; remove?: readonly string[] | null }): Promise<Project> {
      const tags = validateTags('input.tags', input.tags ?? []);
      const remove = (input.remove ?? []).map((key, i) => requireKey(`input.remove[${i}]`, key));
      await requireActive(caller, id, 'EDITOR', 'tag it');
      const updated = await prisma.$transaction(async (tx) => {
        for (const key of remove) {
          const { count } = await tx.projectTag.deleteMany({ where: { projectId: id, key } });
          if (count === 0) throw new NotFoundError('ProjectTag', key);
        }
        for (const t of tags) {
          await tx.projectTag.upsert({ where: { projectId_key: { projectId: id, key: t.key } }, create: { projectId: id, ...t }, update: { value: t.value } });
        }
        return tx.project.update({ where: { id }, data: { updatedAt: new Date() } });
      });
      return updated;
    },

    /** Unchecked lookups for other services, which apply their own policy to what they find. */
    internal: { byName, byId, byIds },
  };
}

const PROJECT_FILTER: ConditionSpec = {
  what: 'experiments',
  attributes: { name: 'string', experiment_id: 'string', creation_time: 'number', last_update_time: 'number' },
  aliases: { id: 'experiment_id', created: 'creation_time', creation_timestamp: 'creation_time', last_updated_timestamp: 'last_update_time' },
  lists: ['experiment_id'],
  kinds: ['tag'],
};
const PROJECT_ORDER_FIELDS = ['name', 'experiment_id', 'creation_time', 'last_update_time'];

/** "0" for the Default experiment, a project id, or null when the text cannot name a project. */
function parseExperimentId(experimentId: string): typeof DEFAULT_EXPERIMENT_ID | number | null {
  if (experimentId === DEFAULT_EXPERIMENT_ID) return DEFAULT_EXPERIMENT_ID;
  if (!/^[1-9][0-9]{0,9}$/.test(experimentId) || Number(experimentId) > 2_147_483_647) return null;
  return Number(experimentId);
}

export type ProjectService = ReturnType<typeof createProjectService>;
