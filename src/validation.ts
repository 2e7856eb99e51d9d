// The services' input rules (keys, display names, limits), read from schema/input-rules.json (the spec the Python client ships too). Each check throws a ValidationError naming the field.
import { ValidationError } from './errors.js';
import { INPUT_RULES } from './input-spec.js';

export { INPUT_RULES, INPUT_RULES_PATH } from './input-spec.js';

export const KEY_PATTERN = new RegExp(INPUT_RULES.key.pattern, 'u');
/** One character an unquoted key may hold: the key pattern's class without the space (the filter tokenizer reads keys with it; a space ends one there). */
export const KEY_CHAR = new RegExp(INPUT_RULES.key.pattern.replace(/^\^/, '').replace(/\+\$$/, '').replace(' ', ''), 'u');
const CONTROL = new RegExp(`[${INPUT_RULES.displayName.forbiddenCategories.map((c) => `\\p{${c}}`).join('')}]`, 'u');
export const LIMITS = INPUT_RULES.limits;

/** The key rule in words, for API descriptions: made from the spec, so it cannot drift from the check. */
export const KEY_RULE_TEXT = [
  `Unicode letters, digits and marks, ${[...INPUT_RULES.key.characters].filter((c) => c !== ' ').join(' ')} and spaces; at most ${INPUT_RULES.key.maxLength} characters`,
  ...(INPUT_RULES.key.noLeadingSlash ? ["not starting with '/'"] : []),
  ...INPUT_RULES.key.forbiddenSegments.map((s) => `no '${s}' segment`),
]
  .join(', ')
  .concat('.');

/** Length as people count it (code points), the unit the spec uses on both sides. */
function lengthOf(value: string): number {
  let n = 0;
  for (const _ of value) n += 1;
  return n;
}

/** Names shown to people: trimmed, not empty, at most `max` characters, no control characters. */
export function requireName(field: string, value: string, max: number = LIMITS.nameLength): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw new ValidationError(field, 'must not be empty');
  const length = lengthOf(trimmed);
  if (length > max) throw new ValidationError(field, `must be at most ${max} characters (got ${length})`);
  const bad = CONTROL.exec(trimmed);
  if (bad) throw new ValidationError(field, `must not contain control characters (found ${codePoint(bad[0])})`);
  return trimmed;
}

/** Why a key breaks the key rule, or null when it keeps it; `max` is tighter for some keys (dataset roles). */
export function keyProblem(value: string, max: number = INPUT_RULES.key.maxLength): string | null {
  if (value.length === 0) return 'must not be empty';
  const length = lengthOf(value);
  if (length > max) return `must be at most ${max} characters (got ${length})`;
  if (!KEY_PATTERN.test(value)) {
    const bad = [...value].find((ch) => !KEY_PATTERN.test(ch)) ?? '';
    return `${JSON.stringify(value)} contains ${JSON.stringify(bad)} (${codePoint(bad)}); keys may only use letters, digits, marks, '_', '.', '-', '/', ':' and spaces`;
  }
  if (INPUT_RULES.key.noLeadingSlash && value.startsWith('/')) return `${JSON.stringify(value)} must not start with '/'`;
  const segment = value.split('/').find((s) => INPUT_RULES.key.forbiddenSegments.includes(s));
  if (segment !== undefined) return `${JSON.stringify(value)} must not contain a ${JSON.stringify(segment)} path segment`;
  return null;
}

/** Names that appear in filters (metric, param and tag keys, project names). */
export function requireKey(field: string, value: string): string {
  const problem = keyProblem(value);
  if (problem) throw new ValidationError(field, problem);
  return value;
}

function codePoint(ch: string): string {
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Free text (param and tag values, notes) of at most `max` characters, counted as the spec counts them (code points). */
export function requireMaxLength(field: string, value: string, max: number): string {
  if (value.length <= max) return value; // code points never outnumber UTF-16 units
  const length = lengthOf(value);
  if (length > max) throw new ValidationError(field, `must be at most ${max} characters (got ${length})`);
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
