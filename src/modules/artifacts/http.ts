// HTTP routes for artifact bytes, beside GraphQL: a streaming PUT for large uploads, resumable
// upload sessions (sessions-http.ts), and a GET with Range support, served like every stored
// byte (src/http/edge/stored-bytes.ts).
// Bodies stream straight to and from the ArtifactStore.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { expectedError, ValidationError } from '../../errors.js';
import { serveStoredBytes } from '../../http/edge/stored-bytes.js';
import { requestUrl } from '../../http/request-url.js';
import { errorBody, sendError, sendJson } from '../../http/respond.js';
import { decodeId } from '../../ids.js';
import type { Logger } from '../../logger.js';
import type { Services } from '../../services.js';
import type { Access } from '../auth/access.js';
import type { Artifact } from './service.js';
import { createUploadSessionRoutes } from './sessions-http.js';

export const ARTIFACT_PREFIX = '/artifacts/';

/** Where GET serves an artifact's bytes; also Artifact.downloadUrl. */
export function downloadPath(artifactId: number): string {
  return `${ARTIFACT_PREFIX}${encodeURIComponent(encodeGlobalID('Artifact', artifactId))}`;
}

export function artifactJson(artifact: Artifact) {
  return {
    id: encodeGlobalID('Artifact', artifact.id),
    name: artifact.name,
    kind: artifact.kind,
    digest: artifact.digest,
    sizeBytes: Number(artifact.sizeBytes),
    mediaType: artifact.mediaType,
    mediaKey: artifact.mediaKey,
    step: artifact.step === null ? null : Number(artifact.step),
    downloadUrl: downloadPath(artifact.id),
    createdAt: artifact.createdAt.toISOString(),
  };
}

