// HTTP routes of resumable upload sessions under /artifacts (docs/graphql-api.md, "Resumable
// uploads"): open a session, PUT chunks at an offset, ask where it stands, complete, abort.
// Translates requests to the upload-session service and its answers back; decides nothing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { ValidationError } from '../../errors.js';
import { readJsonBody } from '../../http/edge/body.js';
import { errorBody, sendJson } from '../../http/respond.js';
import { decodeId } from '../../ids.js';
import type { Services } from '../../services.js';
import type { Access } from '../auth/access.js';
import type { Artifact } from './service.js';
import type { UploadSessionState } from './resumable.js';

export const UPLOADS_PREFIX = '/artifacts/uploads/';

export const sessionPath = (uploadId: string) => `${UPLOADS_PREFIX}${encodeURIComponent(uploadId)}`;

function stateJson(state: UploadSessionState) {
  return {
    uploadId: state.uploadId,
    offset: state.offset,
    sizeBytes: state.sizeBytes,
    chunkMaxBytes: state.chunkMaxBytes,
    expiresAt: state.expiresAt.toISOString(),
    completed: state.artifactId !== null,
    artifactId: state.artifactId === null ? null : encodeGlobalID('Artifact', state.artifactId),
  };
}

/** A JSON body's field as the type the protocol says, or absent. */
function field<T extends 'string' | 'number'>(body: Record<string, unknown>, name: string, type: T): (T extends 'string' ? string : number) | null {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== type) throw new ValidationError(`input.${name}`, `must be a ${type} (got ${Array.isArray(value) ? 'array' : typeof value})`);
  return value as T extends 'string' ? string : number;
}

/** The Upload-Offset header: a whole number of bytes. */
function offsetHeader(req: IncomingMessage): number {
  const raw = req.headers['upload-offset'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === '')
    throw new ValidationError('Upload-Offset', 'is required: the offset of the file this chunk starts at (GET the session to learn it)');
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw new ValidationError('Upload-Offset', `must be a whole number of bytes (got ${JSON.stringify(value.slice(0, 40))})`);
  return Number(value);
}

function lengthHeader(req: IncomingMessage): number | null {
  const value = req.headers['content-length'];
  return value === undefined ? null : Number(value);
}

export function createUploadSessionRoutes(
  services: Services,
  options: {
    maxBodyBytes: number;
    /** Registers through the same audited path as a streamed PUT. */
    audited: (access: Access, runGlobalId: string | null, upload: () => Promise<Artifact>) => Promise<Artifact>;
    artifactJson: (artifact: Artifact) => unknown;
  },
) {
  const sessions = services.uploadSessions;

  /** POST /artifacts/runs/<runId>/uploads {name, kind?, mediaType?, sizeBytes, sha256}. */
  async function open(req: IncomingMessage, res: ServerResponse, access: Access, runGlobalId: string) {
    const runId = decodeId('Run', runGlobalId, 'runId');
    const body = await readJsonBody(req, options.maxBodyBytes, res);
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw new ValidationError('body', 'must be a JSON object {name, sizeBytes, sha256, kind?, mediaType?}');
    const input = body as Record<string, unknown>;
    const sizeBytes = field(input, 'sizeBytes', 'number');
    if (sizeBytes === null) throw new ValidationError('input.sizeBytes', 'is required: the exact length of the file');
    const state = await sessions.create(access, {
      runId,
      name: field(input, 'name', 'string') ?? '',
      kind: field(input, 'kind', 'string'),
      mediaType: field(input, 'mediaType', 'string'),
      key: field(input, 'key', 'string'),
      sha256: field(input, 'sha256', 'string') ?? '',
      sizeBytes,
    });
    sendJson(res, 201, stateJson(state), { location: sessionPath(state.uploadId) });
  }

  /** Serves /artifacts/uploads/<uploadId>[/complete]; false when the path is not one of these. */
  async function handle(req: IncomingMessage, res: ServerResponse, access: Access, rest: string[]): Promise<boolean> {
    const [, uploadId, action] = rest;
    if (!uploadId) return false;
    if (rest.length === 3 && action === 'complete') {
      if (req.method !== 'POST') return (sendJson(res, 405, errorBody('BAD_USER_INPUT', 'use POST to complete an upload'), { allow: 'POST' }), true);
      let created = false;
      // The door does not know the session's run; the audit row names it from the artifact.
      const artifact = await options.audited(access, null, async () => {
        const result = await sessions.complete(access, uploadId);
        created = result.created;
        return result.artifact;
      });
      sendJson(res, created ? 201 : 200, { artifact: options.artifactJson(artifact), created });
      return true;
    }
    if (rest.length !== 2) return false;
    switch (req.method) {
      case 'GET':
        sendJson(res, 200, stateJson(await sessions.status(access, uploadId)));
        return true;
      case 'PUT':
        sendJson(res, 200, stateJson(await sessions.putChunk(access, uploadId, offsetHeader(req), req, lengthHeader(req))));
        return true;
      case 'DELETE':
        await sessions.abort(access, uploadId);
        sendJson(res, 200, { uploadId, aborted: true });
        return true;
      default:
        sendJson(res, 405, errorBody('BAD_USER_INPUT', 'use GET, PUT or DELETE on an upload session'), { allow: 'GET, PUT, DELETE' });
        return true;
    }
  }

  return { open, handle };
}
