// The rules of an alias move's input: alias names, reasons, overrides, and when a move may be dated.
import { ConflictError, ForbiddenError, ValidationError } from '../../errors.js';
import type { RegisteredModel } from '../../generated/prisma/client.js';
import { requireMaxLength } from '../../validation.js';
import type { Access } from '../auth/access.js';
import { isGlobalAdmin } from '../auth/policy.js';
import type { Tx } from './alias-writes.js';
import type { MoveInput } from './aliases.js';

const ALIAS_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;
const REASON_MAX = 2000;

export function requireAlias(field: string, alias: string): string {
  if (alias.length === 0 || alias.length > 100 || !ALIAS_PATTERN.test(alias)) {
    throw new ValidationError(
      field,
      `must start with a letter and use only letters, digits, '_' and '-' (at most 100), e.g. "production"; got ${JSON.stringify(alias.slice(0, 100))}`,
    );
  }
  return alias;
}

export function optionalReason(field: string, reason: string | null | undefined): string | null {
  const trimmed = reason?.trim() ?? '';
  return trimmed ? requireMaxLength(field, trimmed, REASON_MAX) : null;
}

export function overrideOf(override: { reason: string } | null | undefined): { reason: string } | null {
  if (!override) return null;
  const reason = optionalReason('input.override.reason', override.reason);
  if (!reason) throw new ValidationError('input.override.reason', 'an override must say why');
  return { reason };
}

/** Checks who may date a move (global admins, importing history) and that it is not in the future, before anything is read. */
export function requestedEffectiveAt(caller: Access, input: MoveInput): Date | null {
  if (input.effectiveAt == null) return null;
  if (!isGlobalAdmin(caller)) {
    throw new ForbiddenError('input.effectiveAt: only a global admin may date an alias change (history imports); leave it out to record the change as of now', {
      field: 'input.effectiveAt',
      needed: 'GLOBAL_ADMIN',
    });
  }
  if (input.effectiveAt.getTime() > Date.now()) throw new ValidationError('input.effectiveAt', 'must not be in the future');
  return input.effectiveAt;
}

/**
 * The instant a move takes effect: now, or the requested one, which may not come before the
 * alias's latest change, so history (imported oldest first) stays one line in time.
 */
export async function effectiveTime(tx: Tx, model: RegisteredModel, alias: string, requested: Date | null, recordedAt: Date): Promise<Date> {
  if (requested === null) return recordedAt;
  const last = await tx.modelAliasEvent.findFirst({ where: { modelId: model.id, alias }, orderBy: [{ effectiveAt: 'desc' }, { id: 'desc' }] });
  if (last && requested < last.effectiveAt) {
    throw new ConflictError(
      `input.effectiveAt: ${JSON.stringify(alias)} of ${model.name} last changed at ${last.effectiveAt.toISOString()}; a change cannot take effect before it (import history oldest first)`,
      { field: 'input.effectiveAt', latestEffectiveAt: last.effectiveAt.toISOString() },
    );
  }
  return requested;
}
