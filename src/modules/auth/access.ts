// Who is acting and what they may touch. Every domain object resolves to a project id, and
// one check, `authorize(projectId, role, kind, id)`, decides: a project the caller has no
// role in answers NOT_FOUND (its existence does not leak), a visible one without the needed
// role answers FORBIDDEN. No GraphQL here, so HTTP routes use it too.
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../../errors.js';

export type Role = 'VIEWER' | 'EDITOR' | 'ADMIN';
const RANK: Record<Role, number> = { VIEWER: 1, EDITOR: 2, ADMIN: 3 };

/** Who history records as acting when authentication is off and the request named nobody. */
export const LOCAL_ACTOR = 'local';

export type Principal =
  /** Authentication is off and the request carried no token: the local single-user mode. */
  { kind: 'local'; name: string | null } | { kind: 'user'; userId: number; name: string; isAdmin: boolean; tokenId: number; expiresAt: Date | null };

export interface AccessLookup {
  rolesOf(userId: number): Promise<Map<number, Role>>;
}

export function roleAtLeast(role: Role | null, needed: Role): boolean {
  return role !== null && RANK[role] >= RANK[needed];
}

export class Access {
  private roles: Promise<Map<number, Role>> | undefined;

  constructor(
    readonly principal: Principal,
    private readonly lookup: AccessLookup,
  ) {}

  /** Global admins (and the local user when authentication is off) may do anything. */
  get isAdmin(): boolean {
    return this.principal.kind === 'local' || this.principal.isAdmin;
  }

  /** The name written to audit events and run.user. */
  get actor(): string | null {
    return this.principal.name;
  }

  /** Who the audit log names: the token's user, or "local[:name]" when authentication is off. */
  get auditName(): string {
    if (this.principal.kind === 'user') return this.principal.name;
    return this.principal.name ? `${LOCAL_ACTOR}:${this.principal.name}` : LOCAL_ACTOR;
  }

  get userId(): number | null {
    return this.principal.kind === 'user' ? this.principal.userId : null;
  }

  private rolesMap(): Promise<Map<number, Role>> {
    if (this.principal.kind !== 'user') return Promise.resolve(new Map());
    return (this.roles ??= this.lookup.rolesOf(this.principal.userId));
  }

  async roleIn(projectId: number): Promise<Role | null> {
    if (this.isAdmin) return 'ADMIN';
    return (await this.rolesMap()).get(projectId) ?? null;
  }

  async canRead(projectId: number): Promise<boolean> {
    return (await this.roleIn(projectId)) !== null;
  }

  /** Project ids this caller may see; null means all of them. */
  async visibleProjectIds(): Promise<number[] | null> {
    if (this.isAdmin) return null;
    return [...(await this.rolesMap()).keys()];
  }

  /** Project ids where this caller holds at least `role`; null means all of them. */
  async projectIdsWithRole(role: Role): Promise<number[] | null> {
    if (this.isAdmin) return null;
    return [...(await this.rolesMap())].flatMap(([id, held]) => (roleAtLeast(held, role) ? [id] : []));
  }

  /** Keeps the rows whose project the caller may see, in order. */
  async filterVisible<T>(rows: T[], projectOf: (row: T) => number): Promise<T[]> {
    if (this.isAdmin) return rows;
    const roles = await this.rolesMap();
    return rows.filter((row) => roles.has(projectOf(row)));
  }

  /**
   * The one authorization check. `projectId` null means the target does not exist.
   * Missing or invisible: NOT_FOUND; visible without the role: FORBIDDEN.
   */
  async authorize(projectId: number | null, needed: Role, kind: string, id: string | number): Promise<void> {
    if (projectId === null) throw new NotFoundError(kind, id);
    const role = await this.roleIn(projectId);
    if (role === null) throw new NotFoundError(kind, id);
    if (!roleAtLeast(role, needed)) {
      throw new ForbiddenError(`${kind} ${JSON.stringify(String(id))}: needs the ${needed} role in its project; you are ${role}`, {
        kind,
        id: String(id),
        needed,
        role,
      });
    }
  }

  requireAdmin(what: string): void {
    if (!this.isAdmin) throw new ForbiddenError(`${what}: only a global admin may do this`, { needed: 'GLOBAL_ADMIN' });
  }

  /** Operations that need a real user behind them (e.g. owning a token). */
  requireUser(what: string): Extract<Principal, { kind: 'user' }> {
    if (this.principal.kind !== 'user') throw new UnauthenticatedError(`${what}: needs an API token (Authorization: Bearer ...)`);
    return this.principal;
  }
}

/**
 * The operator of a deployment acting on its own database from a command line (seeds, replays,
 * benchmarks): a global admin, as the local user is. Never built from a request.
 */
export function operatorAccess(name: string | null = null): Access {
  return new Access({ kind: 'local', name }, { rolesOf: async () => new Map() });
}
