// Who may manage a webhook subscription: a project's belongs to that project's ADMINs; a global one
// (no project, every project's events) to global admins alone. Others get NOT_FOUND, as if it did not exist.
import { NotFoundError } from '../../errors.js';
import { type Access, isGlobalAdmin, projectPolicy } from '../auth/policy.js';

type Scoped = { projectId: number | null };

const projectWebhooks = projectPolicy<{ projectId: number }>('WebhookSubscription', (s) => s.projectId);

/** The subscription (null: missing) when the caller manages it; NOT_FOUND otherwise. */
export async function requireManaged<T extends Scoped>(caller: Access, row: T | null, id: number): Promise<T> {
  if (!row) throw new NotFoundError('WebhookSubscription', id);
  if (row.projectId === null) {
    if (!isGlobalAdmin(caller)) throw new NotFoundError('WebhookSubscription', id);
    return row;
  }
  return projectWebhooks.require(caller, row as T & { projectId: number }, 'ADMIN', id);
}

/** The subscriptions the caller manages, in their order (a role other than ADMIN sees none of a project's). */
export async function managed<T extends Scoped>(caller: Access, rows: readonly T[]): Promise<T[]> {
  if (isGlobalAdmin(caller)) return [...rows];
  const kept: T[] = [];
  for (const row of rows) {
    if (row.projectId !== null && (await caller.roleIn(row.projectId)) === 'ADMIN') kept.push(row);
  }
  return kept;
}
