// The edge's containment (src/http/edge.ts wraps every request and upgrade in it): each
// request gets an id, and a failure inside a handler ends that request (500 with the id,
// logged; 503 with Retry-After when the database is away) and never the process.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS } from '../../db/unavailable.js';
import type { Logger } from '../../logger.js';

export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => unknown;
export type UpgradeHandler = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => unknown;

export const REQUEST_ID_HEADER = 'x-request-id';

/** A short id for correlating a response with the server's log lines. */
export function newRequestId(): string {
  return randomUUID().replaceAll('-', '').slice(0, 16);
}

/** The body of a failed request; the same shape as a GraphQL error, so every client can read it. */
export function internalErrorBody(requestId: string): string {
  return JSON.stringify({ errors: [{ message: `Unexpected error (request ${requestId}).`, extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }] });
}

/** An outage is not a bug: 503 with Retry-After, so clients retry. */
function unavailable(res: http.ServerResponse, requestId: string): void {
  const body = JSON.stringify({
    errors: [{ message: `the database is unavailable; retry in ${RETRY_AFTER_SECONDS} s`, extensions: { code: 'UNAVAILABLE', requestId } }],
  });
  res.writeHead(503, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'retry-after': String(RETRY_AFTER_SECONDS),
    connection: 'close',
    [REQUEST_ID_HEADER]: requestId,
  });
  res.end(body);
}

function fail(log: Logger, req: http.IncomingMessage, res: http.ServerResponse, requestId: string, error: unknown): void {
  if (isDatabaseUnavailable(error) && !res.headersSent && !res.destroyed) {
    log.warn('database unavailable', { err: error, requestId });
    return unavailable(res, requestId);
  }
  log.error('request failed', { err: error, requestId, method: req.method, path: (req.url ?? '').split('?')[0]?.slice(0, 200) });
  if (res.headersSent || res.destroyed) {
    // Part of the answer is already on the wire: the only honest end is to cut it.
    res.destroy();
    return;
  }
  const body = internalErrorBody(requestId);
  try {
    res.writeHead(500, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
      [REQUEST_ID_HEADER]: requestId,
    });
    res.end(body);
  } catch {
    res.destroy();
  }
}

/**
 * Runs `handler` for each request with a request id (echoed in `x-request-id`); whatever it
 * throws or rejects with, synchronously or not, becomes a 500 for that request alone.
 */
export function guardRequests(handler: RequestHandler, log: Logger): RequestHandler {
  return (req, res) => {
    const requestId = newRequestId();
    if (!res.headersSent) res.setHeader(REQUEST_ID_HEADER, requestId);
    try {
      const result = handler(req, res);
      if (result instanceof Promise) result.catch((error: unknown) => fail(log, req, res, requestId, error));
    } catch (error) {
      fail(log, req, res, requestId, error);
    }
  };
}

/** The same for protocol upgrades (WebSocket): a failure closes that socket only. */
export function guardUpgrades(handler: UpgradeHandler, log: Logger): UpgradeHandler {
  return (req, socket, head) => {
    const onError = (error: unknown) => {
      log.error('upgrade failed', { err: error, requestId: newRequestId(), path: (req.url ?? '').split('?')[0]?.slice(0, 200) });
      if (!socket.destroyed) socket.end('HTTP/1.1 500 Internal Server Error\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    };
    try {
      const result = handler(req, socket, head);
      if (result instanceof Promise) result.catch(onError);
    } catch (error) {
      onError(error);
    }
  };
}

/**
 * Protects a server as a whole: malformed requests the HTTP parser rejects get a 400 (not a
 * silent reset), and sockets that error after a client vanished are destroyed quietly.
 */
export function guardServer(server: http.Server, log: Logger): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    log.debug('malformed request', { code: error.code, message: error.message });
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });
}
