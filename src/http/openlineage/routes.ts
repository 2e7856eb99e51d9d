// POST /api/v1/lineage, Marquez-compatible: what OpenLineage integrations (Airflow, dbt, Spark,
// openlineage-python's HttpTransport) send. Reads one event, checks the wire format, asks the
// pipeline service to apply it as the caller (it decides what the caller may write), answers
// 201, and audits the attempt.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { expectedError } from '../../errors.js';
import { parseJsonBody, readBody } from '../edge/body.js';
import type { Logger } from '../../logger.js';
import type { Access } from '../../modules/auth/access.js';
import type { Services } from '../../services.js';
import { errorBody, sendError, sendJson } from '../respond.js';
import { decodeBody } from './body.js';
import { parseLineageEvent } from './parse.js';

export const LINEAGE_PATH = '/api/v1/lineage';

export interface OpenLineageRouteOptions {
  maxBodyBytes: number;
  /** Who is asking (Authorization: Bearer, as on /graphql); throws UNAUTHENTICATED. */
  access: (headers: Headers) => Promise<Access>;
}

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
  return headers;
}

export function createOpenLineageRoutes(services: Services, log: Logger, options: OpenLineageRouteOptions) {
  async function accept(req: IncomingMessage, res: ServerResponse, access: Access) {
    // Read by the edge's rules (size as sent), inflated when compressed (size again), then held to the input rules.
    const raw = await readBody(req, options.maxBodyBytes, res);
    const text = await decodeBody(raw, req.headers['content-encoding'] as string | undefined, options.maxBodyBytes);
    const event = parseLineageEvent(parseJsonBody(text));
    const result = await services.pipelines.ingest(access, event);
    return {
      status: result.duplicate ? 'duplicate' : 'created',
      warnings: event.warnings,
      targets: result.pipelineRunId ? [encodeGlobalID('PipelineRun', result.pipelineRunId)] : [],
    };
  }

  /** Serves POST /api/v1/lineage; returns false for any other path. */
  return async function handleOpenLineageRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if ((req.url ?? '').split('?')[0] !== LINEAGE_PATH) return false;
    if (req.method !== 'POST')
      return (sendJson(res, 405, errorBody('BAD_USER_INPUT', `use POST ${LINEAGE_PATH} with one OpenLineage event`), { allow: 'POST' }), true);
    let access: Access | null = null;
    try {
      access = await options.access(headersOf(req));
      const { status, warnings, targets } = await accept(req, res, access);
      // Audited before the answer, as GraphQL mutations are: a 201 means the record is written.
      await services.audit.record(access, [{ operation: 'openlineage.event', targetIds: targets, outcome: 'OK' }]);
      sendJson(res, 201, warnings.length ? { status, warnings } : { status });
    } catch (error) {
      const expected = expectedError(error);
      if (res.headersSent) {
        log.error('openlineage event failed after its answer', { err: error });
      } else if (expected) {
        // 503 + Retry-After during an outage: integrations retry it, as they do not a 500.
        sendError(res, expected, { connection: 'close' });
        if (access && expected.code !== 'UNAVAILABLE')
          await services.audit
            .record(access, [{ operation: 'openlineage.event', targetIds: [], outcome: expected.code }])
            .catch((e) => log.error('audit write failed', { err: e }));
      } else {
        log.error('openlineage event failed', { err: error });
        sendJson(res, 500, errorBody('INTERNAL_SERVER_ERROR', 'Unexpected error.'), { connection: 'close' });
      }
    }
    return true;
  };
}
