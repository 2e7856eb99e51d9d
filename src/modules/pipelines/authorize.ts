// Who may write what an OpenLineage event names: EDITOR in the namespace's project (created
// for global admins only), EDITOR on datasets of other projects it writes, VIEWER on those it
// reads, and a run id that is not another project's. Decided before the transaction, and
// again inside it for a dataset that appeared in another project meanwhile (`datasetFor`).
import type { Database } from '../../db/database.js';
import { ConflictError, DomainError, ForbiddenError, ValidationError } from '../../errors.js';
import type { Access } from '../auth/access.js';
import { isGlobalAdmin } from '../auth/policy.js';
import { projectAccess } from '../projects/policy.js';
import type { ProjectService } from '../projects/service.js';
import { projectForNamespace } from './rules.js';
import * as store from './store.js';
import type { DatasetKey } from './store.js';
import type { EventDataset, LineageEvent, PipelineConfig } from './service.js';

/** What an event needs of the caller in one project: `projectId` null when the project the namespace maps to does not exist. */
interface Need {
  projectId: number | null;
  projectName: string;
  role: 'VIEWER' | 'EDITOR';
  what: string;
}

export interface Resolved {
  projectId: number;
  /** Datasets of other projects the caller may only read: their versions are linked, never created or annotated. */
  readOnly: Set<string>;
  /** Datasets of other projects the caller was found allowed to write. */
  writable: Set<string>;
  /** Who is writing, to decide anew about a dataset created in another project meanwhile; null on a replay (decided when accepted). */
  caller: Access | null;
}

type Tx = Parameters<typeof store.lockVersion>[0];

export const key = (d: DatasetKey) => `${d.namespace}\u0000${d.name}`;

/** The datasets an event names, each once. */
export function datasetsOf(event: LineageEvent): EventDataset[] {
  const all = [...event.inputs, ...event.outputs, ...(event.dataset ? [event.dataset] : [])];
  return [...new Map(all.map((d) => [key(d), d])).values()];
}

/** Whether the event writes the dataset (needs EDITOR on it): a DatasetEvent, or an output of a run (declared or produced). */
export function writes(event: LineageEvent, d: DatasetKey): boolean {
  return [...event.outputs, ...(event.dataset ? [event.dataset] : [])].some((w) => key(w) === key(d));
}

/**
 * Whether the event makes its project the dataset's owner when nobody is: an output of a run,
 * or a DatasetEvent recording a version. A DatasetEvent that only describes a dataset (say its
 * documentation) annotates it without claiming it, so ownership never depends on whether the
 * description or the producer arrived first.
 */
export function claims(event: LineageEvent, d: DatasetKey): boolean {
  if (event.outputs.some((w) => key(w) === key(d))) return true;
  const version = (event.dataset?.facets.version as { datasetVersion?: unknown } | undefined)?.datasetVersion;
  return !!event.dataset && key(event.dataset) === key(d) && typeof version === 'string' && version.trim() !== '';
}

/**
 * Refuses the caller unless they hold `role` in the project. OpenLineage refusals of a project
 * the caller may not touch are alike (403), whether the project exists or not.
 */
async function requireRole(caller: Access, need: Need): Promise<void> {
  // A project that does not exist yet is created for a global admin (see authorize).
  if (need.projectId === null && isGlobalAdmin(caller)) return;
  try {
    await projectAccess.require(caller, need.projectId === null ? null : { id: need.projectId }, need.role, need.projectName || need.projectId || '');
  } catch (error) {
    if (!(error instanceof DomainError) || (error.code !== 'NOT_FOUND' && error.code !== 'FORBIDDEN')) throw error;
    const verb = need.role === 'EDITOR' ? 'write to' : 'read';
    throw new ForbiddenError(
      `${need.what}: this token may not ${verb} it (needs the ${need.role} role in ${need.projectName ? `project ${JSON.stringify(need.projectName)}` : 'its project'})`,
      { needed: need.role },
    );
  }
}

/** Whether the caller holds the role (a refusal is an answer here, not an error). */
async function allows(caller: Access, need: Need): Promise<boolean> {
  try {
    await requireRole(caller, need);
    return true;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'FORBIDDEN') return false;
    throw error;
  }
}

