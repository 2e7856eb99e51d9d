// The code a run executed: validating what the client reports and recording the shared commit node.
import { ConflictError, ValidationError } from '../../errors.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { requireName } from '../../validation.js';

export interface CodeVersionInput {
  repository: string;
  commit: string;
  branch?: string | null;
  dirty?: boolean | null;
  /** When the commit was made (git's committer date); lets imported history be dated. */
  committedAt?: Date | null;
}

// Clocks disagree; a commit "from the future" by more than this is a bad value, not skew.
const CLOCK_SKEW_MS = 24 * 60 * 60 * 1000;
const EARLIEST_COMMIT = Date.UTC(1970, 0, 1);

/** A git (or other VCS) commit id as runledger records one: 4 to 64 hex digits. */
export const isCommitId = (text: string) => /^[0-9a-fA-F]{4,64}$/.test(text);

export function validateCodeVersion(code: CodeVersionInput): CodeVersionInput {
  requireName('input.codeVersion.repository', code.repository, 1000);
  if (!isCommitId(code.commit)) {
    throw new ValidationError('input.codeVersion.commit', `must be a hex commit id of 4 to 64 characters; got ${JSON.stringify(code.commit)}`);
  }
  if (code.branch != null) requireName('input.codeVersion.branch', code.branch, 1000);
  const time = code.committedAt?.getTime();
  if (time !== undefined && (!Number.isFinite(time) || time < EARLIEST_COMMIT || time > Date.now() + CLOCK_SKEW_MS)) {
    throw new ValidationError('input.codeVersion.committedAt', 'must be an instant between 1970 and now (a day of clock skew allowed)');
  }
  return { ...code, commit: code.commit.toLowerCase() };
}

/**
 * The commit node a run used, created on first report. Its commit time is a fact of the commit:
 * the first report that gives one sets it, and a report of a different one is a conflict.
 */
export async function recordCommit(tx: Prisma.TransactionClient, code: CodeVersionInput): Promise<{ id: number }> {
  const committedAt = code.committedAt ?? null;
  const commit = await tx.codeCommit.upsert({
    where: { repository_commit: { repository: code.repository, commit: code.commit } },
    create: { repository: code.repository, commit: code.commit, committedAt },
    update: {},
  });
  if (committedAt === null || commit.committedAt?.getTime() === committedAt.getTime()) return commit;
  if (commit.committedAt === null) {
    // Only a still-unset time is filled in, so two reports racing cannot both win.
    const { count } = await tx.codeCommit.updateMany({ where: { id: commit.id, committedAt: null }, data: { committedAt } });
    if (count === 1) return commit;
  }
  const recorded = (await tx.codeCommit.findUnique({ where: { id: commit.id } }))!.committedAt!;
  throw new ConflictError(
    `input.codeVersion.committedAt: commit ${code.commit} of ${code.repository} was recorded as committed at ${recorded.toISOString()}, not ${committedAt.toISOString()}`,
    { field: 'input.codeVersion.committedAt' },
  );
}
