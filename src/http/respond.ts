// JSON responses shared by the HTTP front doors other than GraphQL and MLflow: one error shape
// (GraphQL's, so clients parse one format) and one mapping from the error taxonomy to statuses.
import type { ServerResponse } from 'node:http';
import { type DomainError, type ErrorCode, UnavailableError } from '../errors.js';

export const STATUS: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  LIMIT_EXCEEDED: 413,
  INSUFFICIENT_STORAGE: 507,
  UNAVAILABLE: 503,
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** Headers an error answer carries beside its status: Retry-After for a retryable outage. */
export function errorHeaders(error: DomainError): Record<string, string> {
  return error instanceof UnavailableError ? { 'retry-after': String(error.retryAfterSeconds) } : {};
}

export function errorBody(code: string, message: string, details: Record<string, unknown> = {}) {
  return { errors: [{ message, extensions: { code, ...details } }] };
}

/** Answers with a domain error in the GraphQL-shaped body, its status and headers (a Bearer challenge for UNAUTHENTICATED). */
export function sendError(res: ServerResponse, error: DomainError, headers: Record<string, string> = {}) {
  const challenge: Record<string, string> = error.code === 'UNAUTHENTICATED' ? { 'www-authenticate': 'Bearer' } : {};
  sendJson(res, STATUS[error.code], errorBody(error.code, error.message, error.details), { ...errorHeaders(error), ...challenge, ...headers });
}
