// Conjunctive conditions: the filter grammar MLflow uses for experiments, registered models,
// model versions and logged models (`name LIKE 'churn%' AND tags.team = "recs"`), read with the
// run filter's tokenizer so keys, quoting and error positions work the same. Each entity gives
// a spec of what it may be filtered on; compile.ts turns the result into parameterised SQL.
import type { ValidationError } from '../../errors.js';
import { type Token, showToken, syntaxError, tokenize } from '../runs/filter/tokenize.js';
import { endsWithLoneBackslash, LONE_BACKSLASH_RULE } from './like.js';

export type ConditionKind = 'attribute' | 'tag' | 'param' | 'metric';
export type ConditionOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

export interface Condition {
  kind: ConditionKind;
  key: string;
  op: ConditionOp;
  value: string | number | string[];
}

export interface ConditionSpec {
  /** What is filtered, for messages: "experiments", "registered models", ... */
  what: string;
  /** Attributes by name: string ones compare as text (IN only where `lists` names them), number ones as numbers. */
  attributes: Record<string, 'string' | 'number'>;
  /** Other spellings of attribute names, e.g. creation_time for creation_timestamp. */
  aliases?: Record<string, string>;
  /** String attributes that take IN and NOT IN. */
  lists?: readonly string[];
  /** The key kinds besides attributes this entity has. */
  kinds: readonly Exclude<ConditionKind, 'attribute'>[];
}

const PREFIXES: Record<string, ConditionKind> = {
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  tag: 'tag',
  tags: 'tag',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  metric: 'metric',
  metrics: 'metric',
};

const STRING_OPS: readonly ConditionOp[] = ['=', '!=', 'LIKE', 'ILIKE'];
const NUMBER_OPS: readonly ConditionOp[] = ['=', '!=', '<', '<=', '>', '>='];
export const MAX_CONDITIONS = 50;
const MAX_LIST = 1000;

class Reader {
  private at = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly field: string,
  ) {}
  peek(): Token {
    return this.tokens[this.at]!;
  }
  next(): Token {
    return this.tokens[this.at++]!;
  }
  error(message: string, token: Token): ValidationError {
    return syntaxError(this.field, message, token.start + 1, token.text || null);
  }
  unexpected(token: Token, expected: string): ValidationError {
    const got = token.kind === 'eof' ? 'the end of the filter' : showToken(token.text);
    return this.error(`expected ${expected} at column ${token.start + 1}, got ${got}`, token);
  }
}

function identifier(r: Reader, spec: ConditionSpec): { kind: ConditionKind; key: string } {
  const token = r.next();
  if (token.kind !== 'word') throw r.unexpected(token, `a field such as name, tags.<key> or attributes.<name> (${spec.what})`);
  const dot = token.text.indexOf('.');
  const prefix = dot > 0 ? PREFIXES[token.text.slice(0, dot).toLowerCase()] : undefined;
  if (prefix && prefix !== 'attribute' && !spec.kinds.includes(prefix)) {
    throw r.error(`${spec.what} have no ${prefix}s to filter on (column ${token.start + 1}); use ${describeFields(spec)}`, token);
  }
  const key = token.quotedName ?? (prefix ? token.text.slice(dot + 1) : token.text);
  if (key === '') throw r.unexpected(token, 'a key after the prefix');
  if (prefix && prefix !== 'attribute') return { kind: prefix, key };
  const name = spec.aliases?.[key] ?? key;
  if (!(name in spec.attributes)) {
    throw r.error(`${showToken(key)} at column ${token.start + 1} is not an attribute of ${spec.what}; use ${describeFields(spec)}`, token);
  }
  return { kind: 'attribute', key: name };
}

function describeFields(spec: ConditionSpec): string {
  return [...Object.keys(spec.attributes), ...spec.kinds.map((k) => `${k}s.<key>`)].join(', ');
}

function operator(r: Reader): ConditionOp {
  const token = r.next();
  if (token.kind === 'op') return token.op;
  if (token.kind === 'word') {
    const word = token.text.toUpperCase();
    if (word === 'LIKE' || word === 'ILIKE' || word === 'IN') return word;
    if (word === 'NOT' && r.peek().kind === 'word' && r.peek().text.toUpperCase() === 'IN') {
      r.next();
      return 'NOT IN';
    }
  }
  throw r.unexpected(token, 'a comparison (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN)');
}

function list(r: Reader): string[] {
  const open = r.next();
  if (open.kind !== 'lparen') throw r.unexpected(open, "a parenthesised list of quoted strings, e.g. ('a', 'b')");
  const values: string[] = [];
  for (;;) {
    const item = r.next();
    if (item.kind !== 'string') throw r.unexpected(item, 'a quoted string');
    if (values.length === MAX_LIST) throw r.error(`an IN list holds at most ${MAX_LIST} values`, item);
    values.push(item.value);
    const sep = r.next();
    if (sep.kind === 'rparen') return values;
    if (sep.kind !== 'comma') throw r.unexpected(sep, "',' or ')'");
  }
}

function condition(r: Reader, spec: ConditionSpec): Condition {
  const start = r.peek();
  const { kind, key } = identifier(r, spec);
  const opToken = r.peek();
  const op = operator(r);
  const numeric = kind === 'metric' || (kind === 'attribute' && spec.attributes[key] === 'number');
  const allowed = numeric ? NUMBER_OPS : kind === 'attribute' && spec.lists?.includes(key) ? [...STRING_OPS, 'IN', 'NOT IN'] : STRING_OPS;
  if (!allowed.includes(op)) {
    throw r.error(`${showToken(start.text)} takes ${allowed.join(', ')}; got ${op} at column ${opToken.start + 1}`, opToken);
  }
  if (op === 'IN' || op === 'NOT IN') return { kind, key, op, value: list(r) };
  const token = r.next();
  if (numeric) {
    if (token.kind === 'number') return { kind, key, op, value: token.value };
    if (token.kind === 'string' && token.value.trim() !== '' && Number.isFinite(Number(token.value))) return { kind, key, op, value: Number(token.value) };
    throw r.unexpected(token, `a number for ${showToken(start.text)}`);
  }
  if (token.kind !== 'string') throw r.unexpected(token, `a quoted string for ${showToken(start.text)}`);
  // PostgreSQL refuses such a pattern with an error; say so here, as the run filter does.
  if ((op === 'LIKE' || op === 'ILIKE') && endsWithLoneBackslash(token.value)) throw r.error(`the ${op} pattern ${LONE_BACKSLASH_RULE}`, token);
  return { kind, key, op, value: token.value };
}

/** The conditions of a filter (none for an empty one), all of which must hold. */
export function parseConditions(filter: string | null | undefined, spec: ConditionSpec, field = 'filter'): Condition[] {
  if (!filter?.trim()) return [];
  const r = new Reader(tokenize(filter, field), field);
  const out: Condition[] = [];
  for (;;) {
    if (out.length === MAX_CONDITIONS) throw r.error(`has more than ${MAX_CONDITIONS} conditions`, r.peek());
    out.push(condition(r, spec));
    const next = r.next();
    if (next.kind === 'eof') return out;
    if (next.kind !== 'word' || next.text.toUpperCase() !== 'AND') {
      throw r.unexpected(next, `AND or the end of the filter (${spec.what} filters join conditions with AND only)`);
    }
  }
}
