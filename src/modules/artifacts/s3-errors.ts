// How the S3 adapter reads the SDK's errors: "not found", and "the store cannot be reached
// right now", which becomes UnavailableError (503 + Retry-After at every door).
import { UnavailableError } from '../../errors.js';

const RETRY_AFTER_SECONDS = 5;

export function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

export function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string })?.name;
  return name === 'NotFound' || name === 'NoSuchKey' || statusOf(error) === 404;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);

/** True for "the store cannot be reached or is overloaded right now": connection failures, timeouts, 5xx, throttling. */
export function isStoreUnavailable(error: unknown): boolean {
  const e = error as { code?: string; name?: string; $retryable?: unknown; message?: string };
  if (!e || typeof e !== 'object') return false;
  if (e.code && NETWORK_CODES.has(e.code)) return true;
  if (e.name === 'TimeoutError' || e.name === 'RequestTimeout' || e.name === 'SlowDown' || e.name === 'ServiceUnavailable') return true;
  const status = statusOf(error);
  if (status !== undefined && status >= 500) return true;
  return typeof e.message === 'string' && /socket hang up|ECONNREFUSED|ECONNRESET|connect ETIMEDOUT/i.test(e.message);
}

/** Store outages become UnavailableError (503 + Retry-After); every other error passes unchanged. */
export function translate(error: unknown, receivedBytes?: number): unknown {
  if (!isStoreUnavailable(error)) return error;
  return new UnavailableError(
    `the artifact store cannot be reached right now (${(error as Error).name ?? 'error'}: ${(error as Error).message ?? ''}); nothing was stored; retry in ${RETRY_AFTER_SECONDS} s`,
    RETRY_AFTER_SECONDS,
    receivedBytes === undefined ? {} : { receivedBytes },
  );
}

export async function translating<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translate(error);
  }
}
