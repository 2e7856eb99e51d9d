// The one HTTP edge every door passes through (GraphQL, its WebSocket upgrades, MLflow,
// OpenLineage, artifact bytes, the dashboard): request ids, security headers, Host and Origin
// checks with CORS for listed origins only, the text rules on the request target, connections
// closed when a body is left unread, and a 500 or 503 for whatever a handler throws. Bodies are
// read with ./edge/body.ts, stored bytes served with ./edge/stored-bytes.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import { type DomainError, ForbiddenError } from '../errors.js';
import type { Logger } from '../logger.js';
import { targetProblem } from './edge/body.js';
import { guardRequests, guardUpgrades, newRequestId, REQUEST_ID_HEADER, type RequestHandler, type UpgradeHandler } from './edge/guard.js';
import { setSecurityHeaders } from './edge/headers.js';
import { createOriginPolicy, type RequestFacts } from './edge/origin.js';
import { requestUrl } from './request-url.js';
import { errorBody, sendError, STATUS } from './respond.js';

export { REQUEST_ID_HEADER } from './edge/guard.js';

/** How a door answers an expected failure in its own protocol (MLflow's `{error_code, message}`). */
export interface DoorErrors {
  /** Whether a request path belongs to this door. */
  matches(pathname: string): boolean;
  send(res: ServerResponse, error: DomainError): void;
}

export interface Edge {
  /** Wraps the server's request listener: every request passes the edge first. */
  requests(handler: RequestHandler): RequestHandler;
  /** The same for protocol upgrades (graphql-ws). */
  upgrades(handler: UpgradeHandler): UpgradeHandler;
}

/** Probes: answered whatever Host a load balancer or orchestrator sends, and never cross-site sensitive. */
const HEALTH_PATH = '/healthz';
const CORS_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const EXPOSED_HEADERS = 'x-request-id, retry-after, etag, content-disposition, content-range, location, www-authenticate';

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function factsOf(req: IncomingMessage): RequestFacts {
  return {
    method: req.method ?? 'GET',
    host: header(req, 'host'),
    origin: header(req, 'origin'),
    secFetchSite: header(req, 'sec-fetch-site'),
    secFetchMode: header(req, 'sec-fetch-mode'),
  };
}

/**
 * A response written while the request body is still arriving closes the connection: the unread
 * rest would otherwise be read as the next request on a keep-alive socket, or hold it.
 */
function closeWhenBodyUnread(req: IncomingMessage, res: ServerResponse) {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<typeof writeHead>) {
    if (!req.complete && !this.headersSent) this.setHeader('connection', 'close');
    return writeHead.apply(this, args);
  } as typeof res.writeHead;
}

function allowCors(res: ServerResponse, origin: string) {
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-allow-credentials', 'true');
  res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
  res.setHeader('vary', 'Origin');
}

function answerPreflight(req: IncomingMessage, res: ServerResponse) {
  const requested = header(req, 'access-control-request-headers') ?? '';
  res.writeHead(204, {
    'access-control-allow-methods': CORS_METHODS,
    // Header names only (tokens): anything else in the request is dropped, not echoed.
    'access-control-allow-headers': requested
      .split(',')
      .map((h) => h.trim())
      .filter((h) => /^[A-Za-z0-9-]{1,100}$/.test(h))
      .join(', '),
    'access-control-max-age': '600',
  });
  res.end();
}

export function createEdge(options: { config: Pick<Config, 'host' | 'edge'>; log: Logger; doors?: readonly DoorErrors[] }): Edge {
  const { log } = options;
  const policy = createOriginPolicy({ ...options.config.edge, bindHost: options.config.host });
  const doors = options.doors ?? [];
  if (/^(0\.0\.0\.0|::|\[::\])$/.test(options.config.host) && options.config.edge.allowedHosts !== 'any' && !options.config.edge.allowedHosts.length) {
    log.info('bound to every address: requests naming this server by an IP address or localhost are served; list its DNS names in RUNLEDGER_ALLOWED_HOSTS');
  }

  const refuse = (res: ServerResponse, pathname: string, error: DomainError) => {
    const door = doors.find((d) => d.matches(pathname));
    if (door) door.send(res, error);
    else sendError(res, error);
  };

  const requests = (handler: RequestHandler): RequestHandler =>
    guardRequests((req, res) => {
      setSecurityHeaders(res);
      closeWhenBodyUnread(req, res);
      const url = requestUrl(req.url);
      if (url.pathname === HEALTH_PATH) return handler(req, res);
      const { refusal, corsOrigin } = policy.judge(factsOf(req));
      if (refusal) {
        log.info('refused a request from a browser', {
          path: url.pathname.slice(0, 200),
          field: refusal.field,
          host: header(req, 'host'),
          origin: header(req, 'origin'),
        });
        return refuse(res, url.pathname, new ForbiddenError(`${refusal.field}: ${refusal.message}`, { field: refusal.field }));
      }
      if (corsOrigin) allowCors(res, corsOrigin);
      if (req.method === 'OPTIONS' && header(req, 'origin') && header(req, 'access-control-request-method')) return answerPreflight(req, res);
      const problem = targetProblem(url);
      if (problem) return refuse(res, url.pathname, problem);
      return handler(req, res);
    }, log);

  const upgrades = (handler: UpgradeHandler): UpgradeHandler =>
    guardUpgrades((req, socket, head) => {
      const { refusal } = policy.judge(factsOf(req));
      if (!refusal) return handler(req, socket, head);
      const requestId = newRequestId();
      log.info('refused a WebSocket from a browser', { field: refusal.field, host: header(req, 'host'), origin: header(req, 'origin'), requestId });
      const body = JSON.stringify(errorBody('FORBIDDEN', `${refusal.field}: ${refusal.message}`, { field: refusal.field, requestId }));
      socket.end(
        `HTTP/1.1 ${STATUS.FORBIDDEN} Forbidden\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
          `${REQUEST_ID_HEADER}: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
      );
    }, log);

  return { requests, upgrades };
}
