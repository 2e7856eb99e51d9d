// Helpers for the artifact HTTP routes: streaming PUT uploads and GET downloads over real HTTP.
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

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
  body: { artifact?: ArtifactJson; created?: boolean; errors?: { message: string; extensions: { code: string } }[] };
}

export const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** PUT /artifacts/runs/<runId>; the body may be bytes or a stream (sent chunked, never buffered). */
export async function putArtifact(
  baseUrl: string,
  runId: string,
  body: string | Uint8Array | AsyncIterable<Uint8Array>,
  query: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<PutResult> {
  const url = `${baseUrl}/artifacts/runs/${encodeURIComponent(runId)}?${new URLSearchParams(query)}`;
  const streamed = typeof body !== 'string' && !(body instanceof Uint8Array);
  const res = await fetch(url, {
    method: 'PUT',
    headers,
    body: streamed ? (Readable.toWeb(Readable.from(body)) as unknown as BodyInit) : (body as BodyInit),
    ...(streamed ? { duplex: 'half' } : {}),
  } as RequestInit);
  return { status: res.status, body: (await res.json()) as PutResult['body'] };
}

/** Every file under a directory, relative to it. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}
