// Recursive-descent parser for the run filter language: MLflow's search syntax plus OR, NOT,
// parentheses and IN on every field. Type rules are checked here so compile.ts can trust the tree.
import { type OpToken, showToken, syntaxError, type Token, tokenize } from './tokenize.js';
import { endsWithLoneBackslash, LONE_BACKSLASH_RULE } from '../../search/like.js';

export type FieldKind = 'metric' | 'param' | 'tag' | 'attribute';
export type FieldRef = { kind: FieldKind; name: string };
export type Literal = { kind: 'number'; value: number } | { kind: 'string'; value: string };
export type CompareOp = OpToken;

export type FilterExpr =
  | { type: 'and' | 'or'; items: FilterExpr[] }
  | { type: 'not'; item: FilterExpr }
  | { type: 'compare'; field: FieldRef; op: CompareOp; value: Literal }
  | { type: 'in'; field: FieldRef; negated: boolean; values: Literal[] }
  | { type: 'like'; field: FieldRef; negated: boolean; caseInsensitive: boolean; pattern: string }
  | { type: 'null'; field: FieldRef; negated: boolean };

export const FILTER_LIMITS = { depth: 50, predicates: 200, inValues: 1000 } as const;

export const ATTRIBUTE_NAMES = ['id', 'name', 'status', 'user', 'started_at', 'ended_at', 'duration', 'group', 'notes', 'parent_id'] as const;
export type AttributeName = (typeof ATTRIBUTE_NAMES)[number];

/** How an attribute's values are checked: `id` takes numbers or opaque strings, `time` ms or ISO-8601. */
export type AttributeType = 'id' | 'string' | 'status' | 'time' | 'number';
export const ATTRIBUTE_TYPES: Record<AttributeName, AttributeType> = {
  id: 'id',
  name: 'string',
  status: 'status',
  user: 'string',
  started_at: 'time',
  ended_at: 'time',
  duration: 'number',
  group: 'string',
  notes: 'string',
  parent_id: 'number',
};

const ATTRIBUTE_ALIASES: Record<string, AttributeName> = {
  run_id: 'id',
  run_name: 'name',
  user_id: 'user',
  start_time: 'started_at',
  end_time: 'ended_at',
  run_group: 'group',
};

export const RUN_STATUSES = ['RUNNING', 'FINISHED', 'FAILED', 'KILLED'] as const;

const PREFIXES: Record<string, FieldKind> = {
  metrics: 'metric',
  metric: 'metric',
  params: 'param',
  param: 'param',
  tags: 'tag',
  tag: 'tag',
  attributes: 'attribute',
  attribute: 'attribute',
  attr: 'attribute',
  run: 'attribute',
};

const LABEL_PREFIX: Record<FieldKind, string> = { metric: 'metrics', param: 'params', tag: 'tags', attribute: 'attributes' };
const OPERATOR_LIST = 'a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, ILIKE, IS)';
const FIELD_EXPECTED = 'a field like metrics.<name>, params.<name>, tags.<name> or attributes.<name>';
const VALUE_EXPECTED = 'a number or a quoted string';
const ALLOWED_ATTRIBUTES =
  'id (run_id), name (run_name), status, user (user_id), started_at (start_time), ended_at (end_time), duration, group (run_group), notes, parent_id';

/** The canonical spelling of a field for messages, e.g. metrics.`val auc`. */
export function fieldLabel(field: FieldRef): string {
  const name = /^[\p{L}\p{N}\p{M}_./\-:]+$/u.test(field.name) ? field.name : `\`${field.name}\``;
  return `${LABEL_PREFIX[field.kind]}.${name}`;
}

function isStringField(field: FieldRef): boolean {
  if (field.kind === 'param' || field.kind === 'tag') return true;
  if (field.kind === 'metric') return false;
  const type = ATTRIBUTE_TYPES[field.name as AttributeName];
  return type === 'string' || type === 'status';
}

// Year 1..9999 keeps both PostgreSQL and Date#toISOString on plain four-digit years.
const MIN_TIME_MS = -62135596800000;
const MAX_TIME_MS = 253402300799999;
const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Milliseconds since the epoch for an ISO-8601 date or date-time, or null when invalid. A value
 * without an offset is read as UTC: the server's own time zone means nothing to the caller.
 */
