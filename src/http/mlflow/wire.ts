// Reading MLflow request fields as its clients send them: int64 as numbers or strings, doubles
// as numbers or "NaN"/"Infinity"/"-Infinity", repeated query parameters as lists, and the run
// id under either `run_id` or its older name `run_uuid`.
import { LAST_INSTANT_MS, requireText } from '../../input-rules.js';
import { invalidValue, type MlflowError, missingValue } from './errors.js';

export type Fields = Record<string, unknown>;

const DOUBLE_WORDS: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

export class Params {
  /**
   * `prefix` names where these fields sit in the request (e.g. "metrics[3]."), for error
   * messages; `raw` is the request body as sent, so a number is quoted back as written (9.0).
   */
  constructor(
    readonly fields: Fields,
    readonly prefix = '',
    private readonly query = false,
    private readonly raw: string | null = null,
  ) {}

  /** A GET's query string: every value a string, a key given more than once a list. */
  static fromQuery(query: URLSearchParams): Params {
    const fields: Fields = {};
    for (const key of new Set(query.keys())) {
      const values = query.getAll(key);
      fields[key] = values.length > 1 ? values : values[0];
    }
    return new Params(fields, '', true);
  }

  /** A JSON body (the text kept for quoting values back). */
  static fromBody(fields: Fields, raw: string): Params {
    return new Params(fields, '', false, raw);
  }

  has(name: string): boolean {
    return this.fields[name] !== undefined && this.fields[name] !== null;
  }

  /** The refusal of this field's value, quoted as the client wrote it when it is a top-level number. */
  invalid(name: string, rule: string, value: unknown = this.fields[name]): MlflowError {
    let shown: string | undefined;
    if (this.raw && !this.prefix && typeof value === 'number') {
      const quoted = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      shown = new RegExp(`"${quoted}"\\s*:\\s*(-?[0-9][0-9.eE+-]*)`).exec(this.raw)?.[1];
    }
    return invalidValue(this.prefix + name, value, rule, shown);
  }

  missing(name: string): MlflowError {
    return missingValue(this.prefix + name);
  }

  /** A string field (a number or a list is refused, as MLflow's server refuses it). */
  optionalString(name: string): string | null {
    const value = this.fields[name];
    if (value === undefined || value === null) return null;
    if (typeof value === 'string') return value;
    throw this.invalid(name, `must be a string (got ${Array.isArray(value) ? 'a list' : typeof value})`);
  }

  /** A required string: absent, null and "" are missing. */
  string(name: string): string {
    const value = this.optionalString(name);
    if (value === null || value === '') throw this.missing(name);
    return value;
  }

  /** An int64: a JSON number or a decimal string; null when absent. Must fit a safe integer. */
  optionalInt(name: string): number | null {
    const value = this.fields[name];
    if (value === undefined || value === null || value === '') return null;
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
    if (!Number.isSafeInteger(n)) throw this.invalid(name, 'must be an integer between -(2^53-1) and 2^53-1');
    return n;
  }

  int(name: string): number {
    const n = this.optionalInt(name);
    if (n === null) throw this.missing(name);
    return n;
  }

  /** Milliseconds since the epoch as an instant; null when absent. Must be an instant runledger stores (up to 9999-12-31). */
  optionalTime(name: string): Date | null {
    const ms = this.optionalInt(name);
    if (ms === null) return null;
    if (ms < 0 || ms > LAST_INSTANT_MS) throw this.invalid(name, `must be milliseconds since 1970 between 0 and ${LAST_INSTANT_MS} (9999-12-31T23:59:59.999Z)`);
    return new Date(ms);
  }

  /** A page token this door issued (base64url of a name), decoded; held to the text rules like any other input. */
  optionalPageToken(name: string): string | null {
    const token = this.optionalString(name);
    return token ? requireText(this.prefix + name, Buffer.from(token, 'base64url').toString('utf8')) : null;
  }

  /** A double: a number, a numeric string, or "NaN", "Infinity", "-Infinity". */
  double(name: string): number {
    if (!this.has(name)) throw this.missing(name);
    const value = parseDouble(this.fields[name]);
    if (value === null) throw this.invalid(name, 'must be a number, "NaN", "Infinity" or "-Infinity"');
    return value;
  }

  optionalBool(name: string): boolean | null {
    const value = this.fields[name];
    if (value === undefined || value === null) return null;
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw this.invalid(name, 'must be true or false');
  }

  /** A repeated field: a JSON list, or one or more query parameters. */
  list(name: string): unknown[] {
    const value = this.fields[name];
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    if (this.query) return [value];
    throw this.invalid(name, 'must be a list');
  }

  /** A list of objects, each read as Params. */
  objects(name: string): Params[] {
    return this.list(name).map((item, i) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) throw invalidValue(`${this.prefix}${name}[${i}]`, item, 'must be an object');
      return new Params(item as Fields, `${this.prefix}${name}[${i}].`, this.query);
    });
  }

  /** A nested message: an object, read as Params; null when absent. */
  object(name: string): Params | null {
    const value = this.fields[name];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'object' || Array.isArray(value)) throw this.invalid(name, 'must be an object');
    return new Params(value as Fields, `${this.prefix}${name}.`, this.query);
  }

  strings(name: string): string[] {
    return this.list(name).map((item, i) => {
      if (typeof item !== 'string') throw invalidValue(`${this.prefix}${name}[${i}]`, item, 'must be a string');
      return item;
    });
  }

  /** The run a request names: `run_id`, or `run_uuid` as clients before MLflow 1.x sent it. */
  runId(): string {
    const id = this.optionalString('run_id') || this.optionalString('run_uuid');
    if (!id) throw this.missing('run_id');
    return id;
  }
}

/** A double as protobuf's JSON carries it, or null when the value is not one. */
export function parseDouble(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const word = DOUBLE_WORDS[value.trim()];
    if (word !== undefined) return word;
    const n = Number(value);
    if (value.trim() !== '' && !Number.isNaN(n)) return n;
  }
  return null;
}

/** A double for the wire: non-finite values as the strings protobuf's JSON uses. */
export function doubleOut(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

export const millis = (date: Date | null | undefined): number | undefined => (date ? date.getTime() : undefined);

/** MLflow's ViewType, by name or number, as runledger's view of deleted rows (runs and experiments alike). */
export const VIEW_TYPES: Record<string, 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL'> = {
  ACTIVE_ONLY: 'ACTIVE_ONLY',
  DELETED_ONLY: 'DELETED_ONLY',
  ALL: 'ALL',
  '1': 'ACTIVE_ONLY',
  '2': 'DELETED_ONLY',
  '3': 'ALL',
};
