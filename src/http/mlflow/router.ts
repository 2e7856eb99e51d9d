// The MLflow REST front door: /api/2.0/mlflow/..., the same under /ajax-api/2.0/..., and the
// artifact proxy /api/2.0/mlflow-artifacts/... It authenticates like /graphql (Bearer, or
// Basic with the token as password), parses MLflow's request shapes, calls the handler, and
// answers 200 with a JSON object or MLflow's `{error_code, message}`. Writes are audited.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../logger.js';
import type { Config } from '../../config.js';
import { Access } from '../../modules/auth/access.js';
import { authenticate, credentialsFromHeaders } from '../../modules/auth/authenticate.js';
import type { Services } from '../../services.js';
import type { Call } from './call.js';
import { INTERNAL_ERROR, MlflowError, mlflowErrorReply } from './errors.js';
import { notServedMessage, outOfScopeFeature } from './not-served.js';
import { matchRoute } from './routes.js';
import { Params } from './wire.js';
import { requestUrl } from '../request-url.js';
import type { DoorErrors } from '../edge.js';
import { parseJsonBody, readBody } from '../edge/body.js';
import { ValidationError } from '../../errors.js';

// MLflow 3 clients reach some endpoints under /api/3.0; they are served from the same table.
const PREFIXES = ['/api/2.0', '/ajax-api/2.0', '/api/3.0', '/ajax-api/3.0'];

/** The MLflow UI's routes at the server's root. */
const ROOT_PATHS = ['/get-artifact', '/model-versions/get-artifact'];

/** The path below /api/2.0, /api/3.0 or /ajax-api/* when it is an MLflow path (or a UI route at the root), else null. */
function mlflowPath(target: string): string | null {
  const pathname = target.replace(/^\/{2,}/, '/');
  if (ROOT_PATHS.includes(pathname) || pathname.startsWith('/gateway/')) return pathname;
  for (const prefix of PREFIXES) {
    if (!pathname.startsWith(prefix)) continue;
    const rest = pathname.slice(prefix.length);
    // Everything under these prefixes is MLflow's: what is not served still answers in JSON.
    if (rest === '' || rest.startsWith('/')) return rest || '/';
  }
  return null;
}

function send(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** How the edge answers a request it refuses on an MLflow path: in MLflow's shape. */
export const mlflowDoorErrors: DoorErrors = {
  matches: (pathname) => mlflowPath(pathname) !== null,
  send(res, error) {
    const reply = mlflowErrorReply(error) ?? INTERNAL_ERROR;
    send(res, reply.status, reply.body, reply.headers);
  },
};

/**
 * The body as one JSON object, and its text (numbers are quoted back as the client wrote them);
 * the edge holds it to the size limit and the input rules.
 */
async function readJson(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<{ json: Record<string, unknown>; text: string }> {
  const text = (await readBody(req, maxBytes, res)).toString('utf8');
  let parsed: unknown;
  try {
    parsed = parseJsonBody(text);
  } catch (error) {
    if (error instanceof ValidationError && error.details.rule === 'json') throw new MlflowError('MALFORMED_REQUEST', `request ${error.message}`, 400);
    throw error;
  }
  if (parsed === undefined) return { json: {}, text };
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new MlflowError('MALFORMED_REQUEST', 'request body: must be a JSON object', 400);
  return { json: parsed as Record<string, unknown>, text };
}

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
  return headers;
}

function decodeParts(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    try {
      out[key] = value.split('/').map(decodeURIComponent).join('/');
    } catch {
      throw new MlflowError('INVALID_PARAMETER_VALUE', `path: ${JSON.stringify(value.slice(0, 200))} is not valid percent-encoding`, 400);
    }
  }
  return out;
}

export function createMlflowRoutes(services: Services, log: Logger, config: Pick<Config, 'auth' | 'limits'>) {
  const accessOf = async (req: IncomingMessage) =>
    new Access(await authenticate(services.auth, config.auth, credentialsFromHeaders(headersOf(req))), services.auth);
  /** Serves MLflow paths; returns false for anything else. */
  return async function handleMlflowRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = requestUrl(req.url);
    const path = mlflowPath(url.pathname);
    if (path === null) return false;
    const method = req.method ?? 'GET';
    const match = matchRoute(method, path);
    if (!match.route) {
      send(res, 404, { error_code: 'ENDPOINT_NOT_FOUND', message: notServedMessage(method, url.pathname, outOfScopeFeature(path), match.allowed) });
      return true;
    }
    const { route } = match;
    let call: Call | null = null;
    let status = 200;
    let body: object | undefined;
    let headers: Record<string, string> | undefined;
    try {
      const access = await accessOf(req);
      const request = method === 'GET' || route.rawBody ? null : await readJson(req, res, config.limits.bodyBytes);
      const params = !request || Object.keys(request.json).length === 0 ? Params.fromQuery(url.searchParams) : Params.fromBody(request.json, request.text);
      call = { params, access, services, log, req, res, path: decodeParts(match.params), targets: [] };
      body = await route.handler(call);
    } catch (error) {
      const reply = mlflowErrorReply(error);
      if (!reply) log.error('mlflow request failed', { err: error, method, path: url.pathname });
      if (res.headersSent) {
        res.destroy();
        return true;
      }
      // An upload refused before its body was read: close instead of reading the rest.
      if (route.rawBody) res.setHeader('connection', 'close');
      ({ status, body, headers } = reply ?? INTERNAL_ERROR);
    }
    // As with GraphQL mutations, a write's audit row is stored before its answer leaves
    // (not during an outage: it could not be stored, and nothing was written).
    if (method !== 'GET' && !route.read && call && status !== 503)
      await audit(services, log, call, `mlflow ${method} ${path}`, status === 200 ? 'OK' : (body as { error_code: string }).error_code);
    if (body) send(res, status, body, headers);
    return true;
  };
}

/** MLflow writes go into the same audit log as GraphQL mutations, after they ran, whatever the outcome. */
async function audit(services: Services, log: Logger, call: Call, operation: string, outcome: string) {
  try {
    await services.audit.record(call.access, [{ operation, targetIds: [...new Set(call.targets)], outcome }]);
  } catch (error) {
    log.error('audit write failed', { err: error, operation });
  }
}
