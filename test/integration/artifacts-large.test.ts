// A 50 MB artifact through the streaming routes and through a resumable upload session's
// completion, measuring memory in this process, where both the server and the client run:
// growth must stay far below the file size. This is a memory bound, not a timing assertion.
import { createHash } from 'node:crypto';
import http from 'node:http';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { putArtifactStream } from '../support/artifacts.js';
import { newProject, newRun } from '../support/factories.js';
import { useServer } from '../support/server.js';
import { sessionClient } from '../support/upload-sessions.js';

const server = useServer();

const SIZE = 50 * 1024 * 1024;
const CHUNK = 64 * 1024;
const MB = 1024 * 1024;

/** Deterministic, non-repeating bytes produced chunk by chunk: the body never exists whole. */
async function* body(size: number, seed: number): AsyncGenerator<Uint8Array> {
  let state = seed >>> 0;
  for (let sent = 0; sent < size; sent += CHUNK) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK, size - sent));
    for (let i = 0; i + 4 <= chunk.length; i += 4) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      chunk.writeUInt32LE(state, i);
    }
    yield chunk;
  }
}

// Chunks already sent are garbage the collector has not reclaimed yet; collecting before each
// sample measures what is retained, which is what whole-file buffering would inflate.
v8.setFlagsFromString('--expose-gc');
// Free ArrayBuffer memory during the collection itself, so the counter is not behind it.
v8.setFlagsFromString('--no-concurrent-array-buffer-sweeping');
const gc = vm.runInNewContext('gc') as () => void;

/** Samples live memory (after a collection) while `work` runs; returns the peak growth over the start. */
async function peakGrowth<T>(work: () => Promise<T>): Promise<{ result: T; rss: number; arrayBuffers: number }> {
  gc();
  const start = process.memoryUsage();
  let rss = 0;
  let arrayBuffers = 0;
  const sample = () => {
    gc();
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss - start.rss);
    arrayBuffers = Math.max(arrayBuffers, now.arrayBuffers - start.arrayBuffers);
  };
  // Each sample is scheduled after the previous one, so collections never pile up.
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    sample();
    timer = setTimeout(tick, 50);
  };
  timer = setTimeout(tick, 50);
  try {
    const result = await work();
    sample();
    return { result, rss, arrayBuffers };
  } finally {
    clearTimeout(timer);
  }
}

describe('large artifacts', () => {
  it('uploads and downloads 50 MB through the streaming routes with memory growth far below the file size', async () => {
    const { client, url } = server();
    const run = await newRun(client, await newProject(client, 'large'));

    const expected = createHash('sha256');
    for await (const chunk of body(SIZE, 7)) expected.update(chunk);
    const digest = expected.digest('hex');

    // A small round trip first, so one-time growth (e.g. PGlite's WebAssembly memory, which
    // counts as ArrayBuffers) happens before measuring.
    const warm = await putArtifactStream(url, run.id, body(1024 * 1024, 1), { name: 'warm-up.bin' });
    for await (const _chunk of await new Promise<http.IncomingMessage>((resolve, reject) =>
      http.get(`${url}${warm.body.artifact!.downloadUrl}`, resolve).on('error', reject),
    ));

    const up = await peakGrowth(() => putArtifactStream(url, run.id, body(SIZE, 7), { name: 'model/weights.bin', kind: 'MODEL', sha256: digest }));
    expect(up.result.status).toBe(201);
    expect(up.result.body.artifact).toMatchObject({ digest, sizeBytes: SIZE });

    const down = await peakGrowth(async () => {
      // node:http reads only as fast as this loop consumes, so what is measured is the server.
      const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
        http.get(`${url}${up.result.body.artifact!.downloadUrl}`, resolve).on('error', reject),
      );
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of res as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
      }
      return { status: res.statusCode, length: res.headers['content-length'], size, digest: hash.digest('hex') };
    });
    expect(down.result).toEqual({ status: 200, length: String(SIZE), size: SIZE, digest });

    const report = {
      fileMB: SIZE / MB,
      uploadPeakRssGrowthMB: +(up.rss / MB).toFixed(1),
      uploadPeakArrayBufferGrowthMB: +(up.arrayBuffers / MB).toFixed(1),
      downloadPeakRssGrowthMB: +(down.rss / MB).toFixed(1),
      downloadPeakArrayBufferGrowthMB: +(down.arrayBuffers / MB).toFixed(1),
    };
    console.log('artifact streaming memory', JSON.stringify(report));
    // Whole-file buffering would add at least 50 MB of ArrayBuffers (Buffers) and of rss;
    // streaming keeps the live buffers to a few chunks.
    for (const growth of [up.arrayBuffers, down.arrayBuffers]) expect(growth).toBeLessThan(16 * MB);
    for (const growth of [up.rss, down.rss]) expect(growth).toBeLessThan(25 * MB);
  });

  it('completes a 50 MB upload session (its chunks read back one after another) with memory growth far below the file size', async () => {
    const { client, url } = server();
    const run = await newRun(client, await newProject(client, 'large-session'));
    const expected = createHash('sha256');
    for await (const chunk of body(SIZE, 11)) expected.update(chunk);
    const digest = expected.digest('hex');
    const api = sessionClient(url);
    const opened = await api.open(run.id, { name: 'model/session.bin', kind: 'MODEL', sizeBytes: SIZE, sha256: digest });
    expect(opened.status).toBe(201);
    // 8 MiB chunks, each made, sent and dropped before the next.
    let offset = 0;
    let pending: Buffer[] = [];
    for await (const piece of body(SIZE, 11)) {
      pending.push(Buffer.from(piece));
      const size = pending.reduce((n, b) => n + b.length, 0);
      if (size < 8 * MB && offset + size < SIZE) continue;
      const put = await api.put(opened.body.uploadId, offset, Buffer.concat(pending));
      expect(put.status).toBe(200);
      offset += size;
      pending = [];
    }
    const done = await peakGrowth(() => api.complete(opened.body.uploadId));
    expect(done.result.status).toBe(201);
    expect(done.result.body.artifact).toMatchObject({ digest, sizeBytes: SIZE });
    console.log(
      'upload session completion memory',
      JSON.stringify({ fileMB: SIZE / MB, peakRssGrowthMB: +(done.rss / MB).toFixed(1), peakArrayBufferGrowthMB: +(done.arrayBuffers / MB).toFixed(1) }),
    );
    expect(done.arrayBuffers).toBeLessThan(16 * MB);
    expect(done.rss).toBeLessThan(25 * MB);
  });
});