export function createArtifactRoutes(
  services: Services,
  log: Logger,
  options: {
    graphqlEndpoint: string;
    maxMultipartBytes: number;
    /** The largest JSON body (opening an upload session). */
    maxBodyBytes: number;
    /** Who is asking (Authorization: Bearer, as on /graphql); throws UNAUTHENTICATED. */
    access: (headers: Headers) => Promise<Access>;
  },
) {
  const accessOf = (req: IncomingMessage) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(name, value);
    return options.access(headers);
  };

  /**
   * yoga's multipart parser holds each file in memory, so GraphQL uploads are bounded before
   * yoga reads a byte: they must declare their length, within the limit.
   */
  function refuseOversizedMultipart(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    if (pathname !== options.graphqlEndpoint || !/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) return false;
    const length = Number(req.headers['content-length'] ?? Number.NaN);
    const close = { connection: 'close' };
    if (!Number.isFinite(length)) {
      sendJson(res, 411, errorBody('BAD_USER_INPUT', 'content-length: a multipart GraphQL upload must declare its length'), close);
      return true;
    }
    if (length > options.maxMultipartBytes) {
      sendJson(
        res,
        413,
        errorBody(
          'LIMIT_EXCEEDED',
          `content-length: ${length} bytes exceeds the ${options.maxMultipartBytes}-byte limit of GraphQL uploads; stream large files with PUT /artifacts/runs/<runId>`,
        ),
        close,
      );
      return true;
    }
    return false;
  }

  /** As with GraphQL mutations, the audit row of an upload is stored before its answer leaves, whatever the outcome. */
  async function audited(access: Access, runGlobalId: string | null, upload: () => Promise<Artifact>): Promise<Artifact> {
    try {
      const artifact = await upload();
      const run = runGlobalId ?? (artifact.runId === null ? null : encodeGlobalID('Run', artifact.runId));
      await services.audit.record(access, [
        { operation: 'artifacts.upload', targetIds: [...(run ? [run] : []), encodeGlobalID('Artifact', artifact.id)], outcome: 'OK' },
      ]);
      return artifact;
    } catch (error) {
      // Refusals are audited like a mutation's; an outage is not (nothing could be stored).
      const expected = expectedError(error);
      if (expected && expected.code !== 'UNAVAILABLE') {
        await services.audit
          .record(access, [{ operation: 'artifacts.upload', targetIds: runGlobalId ? [runGlobalId] : [], outcome: expected.code }])
          .catch((e) => log.error('audit write failed', { err: e }));
      }
      throw error;
    }
  }

  const sessions = createUploadSessionRoutes(services, { maxBodyBytes: options.maxBodyBytes, audited, artifactJson });

  async function upload(req: IncomingMessage, res: ServerResponse, runGlobalId: string, query: URLSearchParams) {
    const access = await accessOf(req);
    const runId = decodeId('Run', runGlobalId, 'runId');
    const contentType = req.headers['content-type'];
    const lengthHeader = req.headers['content-length'];
    let created = false;
    const artifact = await audited(access, runGlobalId, async () => {
      const result = await services.artifacts.upload(
        access,
        {
          runId,
          name: query.get('name') ?? '',
          kind: query.get('kind'),
          sha256: query.get('sha256') ?? headerValue(req.headers['x-content-sha256']),
          mediaType: query.get('mediaType') ?? contentType ?? null,
          key: query.get('key'),
          step: stepParam(query.get('step')),
        },
        req,
        lengthHeader ? Number(lengthHeader) : null,
      );
      created = result.created;
      return result.artifact;
    });
    sendJson(res, created ? 201 : 200, { artifact: artifactJson(artifact), created }, { location: downloadPath(artifact.id) });
  }

  async function download(req: IncomingMessage, res: ServerResponse, artifactGlobalId: string) {
    // Authenticate before looking anything up, and answer "hidden" exactly like "absent", so
    // neither an anonymous caller nor one without a role learns which artifacts exist.
    const access = await accessOf(req);
    const artifact = await services.artifacts.require(access, decodeId('Artifact', artifactGlobalId, 'id'), artifactGlobalId);
    await serveStoredBytes(req, res, artifact, (range) => services.artifacts.openContent(artifact, range));
  }

  /** Serves /artifacts/... requests and refuses oversized GraphQL uploads; returns false for anything else. */
  return async function handleArtifactRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = requestUrl(req.url);
    if (!url.pathname.startsWith(ARTIFACT_PREFIX)) return refuseOversizedMultipart(req, res, url.pathname);
    try {
      const rest = url.pathname.slice(ARTIFACT_PREFIX.length).split('/').map(decodePart);
      if (rest.length === 2 && rest[0] === 'runs' && rest[1]) {
        if (req.method !== 'PUT') return (sendJson(res, 405, errorBody('BAD_USER_INPUT', 'use PUT to upload an artifact to a run'), { allow: 'PUT' }), true);
        await upload(req, res, rest[1], url.searchParams);
        return true;
      }
      if (rest.length === 3 && rest[0] === 'runs' && rest[1] && rest[2] === 'uploads') {
        if (req.method !== 'POST')
          return (sendJson(res, 405, errorBody('BAD_USER_INPUT', 'use POST to open an upload session on a run'), { allow: 'POST' }), true);
        await sessions.open(req, res, await accessOf(req), rest[1]);
        return true;
      }
      if (rest[0] === 'uploads' && rest.length <= 3 && (await sessions.handle(req, res, await accessOf(req), rest))) return true;
      if (rest.length === 1 && rest[0]) {
        if (req.method !== 'GET' && req.method !== 'HEAD')
          return (sendJson(res, 405, errorBody('BAD_USER_INPUT', 'use GET or HEAD to download an artifact'), { allow: 'GET, HEAD' }), true);
        await download(req, res, rest[0]);
        return true;
      }
      sendJson(
        res,
        404,
        errorBody(
          'NOT_FOUND',
          'expected PUT /artifacts/runs/<runId>?name=...&kind=...[&key=...&step=...], GET /artifacts/<artifactId>, POST /artifacts/runs/<runId>/uploads, or GET, PUT, DELETE /artifacts/uploads/<uploadId> and POST /artifacts/uploads/<uploadId>/complete',
        ),
      );
    } catch (error) {
      // The client went away mid-body (or mid-download): nobody is left to answer.
      if (res.headersSent || (req.destroyed && !req.complete)) {
        log.warn('artifact transfer aborted', { err: error, path: url.pathname });
        res.destroy();
        return true;
      }
      // A rejected upload may still be sending: close instead of reading the rest.
      const close = { connection: 'close' };
      const expected = expectedError(error);
      if (expected) {
        sendError(res, expected, close);
      } else {
        log.error('artifact request failed', { err: error, path: url.pathname });
        sendJson(res, 500, errorBody('INTERNAL_SERVER_ERROR', 'Unexpected error.'), close);
      }
    }
    return true;
  };
}

function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ValidationError('path', `${JSON.stringify(part.slice(0, 100))} is not valid percent-encoding`);
  }
}

/** The step query parameter: an integer, or absent. */
function stepParam(value: string | null): number | null {
  if (value === null || value === '') return null;
  if (!/^-?\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw new ValidationError('step', `must be an integer (got ${JSON.stringify(value.slice(0, 40))})`);
  return Number(value);
}

function headerValue(value: string | string[] | undefined): string | null {
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}
