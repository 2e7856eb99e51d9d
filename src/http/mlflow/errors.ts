// The one mapping from runledger's domain errors to MLflow's `{error_code, message}` and HTTP
// status. Every refusal is a 4xx: MLflow clients retry 5xx answers, and a retried bad request
// would only fail again. Only an unreachable object store (503, retried) and an unexpected fault (500) are 5xx.
import { DomainError, type ErrorCode } from '../../errors.js';
import { errorHeaders } from '../respond.js';

/** An MLflow-specific refusal raised by the front door itself (e.g. RESOURCE_ALREADY_EXISTS). */
export class MlflowError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export const invalidParameter = (field: string, rule: string) => new MlflowError('INVALID_PARAMETER_VALUE', `${field}: ${rule}`, 400);
export const alreadyExists = (message: string) => new MlflowError('RESOURCE_ALREADY_EXISTS', message, 400);
export const doesNotExist = (message: string) => new MlflowError('RESOURCE_DOES_NOT_EXIST', message, 404);

/** How each domain error code reads on the MLflow wire (the parity matrix holds every door to its mapping). */
export const BY_DOMAIN_CODE: Record<ErrorCode, { errorCode: string; status: number }> = {
  BAD_USER_INPUT: { errorCode: 'INVALID_PARAMETER_VALUE', status: 400 },
  NOT_FOUND: { errorCode: 'RESOURCE_DOES_NOT_EXIST', status: 404 },
  // Immutable params, deleted runs, quarantined data: the request cannot succeed as sent.
  CONFLICT: { errorCode: 'INVALID_PARAMETER_VALUE', status: 400 },
  // Not 429: MLflow clients retry that, and the same oversized request would fail forever.
  LIMIT_EXCEEDED: { errorCode: 'INVALID_PARAMETER_VALUE', status: 400 },
  UNAUTHENTICATED: { errorCode: 'UNAUTHENTICATED', status: 401 },
  FORBIDDEN: { errorCode: 'PERMISSION_DENIED', status: 403 },
  INSUFFICIENT_STORAGE: { errorCode: 'RESOURCE_EXHAUSTED', status: 507 },
  // A 5xx on purpose: the object store is away, and MLflow clients retry this.
  UNAVAILABLE: { errorCode: 'TEMPORARILY_UNAVAILABLE', status: 503 },
};

export interface MlflowErrorReply {
  status: number;
  body: { error_code: string; message: string };
  headers?: Record<string, string>;
}

/** The wire answer for an expected failure; null for an unexpected one (the caller logs it and answers 500). */
export function mlflowErrorReply(error: unknown): MlflowErrorReply | null {
  if (error instanceof MlflowError) return { status: error.status, body: { error_code: error.errorCode, message: error.message } };
  if (error instanceof DomainError) {
    const { errorCode, status } = BY_DOMAIN_CODE[error.code];
    return { status, body: { error_code: errorCode, message: error.message }, headers: errorHeaders(error) };
  }
  return null;
}

export const INTERNAL_ERROR: MlflowErrorReply = {
  status: 500,
  body: { error_code: 'INTERNAL_ERROR', message: 'Unexpected error; it was logged on the server.' },
};
