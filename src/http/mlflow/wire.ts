// Reading MLflow request fields as its clients send them: int64 as numbers or strings, doubles
// as numbers or "NaN"/"Infinity"/"-Infinity", repeated query parameters as lists, and the run
// id under either `run_id` or its older name `run_uuid`.
import { LAST_INSTANT_MS, requireText } from '../../input-rules.js';
import { invalidParameter } from './errors.js';

export type Fields = Record<string, unknown>;

const DOUBLE_WORDS: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

export class Params {
  /** `prefix` names where these fields sit in the request (e.g. "metrics[3]."), for error messages. */
  constructor(
    readonly fields: Fields,
    readonly prefix = '',
  ) {}

  /** A GET's query string: a key given more than once becomes a list. */
  static fromQuery(query: URLSearchParams): Params {
    const fields: Fields = {};
    for (const key of new Set(query.keys())) {
      const values = query.getAll(key);
      fields[key] = values.length > 1 ? values : values[0];
    }
    return new Params(fields);
  }

  has(name: string): boolean {
    return this.fields[name] !== undefined && this.fields[name] !== null;
  }

  optionalString(name: string): string | null {
    const value = this.fields[name];
    if (value === undefined || value === null) return null;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw invalidParameter(this.prefix + name, `must be a string (got ${Array.isArray(value) ? 'a list' : typeof value})`);
  }

  string(name: string): string {
    const value = this.optionalString(name);
    if (value === null || value === '') throw invalidParameter(this.prefix + name, 'is required');
    return value;
  }

  /** An int64: a JSON number or a decimal string; null when absent. Must fit a safe integer. */
  optionalInt(name: string): number | null {
    const value = this.fields[name];
    if (value === undefined || value === null || value === '') return null;
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
    if (!Number.isSafeInteger(n)) throw invalidParameter(this.prefix + name, `must be an integer between -(2^53-1) and 2^53-1 (got ${JSON.stringify(value)})`);
    return n;
  }

  int(name: string): number {
    const n = this.optionalInt(name);
    if (n === null) throw invalidParameter(this.prefix + name, 'is required');
    return n;
  }

  /** Milliseconds since the epoch as an instant; null when absent. Must be an instant runledger stores (up to 9999-12-31). */
  optionalTime(name: string): Date | null {
    const ms = this.optionalInt(name);
    if (ms === null) return null;
    if (ms < 0 || ms > LAST_INSTANT_MS)
      throw invalidParameter(this.prefix + name, `must be milliseconds since 1970 between 0 and ${LAST_INSTANT_MS} (9999-12-31T23:59:59.999Z) (got ${ms})`);
    return new Date(ms);
  }

  /** A page token this door issued (base64url of a name), decoded; held to the text rules like any other input. */
  optionalPageToken(name: string): string | null {
    const token = this.optionalString(name);
    return token ? requireText(this.prefix + name, Buffer.from(token, 'base64url').toString('utf8')) : null;
  }

  /** A double: a number, a numeric string, or "NaN", "Infinity", "-Infinity". */
  double(name: string): number {
    return readDouble(this.prefix + name, this.fields[name]);
  }

  optionalBool(name: string): boolean | null {
    const value = this.fields[name];
    if (value === undefined || value === null) return null;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw invalidParameter(this.prefix + name, 'must be true or false');
  }

  /** A repeated field: a JSON list, or one or more query parameters. */
  list(name: string): unknown[] {
    const value = this.fields[name];
    if (value === undefined || value === null) return [];
    return Array.isArray(value) ? value : [value];
  }

  /** A list of objects, each read as Params. */
  objects(name: string): Params[] {
    return this.list(name).map((item, i) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) throw invalidParameter(`${this.prefix}${name}[${i}]`, 'must be an object');
      return new Params(item as Fields, `${this.prefix}${name}[${i}].`);
    });
  }

  strings(name: string): string[] {
    return this.list(name).map((item, i) => {
      if (typeof item !== 'string') throw invalidParameter(`${this.prefix}${name}[${i}]`, 'must be a string');
      return item;
    });
  }

  /** The run a request names: `run_id`, or `run_uuid` as clients before MLflow 1.x sent it. */
  runId(): string {
    const id = this.optionalString('run_id') || this.optionalString('run_uuid');
    if (!id) throw invalidParameter('run_id', 'is required (run_id or run_uuid)');
    return id;
  }
}

export function readDouble(name: string, value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const word = DOUBLE_WORDS[value.trim()];
    if (word !== undefined) return word;
    const n = Number(value);
    if (value.trim() !== '' && !Number.isNaN(n)) return n;
  }
  throw invalidParameter(name, `must be a number, "NaN", "Infinity" or "-Infinity" (got ${JSON.stringify(value)})`);
}

/** A double for the wire: non-finite values as the strings protobuf's JSON uses. */
export function doubleOut(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

export const millis = (date: Date | null | undefined): number | undefined => (date ? date.getTime() : undefined);
