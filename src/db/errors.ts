// Recognises database errors by meaning, whichever adapter raised them.

/** True for a unique-constraint violation from Prisma (P2002) or raw SQL (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.code === 'P2002' || e.code === '23505') return true;
  return e.cause !== undefined && e.cause !== error && isUniqueViolation(e.cause);
}
