// The one shape of every domain's access rule: each object belongs to a project, and the
// caller's role there decides. Domain policies (modules/<domain>/policy.ts) are built from it
// and called by their services only; front doors pass the caller and never ask themselves.
//
// When the check runs: an object's project never changes once it exists, so checking it before
// a write is the same decision as checking inside the write. What can change under a concurrent
// writer is which project a *new* name lands in (a dataset or model created on first use): that
// ownership is decided inside the transaction that writes it.
import type { Access, Role } from './access.js';

export type { Access, Role };

export interface ProjectPolicy<T> {
  /** The noun refusals name, e.g. "Run". */
  readonly kind: string;
  /**
   * The target when the caller holds `role` in its project. A missing target (null) or one in
   * a project the caller has no role in is NOT_FOUND, so existence never leaks; a visible one
   * without the role is FORBIDDEN. `ref` is how the caller named it, for the message.
   */
  require<U extends T>(caller: Access, target: U | null | undefined, role: Role, ref: string | number): Promise<U>;
  /** Whether the caller may see the target (a role of any kind in its project). */
  canSee(caller: Access, target: T | null | undefined): Promise<boolean>;
  /** The rows the caller may see, in their order. */
  visible<U extends T>(caller: Access, rows: readonly U[]): Promise<U[]>;
  /**
   * `require` for a write that finds its target itself: global admins pass without the lookup
   * (the write reports a missing target), everyone else has it loaded and checked first.
   */
  requireFor(caller: Access, load: () => Promise<T | null | undefined>, role: Role, ref: string | number): Promise<void>;
}

export function projectPolicy<T>(kind: string, projectOf: (target: T) => number): ProjectPolicy<T> {
  return {
    kind,
    async require(caller, target, role, ref) {
      await caller.authorize(target == null ? null : projectOf(target), role, kind, ref);
      return target!;
    },
    async canSee(caller, target) {
      return target != null && (await caller.canRead(projectOf(target)));
    },
    visible(caller, rows) {
      return caller.filterVisible([...rows], projectOf);
    },
    async requireFor(caller, load, role, ref) {
      if (caller.isAdmin) return;
      const target = await load();
      await caller.authorize(target == null ? null : projectOf(target), role, kind, ref);
    },
  };
}

/**
 * Rows that join several projects (a model version joins its model's and its run's): visible
 * when the caller may see every one of them.
 */
export async function visibleInAll<T>(caller: Access, rows: readonly T[], projectsOf: (row: T) => readonly number[]): Promise<T[]> {
  if (caller.isAdmin) return [...rows];
  const readable = new Set(await caller.visibleProjectIds());
  return rows.filter((row) => projectsOf(row).every((id) => readable.has(id)));
}

/**
 * Project ids a caller's reads are limited to; null means every project (global admins and
 * the local user). Queries that list across projects filter by it in SQL.
 */
export function readableProjects(caller: Access): Promise<number[] | null> {
  return caller.visibleProjectIds();
}

/**
 * Project ids where the caller holds at least `role`; null means every project. For a write
 * that finds its project by name in the same statement that writes (so the write needs no
 * lookup first): the statement writes only into these, and `require` on the project it names
 * then answers a refusal exactly as it would have before the write.
 */
export function projectsWithRole(caller: Access, role: Role): Promise<number[] | null> {
  return caller.projectIdsWithRole(role);
}

/** Operations reserved to global admins (and the local user with authentication off). */
export function requireGlobalAdmin(caller: Access, what: string): void {
  caller.requireAdmin(what);
}

/** Whether the caller may act for others: record runs for another user, date history, and the like. */
export function isGlobalAdmin(caller: Access): boolean {
  return caller.isAdmin;
}
