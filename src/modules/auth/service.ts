// Authentication and roles: users, API tokens (hashed, expiring, revocable) and project roles;
// `createAuthService` is the core the HTTP edge authenticates with, `createAccountService` what callers may do.
import type { Database } from '../../db/database.js';
import { NotFoundError, UnauthenticatedError, ValidationError } from '../../errors.js';
import type { ApiToken } from '../../generated/prisma/client.js';
import { requireName } from '../../validation.js';
import type { Project, ProjectService } from '../projects/service.js';
import type { Access, Principal, Role } from './access.js';
import { isGlobalAdmin, requireGlobalAdmin } from './policy.js';
import { rolesOfUser, tokenByHash, tokenStanding, touchToken } from './store.js';
import { generateTokenSecret, hashToken, TOKEN_PREFIX } from './tokens.js';

export type { ApiToken };

// last_used_at is a hint for spotting stale tokens, not an access log: refreshing it at most
// once a minute keeps authentication from costing a write per request.
const LAST_USED_RESOLUTION_MS = 60_000;

export interface CreateTokenInput {
  user: string;
  label?: string | null;
  expiresAt?: Date | null;
  /** Makes the user a global admin (callers check that the creator may grant this). */
  admin?: boolean;
}

export function createAuthService(db: Database) {
  const { prisma } = db;

  async function ensureUser(name: string, admin = false) {
    const clean = requireName('user', name);
    const user = await prisma.user.upsert({ where: { name: clean }, create: { name: clean, isAdmin: admin }, update: admin ? { isAdmin: true } : {} });
    return user;
  }

  return {
    /** Resolves a bearer secret to its user; unknown, expired and revoked tokens all fail alike. */
    async authenticate(secret: string): Promise<Extract<Principal, { kind: 'user' }>> {
      const fail = () => new UnauthenticatedError('the API token is unknown, expired or revoked');
      if (!secret.startsWith(TOKEN_PREFIX) || secret.length > 200) throw fail();
      const row = await tokenByHash(db.sql, hashToken(secret));
      const now = Date.now();
      if (!row || row.revoked_at || (row.expires_at && new Date(row.expires_at).getTime() <= now)) throw fail();
      if (!row.last_used_at || now - new Date(row.last_used_at).getTime() >= LAST_USED_RESOLUTION_MS) {
        await touchToken(db.sql, row.token_id);
      }
      return {
        kind: 'user',
        userId: row.user_id,
        name: row.name,
        isAdmin: row.is_admin,
        tokenId: row.token_id,
        expiresAt: row.expires_at ? new Date(row.expires_at) : null,
      };
    },

    ensureUser,

    /**
     * Whether a token may still read a project: 'token' when it is revoked, expired or gone,
     * 'role' when its user (not a global admin) has no role there any more.
     */
    async accessStatus(tokenId: number, projectId: number): Promise<'ok' | 'token' | 'role'> {
      const row = await tokenStanding(db.sql, tokenId, projectId);
      if (!row || row.revoked_at || (row.expires_at && new Date(row.expires_at).getTime() <= Date.now())) return 'token';
      return row.is_admin || row.has_role ? 'ok' : 'role';
    },

    async userByName(name: string) {
      return prisma.user.findUnique({ where: { name } });
    },

    /** Creates a token; the secret is returned here and never again. */
    async createToken(input: CreateTokenInput): Promise<{ secret: string; token: ApiToken }> {
      if (input.label != null) requireName('input.label', input.label, 200);
      if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw new ValidationError('input.expiresAt', 'must be in the future');
      const user = await ensureUser(input.user, input.admin ?? false);
      const secret = generateTokenSecret();
      const token = await prisma.apiToken.create({
        data: { userId: user.id, tokenHash: hashToken(secret), label: input.label ?? null, expiresAt: input.expiresAt ?? null },
      });
      return { secret, token };
    },

    async tokenById(id: number) {
      return prisma.apiToken.findUnique({ where: { id }, include: { user: true } });
    },

    async tokensOf(userId: number) {
      return prisma.apiToken.findMany({ where: { userId }, orderBy: { id: 'asc' }, include: { user: true } });
    },

    /** Revoking twice keeps the first revocation time. */
    async revokeToken(id: number) {
      const token = await prisma.apiToken.findUnique({ where: { id } });
      if (!token) throw new NotFoundError('ApiToken', id);
      if (token.revokedAt) return prisma.apiToken.findUniqueOrThrow({ where: { id }, include: { user: true } });
      return prisma.apiToken.update({ where: { id }, data: { revokedAt: new Date() }, include: { user: true } });
    },

    async rolesOf(userId: number): Promise<Map<number, Role>> {
      return rolesOfUser(db.sql, userId);
    },

    /** Sets a user's role in a project (creating the user by name); repeating it changes nothing. */
    async grantRole(projectId: number, userName: string, role: Role) {
      const user = await ensureUser(userName);
      await prisma.projectRole.upsert({
        where: { projectId_userId: { projectId, userId: user.id } },
        create: { projectId, userId: user.id, role },
        update: { role },
      });
      return { user: user.name, role };
    },

    async revokeRole(projectId: number, userName: string): Promise<boolean> {
      const user = await prisma.user.findUnique({ where: { name: userName } });
      if (!user) return false;
      const { count } = await prisma.projectRole.deleteMany({ where: { projectId, userId: user.id } });
      return count > 0;
    },

    async membersOf(projectId: number) {
      const rows = await prisma.projectRole.findMany({ where: { projectId }, include: { user: true }, orderBy: { user: { name: 'asc' } } });
      return rows.map((r) => ({ user: r.user.name, role: r.role as Role, grantedAt: r.grantedAt }));
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;

/**
 * Tokens and project roles as a caller manages them: a caller sees and revokes their own tokens
 * (global admins anyone's), creates tokens for themselves (for others, or admin tokens: global
 * admins only), and sets roles where they are ADMIN.
 */
export function createAccountService(auth: AuthService, projects: ProjectService) {
  async function members(project: Project, user: string) {
    const list = await auth.membersOf(project.id);
    return { project: project.name, user, role: list.find((m) => m.user === user)?.role ?? null, members: list };
  }

  return {
    /** Who the server takes the caller to be. */
    viewer(caller: Access) {
      return { name: caller.actor, authenticated: caller.principal.kind === 'user', isAdmin: isGlobalAdmin(caller) };
    },

    /** The caller's role in a project they read (ADMIN for global admins). */
    roleIn(caller: Access, project: Project): Promise<Role | null> {
      return caller.roleIn(project.id);
    },

    /** The caller's tokens; a global admin may name another user. */
    async tokens(caller: Access, userName: string | null) {
      let name = caller.actor;
      if (userName != null && userName !== name) {
        requireGlobalAdmin(caller, 'apiTokens(user)');
        name = userName;
      }
      const user = name ? await auth.userByName(name) : null;
      return user ? auth.tokensOf(user.id) : [];
    },

    /** A token for the caller, or (global admins) for anyone or with admin rights; its secret is returned once. */
    async createToken(caller: Access, input: Omit<CreateTokenInput, 'user'> & { user?: string | null }) {
      const user = input.user ?? caller.actor;
      if (!user) caller.requireUser('createApiToken');
      if (user !== caller.actor || input.admin) requireGlobalAdmin(caller, 'createApiToken for another user or with admin');
      const { secret, token } = await auth.createToken({ ...input, user: user! });
      return { secret, token: { ...token, user: { name: user! } } };
    },

    /** Revokes a token of the caller (global admins: any); someone else's answers NOT_FOUND, so token ids cannot be probed. */
    async revokeToken(caller: Access, tokenId: number, ref: string | number = tokenId) {
      const token = await auth.tokenById(tokenId);
      if (!token || (!isGlobalAdmin(caller) && token.userId !== caller.userId)) throw new NotFoundError('ApiToken', ref);
      return auth.revokeToken(tokenId);
    },

    /** Sets a user's role in a project where the caller is ADMIN. */
    async grantRole(caller: Access, projectName: string, userName: string, role: Role) {
      const project = await projects.require(caller, projectName, 'ADMIN');
      await auth.grantRole(project.id, userName, role);
      return members(project, userName.trim());
    },

    /** Removes a user's role in a project where the caller is ADMIN. */
    async revokeRole(caller: Access, projectName: string, userName: string) {
      const project = await projects.require(caller, projectName, 'ADMIN');
      await auth.revokeRole(project.id, userName);
      return members(project, userName);
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
