// Custom scalars. MetricValue carries NaN and ±Infinity through JSON as strings.
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { instantProblem, jsonProblem } from './input-rules.js';

function badInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

function literalValue(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.STRING:
    case Kind.ENUM:
      return ast.value;
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map(literalValue);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalValue(f.value)]));
    default:
      throw badInput('Variables inside JSON literals are not supported');
  }
}

function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(Date.parse(value))) {
    throw badInput(`DateTime must be an ISO-8601 string such as 2026-08-01T12:00:00Z; got ${JSON.stringify(value).slice(0, 100)}`);
  }
  const date = new Date(value);
  // Year 0000 parses in JavaScript but PostgreSQL has no year 0; 9999-12-31T23:59-10:00 is year 10000 in UTC.
  const problem = instantProblem(date.getTime());
  if (problem) throw badInput(`DateTime ${problem} in UTC; got ${JSON.stringify(value)}`);
  return date;
}

/** Checks a JSON value without recursion (it may be nested thousands of levels), by the shared input rules. */
function parseJsonValue(value: unknown): unknown {
  const problem = jsonProblem(value);
  if (problem) throw badInput(`JSON${problem.field ? ` (at ${problem.field})` : ''} ${problem.message}`);
  return value;
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant as an ISO-8601 string, e.g. 2026-08-01T00:00:00Z (milliseconds kept).',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(date.getTime())) throw new TypeError(`DateTime cannot represent ${String(value)}`);
    return date.toISOString();
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw badInput('DateTime must be an ISO-8601 string');
    return parseDateTime(ast.value);
  },
});

export const JSONScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: parseJsonValue,
  parseLiteral: (ast) => parseJsonValue(literalValue(ast)),
});

const nonFinite: Record<string, number> = { NaN: Number.NaN, Infinity: Infinity, '+Infinity': Infinity, '-Infinity': -Infinity };

export function parseMetricValue(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value in nonFinite) return nonFinite[value] as number;
  throw badInput(`MetricValue must be a number or one of "NaN", "Infinity", "-Infinity"; got ${JSON.stringify(value)}`);
}

export function serializeMetricValue(value: number): number | string {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

export const MetricValueScalar = new GraphQLScalarType<number, number | string>({
  name: 'MetricValue',
  description: 'A float that may be NaN or ±Infinity: finite values are JSON numbers, the others the strings "NaN", "Infinity", "-Infinity".',
  serialize: (value) => serializeMetricValue(Number(value)),
  parseValue: parseMetricValue,
  parseLiteral(ast) {
    if (ast.kind === Kind.INT || ast.kind === Kind.FLOAT) return Number(ast.value);
    if (ast.kind === Kind.STRING) return parseMetricValue(ast.value);
    throw badInput('MetricValue must be a number or one of "NaN", "Infinity", "-Infinity"');
  },
});

function parseSafeInt(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw badInput(`SafeInt must be an integer within ±(2^53-1); got ${JSON.stringify(value)}`);
  }
  return value;
}

export const SafeIntScalar = new GraphQLScalarType<number, number>({
  name: 'SafeInt',
  description: 'An integer between -(2^53-1) and 2^53-1 (training steps can pass 2^31).',
  serialize: (value) => Number(value),
  parseValue: parseSafeInt,
  parseLiteral(ast) {
    if (ast.kind !== Kind.INT) throw badInput('SafeInt must be an integer');
    return parseSafeInt(Number(ast.value));
  },
});
