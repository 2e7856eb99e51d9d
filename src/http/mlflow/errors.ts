// The one mapping from runledger's domain errors to MLflow's `{error_code, message}` and HTTP
// status. Every refusal is a 4xx: MLflow clients retry 5xx answers, and a retried bad request
// would only fail again. An outage (the database or the object store away) is 503
// TEMPORARILY_UNAVAILABLE with Retry-After, which they retry; only an unexpected fault is a 500.
import { type DomainError, type ErrorCode, expectedError } from '../../errors.js';
import { mlflowRunId } from '../../modules/runs/mlflow-id.js';
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

const SEE_DOCS = 'See the API docs for more information about request parameters.';

/**
 * A field of the wrong type or out of range, worded as MLflow's server words it (its clients and
 * tests match on "Invalid value <json> for parameter '<field>' supplied"), then the rule.
 * `shown` is the value as the client wrote it, when it differs from JSON.stringify (e.g. 9.0).
 */
export const invalidValue = (field: string, value: unknown, rule: string, shown?: string) =>
  new MlflowError('INVALID_PARAMETER_VALUE', `Invalid value ${shown ?? pythonJson(value)} for parameter '${field}' supplied: ${rule}. ${SEE_DOCS}`, 400);

/** A required field that is absent or null, worded as MLflow's server words it. */
export const missingValue = (field: string) => new MlflowError('INVALID_PARAMETER_VALUE', `Missing value for required parameter '${field}'. ${SEE_DOCS}`, 400);

/** JSON as Python's json.dumps(sort_keys=True, separators=(",", ":")) writes it, as MLflow quotes values. */
function pythonJson(value: unknown): string {
  if (value === undefined) return 'null';
  const sorted = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
        )
      : Array.isArray(v)
        ? v.map(sorted)
        : v;
  const text = JSON.stringify(sorted(value)) ?? 'null';
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}
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
  return { status, body: { error_code: errorCode, message: mlflowWording(expected) }, headers: errorHeaders(expected) };
}

/** MLflow's words for refusals its clients recognise, the domain's own message after them. */
function mlflowWording(error: DomainError): string {
  const { runId, state } = error.details as { runId?: unknown; state?: unknown };
  if (state === 'deleted' && typeof runId === 'number') {
    return `The run ${mlflowRunId(runId)} must be in the 'active' state. Current state is deleted. (${error.message})`;
  }
  return error.message;
}

export const INTERNAL_ERROR: MlflowErrorReply = {
  status: 500,
  body: { error_code: 'INTERNAL_ERROR', message: 'Unexpected error; it was logged on the server.' },
};
