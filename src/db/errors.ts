// Recognises database errors by meaning, whichever adapter raised them.

/** True for a unique-constraint violation from Prisma (P2002) or raw SQL (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.code === 'P2002' || e.code === '23505') return true;
  return e.cause !== undefined && e.cause !== error && isUniqueViolation(e.cause);
}

/**
 * Get-or-create that is safe against a concurrent creator: finds, else creates, and when the
 * create loses a race on a unique key, finds the winner's row instead.
 */
export async function findOrCreate<T>(find: () => Promise<T | null>, create: () => Promise<T>): Promise<{ value: T; created: boolean }> {
  const existing = await find();
  if (existing) return { value: existing, created: false };
  try {
    return { value: await create(), created: true };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const raced = await find();
    if (raced) return { value: raced, created: false };
    throw error;
  }
}