export function createEventAuthorizer(db: Database, projects: ProjectService, config: PipelineConfig) {
  const { sql } = db;

  function namespaceOf(event: LineageEvent): string {
    return event.job?.namespace ?? event.dataset!.namespace;
  }

  /** The namespace's project, created for a global admin; a refusal names the event's namespace field, not the project's. */
  async function createProjectFor(caller: Access, event: LineageEvent, projectName: string) {
    try {
      return (await projects.create(caller, { name: projectName })).project;
    } catch (error) {
      if (!(error instanceof ValidationError) && !(error instanceof ConflictError)) throw error;
      const field = event.job ? 'job.namespace' : 'dataset.namespace';
      const reason = error instanceof ValidationError ? error.message.slice(error.field.length + 2) : error.message.replace(/^input\.name: /, '');
      throw new ValidationError(field, `maps to project ${JSON.stringify(projectName)}, which cannot be used: ${reason}`);
    }
  }

  /**
   * One claimed dataset of another project: writing it needs EDITOR there; reading it, VIEWER
   * (with EDITOR the reader may also create the version it names, or a placeholder). Returns
   * whether the caller may write it; refuses when the caller may do neither.
   */
  async function authorizeForeignDataset(event: LineageEvent, d: DatasetKey, found: { projectId: number }, caller: Access): Promise<boolean> {
    const need = { projectId: found.projectId, projectName: '', what: `dataset ${JSON.stringify(`${d.namespace}/${d.name}`)}` };
    if (writes(event, d)) {
      await requireRole(caller, { ...need, role: 'EDITOR' });
      return true;
    }
    if (await allows(caller, { ...need, role: 'EDITOR' })) return true;
    await requireRole(caller, { ...need, role: 'VIEWER' });
    return false;
  }

  return {
    /**
     * The project a namespace writes into, when the caller may write there (EDITOR); a missing
     * one is created for a global admin, refused to anyone else (403, as for events).
     */
    async namespaceProject(caller: Access, namespace: string) {
      const projectName = projectForNamespace(namespace, config.projects);
      const found = await projects.internal.byName(projectName);
      await requireRole(caller, { projectId: found?.id ?? null, projectName, role: 'EDITOR', what: `namespace ${JSON.stringify(namespace)}` });
      return found ?? (await createProjectFor(caller, { job: { namespace, name: '', facets: {} } } as LineageEvent, projectName));
    },

    /**
     * Every check before any write: the namespace's project (created for a caller allowed to
     * create it), EDITOR there, the roles each claimed dataset of another project needs, and
     * a run id that is not another project's. Unclaimed datasets (only ever read) are decided
     * inside the write, where they may be claimed.
     */
    async authorize(event: LineageEvent, caller: Access): Promise<Resolved> {
      const projectName = projectForNamespace(namespaceOf(event), config.projects);
      const found = await projects.internal.byName(projectName);
      // Refuses a caller who may not write there; a missing project is created only for a global admin.
      await requireRole(caller, { projectId: found?.id ?? null, projectName, role: 'EDITOR', what: `namespace ${JSON.stringify(namespaceOf(event))}` });
      const project = found ?? (await createProjectFor(caller, event, projectName));
      const readOnly = new Set<string>();
      const writable = new Set<string>();
      const named = datasetsOf(event);
      for (const existing of await store.datasetsByKeys(sql, named)) {
        if (existing.projectId === project.id || !existing.claimed) continue;
        ((await authorizeForeignDataset(event, existing, existing, caller)) ? writable : readOnly).add(key(existing));
      }
      const uuids = [event.run?.runId, parentOf(event.run?.facets)?.runId].filter((u): u is string => !!u);
      for (const other of await store.pipelineRunsByUuids(sql, uuids)) {
        // A run known only as a parent (no event of its own yet) moves to its first event's project.
        if (other.projectId === project.id || (other.runUuid === event.run?.runId && store.isBareParent(other))) continue;
        const own = other.runUuid === event.run?.runId;
        await requireRole(caller, {
          projectId: other.projectId,
          projectName: '',
          role: own ? 'EDITOR' : 'VIEWER',
          what: `run ${JSON.stringify(other.runUuid)}`,
        });
      }
      return { projectId: project.id, readOnly, writable, caller };
    },

    /**
     * The dataset an event names, created in the event's project when new, claimed when the
     * event writes it and nobody has. Ownership is decided here, inside the writing
     * transaction (which holds the dataset's key lock): a dataset another project created or
     * claimed since the checks before the transaction is checked now, so a race never writes
     * into another tenant's data.
     */
    async datasetFor(tx: Tx, event: LineageEvent, d: EventDataset, resolved: Resolved, at: Date): Promise<store.DatasetRow> {
      const claiming = claims(event, d);
      let dataset = await store.ensureDataset(tx, d, resolved.projectId, at, claiming);
      const k = key(d);
      if (!dataset.claimed && claiming) {
        if (await store.claimDataset(tx, dataset.id, resolved.projectId)) {
          resolved.readOnly.delete(k);
          return { ...dataset, projectId: resolved.projectId, claimed: true };
        }
        dataset = { ...dataset, claimed: true }; // claimed by another writer meanwhile
      }
      if (dataset.projectId === resolved.projectId || resolved.readOnly.has(k) || resolved.writable.has(k)) return dataset;
      // Nobody wrote it yet: reading (and annotating) it needs no role in the project of whoever read it first.
      if (!dataset.claimed) {
        resolved.writable.add(k);
        return dataset;
      }
      if (!resolved.caller) return dataset;
      if (await authorizeForeignDataset(event, d, dataset, resolved.caller)) resolved.writable.add(k);
      else resolved.readOnly.add(k);
      return dataset;
    },
  };
}

export type EventAuthorizer = ReturnType<typeof createEventAuthorizer>;

/** The parent facet's run id and job, when the facet is well-formed. */
export function parentOf(facets: Record<string, unknown> | undefined): { runId: string; namespace: string | null; name: string | null } | null {
  const parent = facets?.parent as { run?: { runId?: unknown }; job?: { namespace?: unknown; name?: unknown } } | undefined;
  const runId = parent?.run?.runId;
  if (typeof runId !== 'string' || !runId) return null;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return { runId, namespace: str(parent?.job?.namespace), name: str(parent?.job?.name) };
}
