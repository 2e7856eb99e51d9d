// Helpers for the artifact HTTP routes: streaming PUT uploads and GET downloads over real HTTP.
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import http from 'node:http';

export interface ArtifactJson {
  id: string;
  name: string;
  kind: string;
  digest: string;
  sizeBytes: number;
  mediaType: string;
  downloadUrl: string;
}

export interface PutResult {
  status: number;
  headers?: Record<string, string | string[] | undefined>;
  body: { artifact?: ArtifactJson; created?: boolean; errors?: { message: string; extensions: { code: string } }[] };
}

export const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** PUT /artifacts/runs/<runId> with a body of bytes. */
export async function putArtifact(
  baseUrl: string,
  runId: string,
  body: string | Uint8Array,
  query: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<PutResult> {
  const res = await fetch(artifactPutUrl(baseUrl, runId, query), { method: 'PUT', headers, body: body as BodyInit });
  return { status: res.status, body: (await res.json()) as PutResult['body'] };
}

export function artifactPutUrl(baseUrl: string, runId: string, query: Record<string, string>): string {
  return `${baseUrl}/artifacts/runs/${encodeURIComponent(runId)}?${new URLSearchParams(query)}`;
}

/**
 * PUT with a streamed body, sent chunked with backpressure: a chunk is produced only when the
 * socket takes it. (fetch with an async-iterable body reads ahead of the socket and holds the
 * file in memory on the client side, which would hide what the server does.)
 */
export async function putArtifactStream(baseUrl: string, runId: string, body: AsyncIterable<Uint8Array>, query: Record<string, string>): Promise<PutResult> {
  const req = http.request(artifactPutUrl(baseUrl, runId, query), { method: 'PUT', headers: { 'content-type': 'application/octet-stream' } });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  // A server that refuses an upload mid-stream answers and closes the connection while the body
  // is still being sent: stop sending once an answer arrives, and read it (destroying the
  // request on a failed write, as pipeline() does, would throw the answer away with the socket).
  let answered = false;
  const writable = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        req.off('drain', done);
        req.off('close', done);
        resolve();
      };
      req.on('drain', done);
      req.on('close', done);
      response.then(done, done);
    });
  const sent = (async () => {
    for await (const chunk of body) {
      if (answered || req.destroyed) return;
      if (!req.write(chunk)) await writable();
    }
    req.end();
  })().catch(() => {});
  const res = await response;
  answered = true;
  await Promise.race([sent, new Promise((resolve) => setTimeout(resolve, 10))]);
  let text = '';
  for await (const chunk of res) text += chunk;
  return { status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as PutResult['body'] };
}

/** Every file under a directory, relative to it. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}
