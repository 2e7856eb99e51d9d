// Rules every value from outside obeys, whichever door it came through: text PostgreSQL can hold
// (no NUL, no lone UTF-16 surrogate), JSON nested at most MAX_JSON_DEPTH levels, and instants
// both JavaScript and PostgreSQL hold. The limits are schema/input-rules.json's (text, json,
// instant), the spec the Python client checks too. Each refusal names the field (a JSON path) and the rule.
import { ValidationError } from './errors.js';
import { INPUT_RULES } from './input-spec.js';

/** Nesting allowed inside a JSON value: ample for configs, schemas and facets, far from any stack limit. */
export const MAX_JSON_DEPTH = INPUT_RULES.json.maxDepth;

/** The instants stored: PostgreSQL has no year 0, and ISO-8601 as exchanged stops at year 9999. */
export const FIRST_INSTANT_MS = Date.parse(INPUT_RULES.instant.min);
export const LAST_INSTANT_MS = Date.parse(INPUT_RULES.instant.max);

export type InputRule = 'nul' | 'surrogate' | 'depth' | 'timeRange';

const TEXT_RULES = {
  nul: 'must not contain the NUL character (U+0000)',
  surrogate: 'must not contain a lone UTF-16 surrogate (such as \\ud800): send well-formed Unicode',
} as const;

export interface InputProblem {
  /** Where, as a JSON path (`tags[0].value`); '' for the value itself. */
  field: string;
  rule: InputRule;
  message: string;
}

// String.prototype.isWellFormed (Node 20+; not in TypeScript's ES2023 lib): false when a
// surrogate half has no partner. PostgreSQL cannot store one, and the pg driver would silently
// turn it into U+FFFD.
const isWellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

const FORBID_NUL = INPUT_RULES.text.forbidNul;
const FORBID_SURROGATES = INPUT_RULES.text.forbidLoneSurrogates;

/** The text rule `s` breaks, or null. */
export function textRuleBroken(s: string): 'nul' | 'surrogate' | null {
  if (FORBID_NUL && s.includes('\u0000')) return 'nul';
  if (FORBID_SURROGATES && !isWellFormed(s)) return 'surrogate';
  return null;
}

/** The text rule `s` breaks at `field`, or null. */
export function textProblem(field: string, s: string): InputProblem | null {
  const rule = textRuleBroken(s);
  return rule ? { field, rule, message: TEXT_RULES[rule] } : null;
}

export function inputError(problem: InputProblem, fallbackField = 'body'): ValidationError {
  return new ValidationError(problem.field || fallbackField, problem.message, { rule: problem.rule });
}

/** `value`, when it is text PostgreSQL can hold; otherwise a ValidationError naming `field`. */
export function requireText(field: string, value: string): string {
  const rule = textRuleBroken(value);
  if (rule) throw new ValidationError(field, TEXT_RULES[rule], { rule });
  return value;
}

/** A path step as a reader would write it: `.name` for plain keys, `["odd key"]` for the rest. */
export function pathStep(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

/** Whether a JSON value breaks a rule, without building any path: the common case, kept cheap. */
function breaksARule(value: unknown, textOnlyBeyond: number | undefined): boolean {
  const stack: unknown[] = [value];
  const depths: number[] = [0];
  while (stack.length) {
    const item = stack.pop();
    const depth = depths.pop()!;
    if (typeof item === 'string') {
      if (textRuleBroken(item)) return true;
      continue;
    }
    if (item === null || typeof item !== 'object') continue;
    if (textOnlyBeyond !== undefined) {
      if (depth > textOnlyBeyond) continue;
    } else if (depth >= MAX_JSON_DEPTH) return true;
    if (Array.isArray(item)) {
      for (const child of item) {
        stack.push(child);
        depths.push(depth + 1);
      }
      continue;
    }
    for (const key in item) {
      if (textRuleBroken(key)) return true;
      stack.push((item as Record<string, unknown>)[key]);
      depths.push(depth + 1);
    }
  }
  return false;
}

/**
 * The first rule a JSON value breaks, with its path under `root`: NUL or a lone surrogate in a
 * string or key, or nesting deeper than MAX_JSON_DEPTH. Walks with an explicit stack, so a value
 * nested 100,000 levels costs no call stack; paths are built only once a value is known to
 * break a rule. `textOnlyBeyond` checks text only, down to that depth, leaving depth to a later
 * check (GraphQL variables, whose JSON scalar refuses deep values itself, naming the rule).
 */
export function jsonProblem(value: unknown, root = '', options: { textOnlyBeyond?: number } = {}): InputProblem | null {
  if (!breaksARule(value, options.textOnlyBeyond)) return null;
  const stack: [unknown, string, number][] = [[value, root, 0]];
  while (stack.length) {
    const [item, path, depth] = stack.pop()!;
    if (typeof item === 'string') {
      const rule = textRuleBroken(item);
      if (rule) return { field: path, rule, message: TEXT_RULES[rule] };
      continue;
    }
    if (item === null || typeof item !== 'object') continue;
    if (options.textOnlyBeyond !== undefined) {
      if (depth > options.textOnlyBeyond) continue;
    } else if (depth >= MAX_JSON_DEPTH) return { field: path, rule: 'depth', message: `must not nest more than ${MAX_JSON_DEPTH} levels of objects and lists` };
    if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i -= 1) stack.push([item[i], pathStep(path, i), depth + 1]);
      continue;
    }
    const entries = Object.entries(item);
    for (let i = entries.length - 1; i >= 0; i -= 1) {
      const [key, child] = entries[i]!;
      const rule = textRuleBroken(key);
      if (rule) return { field: pathStep(path, key), rule, message: `keys ${TEXT_RULES[rule]}` };
      stack.push([child, pathStep(path, key), depth + 1]);
    }
  }
  return null;
}

/** Throws the first problem of a JSON value as a ValidationError. */
export function requireJson<T>(value: T, root = ''): T {
  const problem = jsonProblem(value, root);
  if (problem) throw inputError(problem);
  return value;
}

const INSTANT_RANGE = `${new Date(FIRST_INSTANT_MS).toISOString().replace('.000Z', 'Z')} and ${new Date(LAST_INSTANT_MS).toISOString()}`;

/** Why `ms` (milliseconds since 1970) is not an instant that can be stored, or null. */
export function instantProblem(ms: number): string | null {
  if (Number.isNaN(ms) || ms < FIRST_INSTANT_MS || ms > LAST_INSTANT_MS) return `must be between ${INSTANT_RANGE}`;
  return null;
}

/** `date`, when it can be stored; otherwise a ValidationError naming `field`. */
export function requireInstant(field: string, date: Date): Date {
  const problem = instantProblem(date.getTime());
  if (problem)
    throw new ValidationError(field, `${problem} (got ${Number.isNaN(date.getTime()) ? 'an invalid date' : date.getTime()} ms)`, { rule: 'timeRange' });
  return date;
}
