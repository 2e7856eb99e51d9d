// The one place where errors become GraphQL errors: domain errors keep their message and
// code; anything unexpected is logged with its cause and masked.
import { GraphQLError } from 'graphql';
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from './db/unavailable.js';
import { DomainError, UnavailableError } from './errors.js';
import type { Logger } from './logger.js';

type GraphQLErrorLike = Error & {
  originalError?: unknown;
  path?: readonly (string | number)[];
  nodes?: GraphQLError['nodes'];
  extensions?: Record<string, unknown>;
};

// graphql ships CommonJS and ESM builds; yoga and this code may load different ones, so
// errors are recognised by name rather than instanceof.
function isGraphQLError(error: unknown): error is GraphQLErrorLike {
  return error instanceof Error && error.name === 'GraphQLError';
}

function findDomainError(error: unknown): DomainError | null {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth += 1) {
    if (current instanceof DomainError) return current;
    current = (current as { originalError?: unknown }).originalError;
  }
  return null;
}

/** The database is down or restarting: retryable, with HTTP 503 and Retry-After. */
export function unavailableError(path?: readonly (string | number)[]): GraphQLError {
  return new GraphQLError(`the database is unavailable; retry in ${RETRY_AFTER_SECONDS} s`, {
    path,
    extensions: { code: 'UNAVAILABLE', retryAfterSeconds: RETRY_AFTER_SECONDS, http: { status: 503, headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } } },
  });
}

export function createErrorMasker(log: Logger) {
  return (error: unknown, message: string): Error => {
    const gql = isGraphQLError(error) ? error : null;
    const domain = findDomainError(error);
    if (domain instanceof UnavailableError) {
      log.warn('dependency unavailable', { err: domain, path: gql?.path });
      const http = { status: 503, headers: { 'retry-after': String(domain.retryAfterSeconds) } };
      return new GraphQLError(domain.message, { nodes: gql?.nodes, path: gql?.path, extensions: { code: domain.code, ...domain.details, http } });
    }
    if (domain) {
      return new GraphQLError(domain.message, { nodes: gql?.nodes, path: gql?.path, extensions: { code: domain.code, ...domain.details } });
    }
    if (gql && !gql.originalError) return gql; // parse and validation errors
    const original = gql?.originalError;
    if (gql && isGraphQLError(original) && original.extensions?.code) {
      // An input error raised while coercing variables (e.g. by a scalar): keep the full
      // message, which names the variable path, and the code.
      return new GraphQLError(gql.message, { nodes: gql.nodes, path: gql.path, extensions: { ...original.extensions } });
    }
    if (gql && !gql.path && isGraphQLError(original)) {
      // Raised while coercing variables, before any resolver ran (e.g. an Int out of range or
      // an unknown enum value): the caller's input is wrong.
      return new GraphQLError(gql.message, { nodes: gql.nodes, extensions: { ...original.extensions, code: 'BAD_USER_INPUT' } });
    }
    if (isDatabaseUnavailable(original ?? error)) {
      log.warn('database unavailable', { err: original ?? error, path: gql?.path });
      return unavailableError(gql?.path);
    }
    log.error('unexpected error in resolver', { err: original ?? error, path: gql?.path });
    return new GraphQLError(message, { path: gql?.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  };
}