export function parseTimestamp(text: string): number | null {
  const m = ISO_TIMESTAMP.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m as unknown as string[];
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  // Date.parse would roll 2024-02-30 over to March; reject it instead.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  let offset = 'Z';
  if (zone.toUpperCase() !== 'Z') {
    const oh = zone.slice(1, 3);
    const om = zone.slice(3).replace(':', '') || '00';
    if (Number(oh) > 23 || Number(om) > 59 || om.length !== 2) return null;
    offset = `${zone[0]}${oh}:${om}`;
  }
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${(`${frac}000`).slice(0, 3)}${offset}`);
  return Number.isNaN(ms) || ms < MIN_TIME_MS || ms > MAX_TIME_MS ? null : ms;
}

/** Milliseconds since the epoch for a literal the parser accepted on a time attribute. */
export function timestampMillis(literal: Literal): number {
  const ms = literal.kind === 'number' ? literal.value : parseTimestamp(literal.value);
  if (ms === null || !Number.isFinite(ms) || ms < MIN_TIME_MS || ms > MAX_TIME_MS) {
    throw new RangeError(`not a valid timestamp: ${JSON.stringify(literal.value)}`);
  }
  return ms;
}

const column = (token: Token) => token.start + 1;

class Parser {
  private pos = 0;
  private depth = 0;
  private predicates = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly field: string,
    private readonly noun: string,
  ) {}

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    const token = this.tokens[this.pos]!;
    if (token.kind !== 'eof') this.pos += 1;
    return token;
  }

  private isKeyword(token: Token, keyword: string): boolean {
    return token.kind === 'word' && token.quotedName === undefined && token.text.toLowerCase() === keyword;
  }

  private error(message: string, token: Token) {
    return syntaxError(this.field, message, column(token), token.kind === 'eof' ? null : token.text);
  }

  private unexpected(token: Token, expected: string, hint = '') {
    if (token.kind === 'eof') return this.error(`unexpected end of ${this.noun}: expected ${expected}${hint}`, token);
    return this.error(`unexpected token ${showToken(token.text)} at column ${column(token)}: expected ${expected}${hint}`, token);
  }

  private enter(token: Token): void {
    this.depth += 1;
    if (this.depth > FILTER_LIMITS.depth) {
      throw this.error(`nests deeper than ${FILTER_LIMITS.depth} levels at column ${column(token)}`, token);
    }
  }

  parseFilter(): FilterExpr {
    const expr = this.parseOr();
    const token = this.peek();
    if (token.kind === 'rparen') throw this.unexpected(token, 'AND, OR or the end of the filter', ' (this ")" has no matching "(")');
    if (token.kind !== 'eof') throw this.unexpected(token, 'AND, OR or the end of the filter');
    return expr;
  }

  private parseOr(): FilterExpr {
    const items = [this.parseAnd()];
    while (this.isKeyword(this.peek(), 'or')) {
      this.next();
      items.push(this.parseAnd());
    }
    return flatten('or', items);
  }

  private parseAnd(): FilterExpr {
    const items = [this.parseNot()];
    while (this.isKeyword(this.peek(), 'and')) {
      this.next();
      items.push(this.parseNot());
    }
    return flatten('and', items);
  }

  private parseNot(): FilterExpr {
    const token = this.peek();
    if (!this.isKeyword(token, 'not')) return this.parsePrimary();
    this.next();
    this.enter(token);
    const item = this.parseNot();
    this.depth -= 1;
    return { type: 'not', item };
  }

  private parsePrimary(): FilterExpr {
    const token = this.peek();
    if (token.kind !== 'lparen') return this.parsePredicate();
    this.next();
    this.enter(token);
    const expr = this.parseOr();
    const close = this.next();
    if (close.kind !== 'rparen') {
      throw this.unexpected(close, close.kind === 'eof' ? '")"' : 'AND, OR or ")"', ` to close the "(" at column ${column(token)}`);
    }
    this.depth -= 1;
    return expr;
  }

  private parseField(token: Token): FieldRef {
    if (token.kind !== 'word') throw this.unexpected(token, FIELD_EXPECTED);
    const dot = token.text.indexOf('.');
    if (dot <= 0) {
      const attribute = ATTRIBUTE_ALIASES[token.text.toLowerCase()] ?? ATTRIBUTE_NAMES.find((a) => a === token.text.toLowerCase());
      throw this.unexpected(token, FIELD_EXPECTED, attribute ? ` (did you mean attributes.${attribute}?)` : '');
    }
    const prefix = token.text.slice(0, dot);
    const kind = PREFIXES[prefix.toLowerCase()];
    if (!kind) {
      throw this.error(`unknown field prefix ${showToken(prefix)} at column ${column(token)}: use metrics., params., tags. or attributes.`, token);
    }
    const name = token.quotedName ?? token.text.slice(dot + 1);
    if (name.length === 0) throw this.error(`missing name after "${prefix}." at column ${column(token)}`, token);
    if (kind !== 'attribute') return { kind, name };
    const lower = name.toLowerCase();
    const attribute = ATTRIBUTE_ALIASES[lower] ?? ATTRIBUTE_NAMES.find((a) => a === lower);
    if (!attribute) {
      throw this.error(`unknown attribute ${showToken(name)} at column ${column(token)}: use one of ${ALLOWED_ATTRIBUTES}`, token);
    }
    return { kind, name: attribute };
  }

  private parseValue(): { literal: Literal; token: Token } {
    const token = this.next();
    if (token.kind === 'number') return { literal: { kind: 'number', value: token.value }, token };
    if (token.kind === 'string') return { literal: { kind: 'string', value: token.value }, token };
    if (token.kind === 'word' && token.quotedName === undefined) {
      const word = token.text.toLowerCase();
      if (word === 'nan') return { literal: { kind: 'number', value: NaN }, token };
      if (word === 'infinity') return { literal: { kind: 'number', value: Infinity }, token };
      if (word === '-infinity') return { literal: { kind: 'number', value: -Infinity }, token };
      if (word === 'null') throw this.unexpected(token, VALUE_EXPECTED, ' (use IS NULL or IS NOT NULL to test for a missing value)');
    }
    throw this.unexpected(token, VALUE_EXPECTED);
  }

  /** Checks a literal against the field's type; returns it normalised (status upper-cased). */
  private checkValue(field: FieldRef, literal: Literal, token: Token, op: CompareOp | 'in'): Literal {
    const label = fieldLabel(field);
    const at = `at column ${column(token)}`;
    const got = literal.kind === 'number' ? 'a number' : 'a string';
    if (field.kind === 'param' || field.kind === 'tag') return literal;
    if (field.kind === 'metric') {
      if (literal.kind !== 'number') throw this.error(`${label} compares numbers; got a string ${at}`, token);
      return literal;
    }
    const type = ATTRIBUTE_TYPES[field.name as AttributeName];
    if (literal.kind === 'number' && !Number.isFinite(literal.value) && type !== 'string' && type !== 'status') {
      throw this.error(`${label} needs a finite number; got ${token.text} ${at}`, token);
    }
    switch (type) {
      case 'string':
        if (literal.kind !== 'string') throw this.error(`${label} compares strings; got a number ${at}`, token);
        return literal;
      case 'status': {
        const status = literal.kind === 'string' ? literal.value.toUpperCase() : '';
        if (!(RUN_STATUSES as readonly string[]).includes(status)) {
          throw this.error(`invalid status ${showToken(token.text)} ${at}: use one of ${RUN_STATUSES.join(', ')}`, token);
        }
        return { kind: 'string', value: status };
      }
      case 'time':
        if (literal.kind === 'number' ? literal.value < MIN_TIME_MS || literal.value > MAX_TIME_MS : parseTimestamp(literal.value) === null) {
          throw this.error(`invalid timestamp ${showToken(token.text)} ${at}: use milliseconds since the epoch or ISO-8601 like '2024-05-01T12:00:00Z'`, token);
        }
        return literal;
      case 'number':
        if (literal.kind !== 'number') throw this.error(`${label} compares numbers; got ${got} ${at}`, token);
        return literal;
      case 'id':
        if (literal.kind === 'string' && op !== '=' && op !== '!=' && op !== 'in') {
          throw this.error(`${label} needs a number for "${op}"; a quoted id only works with =, != and IN ${at}`, token);
        }
        return literal;
    }
  }

  private parsePredicate(): FilterExpr {
    const fieldToken = this.next();
    const field = this.parseField(fieldToken);
    this.predicates += 1;
    if (this.predicates > FILTER_LIMITS.predicates) {
      throw this.error(`has more than ${FILTER_LIMITS.predicates} conditions; condition ${this.predicates} starts at column ${column(fieldToken)}`, fieldToken);
    }
    let token = this.next();
    if (token.kind === 'op') {
      if (field.kind === 'attribute' && field.name === 'status' && token.op !== '=' && token.op !== '!=') {
        throw this.error(`attributes.status supports =, !=, IN, LIKE, ILIKE and IS; got "${token.text}" at column ${column(token)}`, token);
      }
      const { literal, token: valueToken } = this.parseValue();
      return { type: 'compare', field, op: token.op, value: this.checkValue(field, literal, valueToken, token.op) };
    }
    if (this.isKeyword(token, 'is')) {
      let negated = false;
      if (this.isKeyword(this.peek(), 'not')) {
        this.next();
        negated = true;
      }
      const nullToken = this.next();
      if (!this.isKeyword(nullToken, 'null')) throw this.unexpected(nullToken, negated ? 'NULL' : 'NULL or NOT NULL');
      return { type: 'null', field, negated };
    }
    let negated = false;
    if (this.isKeyword(token, 'not')) {
      negated = true;
      token = this.next();
      if (!['in', 'like', 'ilike'].some((k) => this.isKeyword(token, k))) throw this.unexpected(token, 'IN, LIKE or ILIKE after NOT');
    }
    if (this.isKeyword(token, 'in')) return { type: 'in', field, negated, values: this.parseInList(field) };
    if (this.isKeyword(token, 'like') || this.isKeyword(token, 'ilike')) {
      const keyword = token.text.toUpperCase();
      if (!isStringField(field)) {
        throw this.error(
          `${keyword} at column ${column(token)} needs a text field (params, tags or attributes name, status, user, group, notes); ${fieldLabel(field)} is not one`,
          token,
        );
      }
      const pattern = this.next();
      if (pattern.kind !== 'string') throw this.unexpected(pattern, `a quoted ${keyword} pattern`);
      // Backslash escapes the next character in a pattern, so a pattern cannot end with one.
      if (endsWithLoneBackslash(pattern.value)) throw this.error(`the ${keyword} pattern at column ${column(pattern)} ${LONE_BACKSLASH_RULE}`, pattern);
      return { type: 'like', field, negated, caseInsensitive: keyword === 'ILIKE', pattern: pattern.value };
    }
    throw this.unexpected(token, OPERATOR_LIST);
  }

  private parseInList(field: FieldRef): Literal[] {
    const open = this.next();
    if (open.kind !== 'lparen') throw this.unexpected(open, '"(" to start the IN list');
    if (this.peek().kind === 'rparen') throw this.error(`empty IN list at column ${column(open)}: give at least one value`, open);
    const values: Literal[] = [];
    for (;;) {
      const { literal, token } = this.parseValue();
      if (values.length === FILTER_LIMITS.inValues) {
        throw this.error(`IN list has more than ${FILTER_LIMITS.inValues} values; value ${values.length + 1} is at column ${column(token)}`, token);
      }
      values.push(this.checkValue(field, literal, token, 'in'));
      const sep = this.next();
      if (sep.kind === 'rparen') return values;
      if (sep.kind !== 'comma') throw this.unexpected(sep, '"," or ")" in the IN list');
    }
  }

  parseSingleField(): FieldRef {
    const ref = this.parseField(this.next());
    const token = this.peek();
    if (token.kind !== 'eof') throw this.unexpected(token, 'nothing after the field name');
    return ref;
  }
}

function flatten(type: 'and' | 'or', items: FilterExpr[]): FilterExpr {
  if (items.length === 1) return items[0]!;
  return { type, items: items.flatMap((item) => (item.type === type ? item.items : [item])) };
}

/** Parses a run filter; null when there is nothing to filter on. Throws ValidationError('filter', ...). */
export function parseFilter(text: string): FilterExpr | null {
  const tokens = tokenize(text, 'filter');
  if (tokens[0]!.kind === 'eof') return null;
  return new Parser(tokens, 'filter', 'filter').parseFilter();
}

/** Parses one field name such as `metrics.val_auc` or attributes.start_time (for orderBy and groupBy). */
export function parseFieldRef(text: string, field = 'orderBy'): FieldRef {
  return new Parser(tokenize(text, field), field, 'field name').parseSingleField();
}
