// Input rules shared by the domains. Each check throws a ValidationError naming the field.
import { ValidationError } from './errors.js';

/**
 * The key rule (metric, param and tag keys, dataset roles; every door): MLflow's, so whatever an
 * MLflow script logs is accepted. Letters, numbers and combining marks of any script, and
 * `_ . / - :` and spaces; at most 250 characters; no leading `/` and no `..` path segment (a key
 * may be used as a file name, and must not resolve to another one). Filters name any such key:
 * in backquotes when it holds a space, e.g. metrics.`val loss`.
 */
export const KEY_PATTERN = /^[\p{L}\p{N}\p{M}_./\- :]+$/u;
/** One character a key may hold (the filter tokenizer reads unquoted keys with it). */
export const KEY_CHAR = /[\p{L}\p{N}\p{M}_./\-:]/u;
/** Control characters, line separators and lone surrogates: what a display name may not hold. */
const UNPRINTABLE = /[\p{Cc}\p{Cs}\u2028\u2029]/u;
export const LIMITS = {
  nameLength: 250,
  /** Project (MLflow experiment) names: MLflow's limit. */
  projectNameLength: 500,
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

/** Why `value` breaks the key rule (see KEY_PATTERN), or null when it is a valid key. */
export function keyProblem(value: string, max: number = LIMITS.keyLength): string | null {
  if (value.length === 0) return 'must not be empty';
  if (value.length > max) return `must be at most ${max} characters (got ${value.length})`;
  if (!KEY_PATTERN.test(value)) {
    const bad = [...value].find((ch) => !KEY_PATTERN.test(ch)) ?? '';
    return `${JSON.stringify(value)} contains ${JSON.stringify(bad)}; keys may only use letters, numbers, '_', '.', '-', '/', ':' and spaces`;
  }
  if (value.startsWith('/')) return `${JSON.stringify(value)} starts with '/'; a key is a relative name`;
  if (value.split('/').includes('..')) return `${JSON.stringify(value)} has a '..' path segment, which would resolve to another name`;
  return null;
}

/** Metric, param and tag keys, dataset roles: the key rule (see KEY_PATTERN). */
export function requireKey(field: string, value: string, max: number = LIMITS.keyLength): string {
  const problem = keyProblem(value, max);
  if (problem) throw new ValidationError(field, problem);
  return value;
}

/**
 * Display names (projects, runs, datasets, models): anything printable, as MLflow accepts for
 * experiment and run names (`churn (v2)`, `/Users/alice@example.com/churn`, `résumé-ranker`).
 * Trimmed; no control characters; at most `max` characters. They are never parsed by a filter.
 */
export function requireDisplayName(field: string, value: string, max: number = LIMITS.nameLength): string {
  const trimmed = requireName(field, value, max);
  const bad = UNPRINTABLE.exec(trimmed);
  if (bad) {
    const code = `U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    throw new ValidationError(field, `must be printable text; it holds the control character ${code} at position ${bad.index + 1}`);
  }
  return trimmed;
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
