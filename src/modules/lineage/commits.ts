// Finding a code commit the way people write one: the full sha, or the abbreviation git prints.
import { ValidationError } from '../../errors.js';
import type { CodeCommit, PrismaClient } from '../../generated/prisma/client.js';

/** Git abbreviates to 7 characters; shorter prefixes match too much to be useful. */
export const MIN_COMMIT_PREFIX = 7;

/**
 * The commit of `repository` whose sha is `commit`, else the only one that starts with it
 * (7+ characters). Null when none does; BAD_USER_INPUT when the prefix is too short or several
 * commits start with it.
 */
export async function findCommit(prisma: PrismaClient, repository: string, commit: string, projectIds: readonly number[] | null): Promise<CodeCommit | null> {
  const sha = commit.trim().toLowerCase();
  if (!/^[0-9a-f]{1,64}$/.test(sha))
    throw new ValidationError('commit', `must be a hex commit sha or a prefix of one; got ${JSON.stringify(commit.slice(0, 80))}`);
  // Only commits a visible run used exist for the caller: neither a match nor a count may
  // reveal another project's commits.
  const visible = projectIds === null ? {} : { runs: { some: { run: { projectId: { in: [...projectIds] } } } } };
  const exact = await prisma.codeCommit.findFirst({ where: { repository, commit: sha, ...visible } });
  if (exact) return exact;
  if (sha.length < MIN_COMMIT_PREFIX) {
    throw new ValidationError('commit', `a prefix needs at least ${MIN_COMMIT_PREFIX} characters (got ${sha.length}); give more of the sha`);
  }
  const where = { repository, commit: { startsWith: sha }, ...visible };
  const candidates = await prisma.codeCommit.findMany({ where, take: 2, orderBy: { commit: 'asc' } });
  if (candidates.length < 2) return candidates[0] ?? null;
  const count = await prisma.codeCommit.count({ where });
  throw new ValidationError('commit', `${JSON.stringify(sha)} is ambiguous: ${count} commits of this repository start with it; give more of the sha`, {
    candidates: count,
  });
}
