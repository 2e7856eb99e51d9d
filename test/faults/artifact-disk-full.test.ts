// Artifact uploads onto a disk that fills up: the client gets a clear error (HTTP 507, or the
// GraphQL code INSUFFICIENT_STORAGE), nothing of the failed upload stays visible (no artifact
// row, no lineage edge, no blob, no temp file), and the next upload after space is freed works.
//
// The disk is real: a 1 MiB tmpfs mounted over the server's artifact directory, so the kernel
// itself answers ENOSPC mid-write. Mounting needs root (CAP_SYS_ADMIN); where it is refused
// (a developer's laptop, an unprivileged container) the file is skipped with the reason.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunArtifactsDocument } from '../generated/graphql.js';
import { listFiles, putArtifact, putArtifactStream, sha256 } from '../support/artifacts.js';
import { newProject, newRun } from '../support/factories.js';
import { startServer, type TestServer, testConfig } from '../support/server.js';

const run = promisify(execFile);
const DISK_BYTES = 1024 * 1024;

async function mountTmpfs(dir: string): Promise<void> {
  await run('mount', ['-t', 'tmpfs', '-o', `size=${DISK_BYTES},mode=0700`, 'tmpfs', dir]);
}

/** Why a small tmpfs cannot be mounted here, or null when it can (tried on a scratch directory). */
async function tmpfsUnavailableReason(): Promise<string | null> {
  if (process.platform !== 'linux') return `tmpfs mounts need Linux (this is ${process.platform})`;
  const probe = mkdtempSync(path.join(os.tmpdir(), 'runledger-tmpfs-probe-'));
  try {
    await mountTmpfs(probe);
    await run('umount', [probe]);
    return null;
  } catch (error) {
    return `cannot mount a tmpfs to fill up (needs root / CAP_SYS_ADMIN): ${String((error as { stderr?: string }).stderr || error).trim()}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const unavailable = await tmpfsUnavailableReason();
if (unavailable) console.warn(`artifact disk-full fault test not run: ${unavailable}`);

/** Deterministic bytes, sent in 64 KiB chunks so the upload is streamed, not buffered. */
function bytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}
async function* chunked(data: Buffer): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += 64 * 1024) yield data.subarray(i, i + 64 * 1024);
}

describe.runIf(!unavailable)('artifact uploads onto a full disk', () => {
  let server: TestServer;
  let dir: string;
  let mounted = false;

  beforeAll(async () => {
    const config = testConfig();
    dir = config.artifacts.dir;
    await mountTmpfs(dir);
    mounted = true;
    server = await startServer(config);
  });

  afterAll(async () => {
    await server?.app.stop();
    if (mounted) await run('umount', [dir]).catch((error: unknown) => console.warn(`umount ${dir} failed: ${String(error)}`));
    rmSync(dir, { recursive: true, force: true });
  });

  async function artifactsOf(runId: string) {
    const { run: r } = await server.client.data(RunArtifactsDocument, { id: runId });
    return r?.artifacts ?? [];
  }

  async function lineageEdgesTo(runId: string): Promise<number> {
    const id = Number(Buffer.from(runId, 'base64').toString('utf8').split(':')[1]);
    const rows = await server.app.db.sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM lineage_edges WHERE from_type = 'Run' AND from_id = $1 AND kind = 'PRODUCED'`,
      [id],
    );
    return rows[0]!.n;
  }

  /** The store holds exactly these blobs and nothing else: no temp file, no partial blob. */
  async function expectStoreHolds(digests: string[]) {
    const files = (await listFiles(dir)).filter((f) => !f.startsWith('filler'));
    expect(files).toEqual(digests.map((d) => path.join('sha256', d.slice(0, 2), d.slice(2, 4), d)).sort());
  }

  it('refuses a streamed PUT that does not fit with 507, and keeps nothing of it', async () => {
    const runId = (await newRun(server.client, await newProject(server.client, 'disk-full'))).id;
    const big = bytes(2 * DISK_BYTES, 1);
    const res = await putArtifactStream(server.url, runId, chunked(big), { name: 'weights.bin', kind: 'MODEL' });
    expect(res.status).toBe(507);
    expect(res.body.errors?.[0]?.extensions.code).toBe('INSUFFICIENT_STORAGE');
    expect(res.body.errors?.[0]?.message).toMatch(/artifact store is full/);
    expect(await artifactsOf(runId)).toEqual([]);
    expect(await lineageEdgesTo(runId)).toBe(0);
    await expectStoreHolds([]);
    // The partial file's space was given back.
    const { bfree, blocks } = statfsSync(dir);
    expect(bfree).toBe(blocks);
    // The server logged why, for whoever has to free the space.
    expect(server.loggedErrors.some((l) => l.includes('artifact store is full'))).toBe(true);
  });

  it('refuses a GraphQL multipart upload that does not fit with INSUFFICIENT_STORAGE, and keeps nothing of it', async () => {
    const runId = (await newRun(server.client, await newProject(server.client, 'disk-full'))).id;
    const big = bytes(2 * DISK_BYTES, 2);
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({
        query: 'mutation ($input: UploadArtifactInput!) { uploadArtifact(input: $input) { created artifact { id } } }',
        variables: { input: { runId, file: null, kind: 'CHECKPOINT' } },
      }),
    );
    form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
    form.append('0', new Blob([new Uint8Array(big)]), 'ckpt.bin');
    const res = await fetch(`${server.url}/graphql`, { method: 'POST', body: form, headers: { 'x-graphql-yoga-csrf': '1' } });
    const body = (await res.json()) as { data?: unknown; errors?: { message: string; extensions: { code: string } }[] };
    expect(body.errors?.[0]?.extensions.code).toBe('INSUFFICIENT_STORAGE');
    expect(body.errors?.[0]?.message).toMatch(/artifact store is full/);
    expect(await artifactsOf(runId)).toEqual([]);
    expect(await lineageEdgesTo(runId)).toBe(0);
    await expectStoreHolds([]);
  });

  it('stores the same upload once space is freed', async () => {
    const runId = (await newRun(server.client, await newProject(server.client, 'disk-full'))).id;
    const data = bytes(300 * 1024, 3);
    // Something else took most of the disk.
    const filler = path.join(dir, 'filler');
    writeFileSync(filler, Buffer.alloc(DISK_BYTES - 200 * 1024));
    const refused = await putArtifactStream(server.url, runId, chunked(data), { name: 'plot.bin', kind: 'PLOT', sha256: sha256(data) });
    expect(refused.status).toBe(507);
    expect(await artifactsOf(runId)).toEqual([]);
    await expectStoreHolds([]);

    await rm(filler);
    const stored = await putArtifact(server.url, runId, data, { name: 'plot.bin', kind: 'PLOT', sha256: sha256(data) });
    expect(stored.status).toBe(201);
    expect(stored.body.artifact).toMatchObject({ digest: sha256(data), sizeBytes: data.length });
    expect((await artifactsOf(runId)).map((a) => a.digest)).toEqual([sha256(data)]);
    expect(await lineageEdgesTo(runId)).toBe(1);
    await expectStoreHolds([sha256(data)]);
    const back = Buffer.from(await (await fetch(`${server.url}${stored.body.artifact!.downloadUrl}`)).arrayBuffer());
    expect(back.equals(data)).toBe(true);
  });
});
