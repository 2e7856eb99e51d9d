// Lexer for the run filter language. Context-free: the parser decides whether a word is a
// field, a keyword or a special number (NaN, Infinity), so the tokenizer never needs to know.
import { ValidationError } from '../../../errors.js';
import { KEY_CHAR } from '../../../validation.js';

export type OpToken = '=' | '!=' | '<' | '<=' | '>' | '>=';

interface TokenBase {
  /** 0-based offset of the first character; columns in messages are start + 1. */
  start: number;
  end: number;
  /** The source text of the token, quotes included. */
  text: string;
}

export type Token =
  | (TokenBase & { kind: 'word'; quotedName?: string }) // `quotedName` when `prefix.` is followed by `name` or "name"
  | (TokenBase & { kind: 'number'; value: number })
  | (TokenBase & { kind: 'string'; value: string })
  | (TokenBase & { kind: 'op'; op: OpToken })
  | (TokenBase & { kind: 'lparen' | 'rparen' | 'comma' | 'eof' });

export const MAX_FILTER_LENGTH = 10_000;

// Unquoted words hold the characters of keys (see KEY_PATTERN) except the space.
const WORD_CHAR = KEY_CHAR;
// Anchored at lastIndex (sticky); a match only counts as a number when no word character follows.
const NUMBER = /[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const OPERATORS: [string, OpToken][] = [
  ['<=', '<='],
  ['>=', '>='],
  ['!=', '!='],
  ['<>', '!='],
  ['<', '<'],
  ['>', '>'],
  ['=', '='],
];

/** Shortens long tokens so error messages stay readable. */
export function showToken(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text);
}

export function syntaxError(field: string, message: string, column: number, token: string | null): ValidationError {
  return new ValidationError(field, message, { column, token });
}

/** Reads a quoted run starting at `start` (the opening quote); returns the unescaped text and end. */
function readQuoted(source: string, start: number, field: string, what: string): { value: string; end: number } {
  const quote = source[start]!;
  let value = '';
  let i = start + 1;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === quote) {
      // SQL style: a doubled quote stands for one quote character.
      if (source[i + 1] === quote) {
        value += quote;
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    if (ch === '\\' && quote !== '`' && i + 1 < source.length) {
      const next = source[i + 1]!;
      // Other escapes stay verbatim so LIKE patterns keep `\%` and `\_`.
      value += next === "'" || next === '"' || next === '\\' ? next : ch + next;
      i += 2;
      continue;
    }
    value += ch;
    i += 1;
  }
  throw syntaxError(field, `unterminated ${what} starting at column ${start + 1}`, start + 1, source.slice(start));
}

/** Whether the character (code point) at `i` may be part of an unquoted word. */
function isWordAt(source: string, i: number): boolean {
  const cp = source.codePointAt(i);
  return cp !== undefined && WORD_CHAR.test(String.fromCodePoint(cp));
}

export function tokenize(source: string, field = 'filter'): Token[] {
  if (source.length > MAX_FILTER_LENGTH) {
    throw syntaxError(field, `is too long (${source.length} characters; the limit is ${MAX_FILTER_LENGTH})`, MAX_FILTER_LENGTH + 1, null);
  }
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    const start = i;
    if (ch === '(' || ch === ')' || ch === ',') {
      const kind = ch === '(' ? 'lparen' : ch === ')' ? 'rparen' : 'comma';
      tokens.push({ kind, start, end: i + 1, text: ch });
      i += 1;
      continue;
    }
    const op = OPERATORS.find(([text]) => source.startsWith(text, i));
    if (op) {
      i += op[0].length;
      tokens.push({ kind: 'op', op: op[1], start, end: i, text: op[0] });
      continue;
    }
    if (ch === "'" || ch === '"') {
      const { value, end } = readQuoted(source, i, field, 'string');
      tokens.push({ kind: 'string', value, start, end, text: source.slice(start, end) });
      i = end;
      continue;
    }
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(source);
    if (number && !isWordAt(source, i + number[0].length)) {
      i += number[0].length;
      tokens.push({ kind: 'number', value: Number(number[0]), start, end: i, text: number[0] });
      continue;
    }
    if (isWordAt(source, i)) {
      while (i < source.length && isWordAt(source, i)) i += source.codePointAt(i)! > 0xffff ? 2 : 1;
      const next = source[i];
      if (source[i - 1] === '.' && (next === '`' || next === '"')) {
        const quoted = readQuoted(source, i, field, 'quoted name');
        i = quoted.end;
        tokens.push({ kind: 'word', quotedName: quoted.value, start, end: i, text: source.slice(start, i) });
      } else {
        tokens.push({ kind: 'word', start, end: i, text: source.slice(start, i) });
      }
      continue;
    }
    if (ch === '`') {
      throw syntaxError(field, `unexpected quoted name at column ${start + 1}: put the prefix outside the quotes, e.g. metrics.\`val auc\``, start + 1, ch);
    }
    const char = String.fromCodePoint(source.codePointAt(i)!);
    throw syntaxError(field, `unexpected character ${showToken(char)} at column ${start + 1}`, start + 1, char);
  }
  tokens.push({ kind: 'eof', start: source.length, end: source.length, text: '' });
  return tokens;
}
