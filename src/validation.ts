// Input rules shared by the domains. Each check throws a ValidationError naming the field.
import { ValidationError } from './errors.js';

export const KEY_PATTERN = /^[A-Za-z0-9_.\-/ ]+$/;
export const LIMITS = {
  nameLength: 250,
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  notesLength: 50_000,
  pointsPerBatch: 10_000,
  paramsPerBatch: 1000,
  tagsPerBatch: 1000,
  pageSize: 1000,
  idempotencyKeyLength: 200,
} as const;

export function requireName(field: string, value: string, max: number = LIMITS.nameLength): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw new ValidationError(field, 'must not be empty');
  if (trimmed.length > max) throw new ValidationError(field, `must be at most ${max} characters (got ${trimmed.length})`);
  return trimmed;
}

/** Names that appear in filters (metric, param and tag keys, project names). */
export function requireKey(field: string, value: string): string {
  if (value.length === 0) throw new ValidationError(field, 'must not be empty');
  if (value.length > LIMITS.keyLength) {
    throw new ValidationError(field, `must be at most ${LIMITS.keyLength} characters (got ${value.length})`);
  }
  if (!KEY_PATTERN.test(value)) {
    const bad = [...value].find((ch) => !KEY_PATTERN.test(ch)) ?? '';
    throw new ValidationError(
      field,
      `${JSON.stringify(value)} contains ${JSON.stringify(bad)}; keys may only use letters, digits, '_', '.', '-', '/' and spaces`,
    );
  }
  return value;
}

export function requireMaxLength(field: string, value: string, max: number): string {
  if (value.length > max) throw new ValidationError(field, `must be at most ${max} characters (got ${value.length})`);
  return value;
}

export function requirePageSize(field: string, first: number | null | undefined, fallback: number): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 0 || size > LIMITS.pageSize) {
    throw new ValidationError(field, `must be an integer from 0 to ${LIMITS.pageSize} (got ${size})`);
  }
  return size;
}

/** Connections page forwards only (first/after); the Relay arguments last/before are refused. */
export function requireForwardPaging(args: { last?: number | null; before?: string | null }): void {
  if (args.last != null) throw new ValidationError('last', 'backward paging is not supported; use first and after');
  if (args.before != null) throw new ValidationError('before', 'backward paging is not supported; use first and after');
}
