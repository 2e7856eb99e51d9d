// Helpers for resumable upload sessions over real HTTP: open, PUT a chunk at an offset, ask the
// state, complete, abort; and a chunk cut off mid-body through a raw socket.
import net from 'node:net';

export interface SessionAnswer {
  status: number;
  body: any;
}

const json = async (res: Response): Promise<SessionAnswer> => ({ status: res.status, body: await res.json() });

export function sessionClient(baseUrl: string, headers: Record<string, string> = {}) {
  return {
    open: async (runId: string, input: Record<string, unknown>) =>
      json(
        await fetch(`${baseUrl}/artifacts/runs/${encodeURIComponent(runId)}/uploads`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(input),
        }),
      ),
    put: async (uploadId: string, offset: number | null, bytes: Uint8Array) =>
      json(
        await fetch(`${baseUrl}/artifacts/uploads/${uploadId}`, {
          method: 'PUT',
          headers: { ...(offset === null ? {} : { 'upload-offset': String(offset) }), ...headers },
          body: bytes as BodyInit,
        }),
      ),
    status: async (uploadId: string) => json(await fetch(`${baseUrl}/artifacts/uploads/${uploadId}`, { headers })),
    complete: async (uploadId: string) => json(await fetch(`${baseUrl}/artifacts/uploads/${uploadId}/complete`, { method: 'POST', headers })),
    abort: async (uploadId: string) => json(await fetch(`${baseUrl}/artifacts/uploads/${uploadId}`, { method: 'DELETE', headers })),
  };
}

/**
 * Sends a chunk's headers (declaring all of it) and only `sent` bytes of it, then destroys the
 * socket once the server has read them: a connection dropped mid-chunk.
 */
export async function cutChunk(baseUrl: string, uploadId: string, offset: number, chunk: Uint8Array, sent: number): Promise<void> {
  const url = new URL(baseUrl);
  const socket = net.connect(Number(url.port), url.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  socket.write(
    `PUT /artifacts/uploads/${uploadId} HTTP/1.1\r\nhost: ${url.host}\r\nupload-offset: ${offset}\r\ncontent-length: ${chunk.length}\r\n` +
      'content-type: application/octet-stream\r\n\r\n',
  );
  await new Promise<void>((resolve) => socket.write(chunk.subarray(0, sent), () => resolve()));
  // Give the server time to take the bytes into its store, so the cut lands mid-put.
  await new Promise((resolve) => setTimeout(resolve, 300));
  socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 200));
}
