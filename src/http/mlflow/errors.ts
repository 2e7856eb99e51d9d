// The one mapping from runledger's domain errors to MLflow's `{error_code, message}` and HTTP
// status. Every refusal is a 4xx: MLflow clients retry 5xx answers, and a retried bad request
// would only fail again. An outage (the database or the object store away) is 503
// TEMPORARILY_UNAVAILABLE with Retry-After, which they retry; only an unexpected fault is a 500.
import { type ErrorCode, expectedError } from '../../errors.js';
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
  // A 5xx on purpose: MLflow clients retry this.
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
  const expected = expectedError(error);
  if (!expected) return null;
  const { errorCode, status } = BY_DOMAIN_CODE[expected.code];
  return { status, body: { error_code: errorCode, message: expected.message }, headers: errorHeaders(expected) };
}

export const INTERNAL_ERROR: MlflowErrorReply = {
  status: 500,
  body: { error_code: 'INTERNAL_ERROR', message: 'Unexpected error; it was logged on the server.' },
};
