// The one error taxonomy: expected failures as domain errors, each with a code that every door
// maps to its protocol (GraphQL extensions, MLflow error codes, HTTP statuses) in one place.
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from './db/unavailable.js';

export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'LIMIT_EXCEEDED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'INSUFFICIENT_STORAGE'
  | 'UNAVAILABLE';

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The domain error a failure means to a caller: domain errors as they are, an unreachable
 * database as UNAVAILABLE (the database is a dependency too); null for an unexpected fault (a
 * bug: logged, answered as a 500).
 */
export function expectedError(error: unknown): DomainError | null {
  if (error instanceof DomainError) return error;
  if (isDatabaseUnavailable(error)) return new UnavailableError(`the database is unavailable; retry in ${RETRY_AFTER_SECONDS} s`, RETRY_AFTER_SECONDS);
  return null;
}

/** Input that breaks a rule; `field` names where, e.g. `metrics[3].key`. */
export class ValidationError extends DomainError {
  readonly code = 'BAD_USER_INPUT';
  constructor(
    readonly field: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(`${field}: ${message}`, { field, ...details });
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(kind: string, id: string | number) {
    super(`${kind} ${JSON.stringify(String(id))} not found`, { kind, id: String(id) });
  }
}

export class ConflictError extends DomainError {
  readonly code = 'CONFLICT';
}

export class LimitExceededError extends DomainError {
  readonly code = 'LIMIT_EXCEEDED';
}

/** The server has no room to keep what was sent (the artifact disk is full); retry once space is freed. */
export class InsufficientStorageError extends DomainError {
  readonly code = 'INSUFFICIENT_STORAGE';
}

/** No valid credentials: a missing, unknown, expired or revoked API token. */
export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED';
}

/** The caller can see the target but lacks the role the operation needs. */
export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
}

/**
 * Creating under a name that is taken by something the caller may not see (names of projects,
 * models and datasets are global). FORBIDDEN, as MLflow's auth plugin answers: never "already
 * exists", which would confirm the hidden thing and, through MLflow's set_experiment, be taken
 * for a race and swallowed. The message names no project and does not say what holds the name.
 */
export function nameNotYours(field: string, kind: string, name: string): ForbiddenError {
  return new ForbiddenError(
    `${field}: you may not create a ${kind} named ${JSON.stringify(name)}; the name is not available to you (${kind} names are global), pick another`,
    {
      field,
    },
  );
}

/**
 * A dependency that holds data (the artifact object store) cannot be reached right now: nothing
 * was kept, and the same request can be retried after `retryAfterSeconds` (503 + Retry-After).
 */
export class UnavailableError extends DomainError {
  readonly code = 'UNAVAILABLE';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details: Record<string, unknown> = {},
  ) {
    super(message, { retryAfterSeconds, ...details });
  }
}
