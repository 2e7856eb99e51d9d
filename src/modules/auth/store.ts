// SQL of authentication: tokens by hash, their last use, whether one may still read a project, and a user's roles.
import type { SqlQueryable } from '../../db/sql.js';
import type { Role } from './access.js';

export interface TokenRow {
  token_id: number;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  user_id: number;
  name: string;
  is_admin: boolean;
}

export async function tokenByHash(sql: SqlQueryable, hash: string): Promise<TokenRow | null> {
  const [row] = await sql.query<TokenRow>(
    `SELECT t.id AS token_id, t.expires_at, t.revoked_at, t.last_used_at, u.id AS user_id, u.name, u.is_admin
       FROM api_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.token_hash = $1`,
    [hash],
  );
  return row ?? null;
}

/** Records a use, at most once a minute a token (a write per request would serialize them). */
export async function touchToken(sql: SqlQueryable, tokenId: number): Promise<void> {
  await sql.query(
    `UPDATE api_tokens SET last_used_at = now()
      WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')`,
    [tokenId],
  );
}

/** The token's revocation and expiry, its user's admin flag, and whether that user holds a role in the project. */
export async function tokenStanding(sql: SqlQueryable, tokenId: number, projectId: number) {
  const [row] = await sql.query<{ revoked_at: Date | null; expires_at: Date | null; is_admin: boolean; has_role: boolean }>(
    `SELECT t.revoked_at, t.expires_at, u.is_admin,
            EXISTS (SELECT 1 FROM project_roles r WHERE r.user_id = u.id AND r.project_id = $2) AS has_role
       FROM api_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.id = $1`,
    [tokenId, projectId],
  );
  return row ?? null;
}

export async function rolesOfUser(sql: SqlQueryable, userId: number): Promise<Map<number, Role>> {
  const rows = await sql.query<{ project_id: number; role: Role }>('SELECT project_id, role::text AS role FROM project_roles WHERE user_id = $1', [userId]);
  return new Map(rows.map((r) => [r.project_id, r.role]));
}
