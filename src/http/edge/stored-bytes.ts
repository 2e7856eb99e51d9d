// The one way stored bytes (artifacts) leave the server, whichever door asked (/artifacts/<id>,
// MLflow's artifact proxy): always as a download (attachment), never sniffed, in a sandbox with
// no script and no origin should a browser render them anyway, and never labelled with a type
// a browser would run (HTML, SVG, XML, JavaScript...) on the dashboard's origin. ETags, If-None-
// Match, single byte ranges and HEAD are answered here too, the same for every door.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Artifact } from '../../modules/artifacts/service.js';
import { STORED_BYTES_POLICY } from './headers.js';

export interface ByteRange {
  start: number;
  end: number;
}

/** An inclusive byte range, 'unsatisfiable', or null to serve the whole file (absent, malformed or multi-range headers). */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Number(m[2]);
  if (last < start) return null; // an invalid range is ignored, as RFC 9110 says
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(last, size - 1) };
}

// Types a browser renders as a document that can run script, or runs as script or style.
const ACTIVE =
  /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|text\/xsl|application\/xslt\+xml|[^/]+\/[^/]+\+xml|text\/(x-)?javascript|application\/(x-)?javascript|text\/ecmascript|application\/ecmascript|text\/css|application\/pdf|multipart\/.*|application\/x-shockwave-flash|text\/cache-manifest|application\/wasm)$/;
const TOKEN_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

/** The Content-Type to send for a stored media type: itself when inert and well-formed, else application/octet-stream. */
export function servedContentType(mediaType: string): string {
  const essence = mediaType.split(';')[0]!.trim().toLowerCase();
  if (!TOKEN_TYPE.test(essence) || ACTIVE.test(essence)) return 'application/octet-stream';
  // Parameters (charset) only when they are plain header text.
  return /^[\x20-\x7e]*$/.test(mediaType) ? mediaType.trim() : essence;
}

/** `attachment`, with the file name percent-encoded (a label, never a path on the server). */
export function attachment(name: string): string {
  return `attachment; filename*=UTF-8''${encodeURIComponent(name.split('/').at(-1) || 'artifact')}`;
}

/** Serves an artifact's bytes (or a range of them) to `res`; `open` streams them from the store. */
export async function serveStoredBytes(
  req: IncomingMessage,
  res: ServerResponse,
  artifact: Pick<Artifact, 'name' | 'digest' | 'sizeBytes' | 'mediaType'>,
  open: (range?: ByteRange) => Promise<Readable>,
): Promise<void> {
  const size = Number(artifact.sizeBytes);
  const etag = `"${artifact.digest}"`;
  const headers: Record<string, string | number> = {
    'content-type': servedContentType(artifact.mediaType),
    etag,
    'accept-ranges': 'bytes',
    'content-disposition': attachment(artifact.name),
    'x-content-type-options': 'nosniff',
    'content-security-policy': STORED_BYTES_POLICY,
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'private, max-age=31536000, immutable',
  };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const range = req.headers['if-range'] && req.headers['if-range'] !== etag ? null : parseRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'content-range': `bytes */${size}`, 'content-type': 'text/plain' });
    res.end(`requested range is outside the ${size} bytes of this artifact`);
    return;
  }
  const length = range ? range.end - range.start + 1 : size;
  const status = range ? 206 : 200;
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
  if (req.method === 'HEAD' || size === 0) {
    res.writeHead(status, { ...headers, 'content-length': length });
    res.end();
    return;
  }
  const stream = await open(range ?? undefined);
  res.writeHead(status, { ...headers, 'content-length': length });
  await pipeline(stream, res);
}
