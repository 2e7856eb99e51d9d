// The one place where errors become GraphQL errors: domain errors keep their message and
// code; anything unexpected is logged with its cause and masked.
import { GraphQLError } from 'graphql';
import { DomainError } from './errors.js';
import type { Logger } from './logger.js';

function findDomainError(error: unknown): DomainError | null {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth += 1) {
    if (current instanceof DomainError) return current;
    current = (current as { originalError?: unknown }).originalError;
  }
  return null;
}

export function createErrorMasker(log: Logger) {
  return (error: unknown, message: string): Error => {
    const domain = findDomainError(error);
    if (domain) {
      const gql = error instanceof GraphQLError ? error : null;
      return new GraphQLError(domain.message, {
        nodes: gql?.nodes,
        path: gql?.path,
        extensions: { code: domain.code, ...domain.details },
      });
    }
    if (error instanceof GraphQLError && !error.originalError) return error; // parse and validation errors
    if (error instanceof GraphQLError && error.originalError instanceof GraphQLError && error.originalError.extensions?.code) {
      return error; // e.g. BAD_USER_INPUT raised by a scalar
    }
    const cause = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    log.error('unexpected error in resolver', { err: cause, path: error instanceof GraphQLError ? error.path : undefined });
    return new GraphQLError(message, {
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}
