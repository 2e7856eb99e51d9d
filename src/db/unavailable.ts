// Recognises "the database cannot be reached right now" among the errors of pg, Prisma and
// the driver adapters, so an outage is reported as retryable UNAVAILABLE, not as a bug.

// Prisma: can't reach server, timed out, connection closed, pool timeout.
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
// Node sockets.
const ERRNO_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
// PostgreSQL SQLSTATE: admin/crash shutdown, cannot connect now, too many connections.
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const MESSAGES =
  /Connection terminated|Can't reach database server|server closed the connection|connection error|timeout exceeded when trying to connect|the database system is (starting up|shutting down|in recovery mode)|Connection refused/i;

function matches(error: object): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (PRISMA_CODES.has(code) || ERRNO_CODES.has(code) || SQLSTATES.has(code) || code.startsWith('08')) return true;
  }
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && MESSAGES.test(message);
}

/** True when `error`, or an error it wraps, says the database is unreachable or restarting. */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 8; depth += 1) {
    if (matches(current)) return true;
    const next = current as { originalError?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };
    current = next.originalError ?? next.cause ?? next.meta?.driverAdapterError;
  }
  return false;
}

/** Seconds a client should wait before retrying during an outage. */
export const RETRY_AFTER_SECONDS = 2;
