// The contract every ArtifactStore adapter keeps (src/modules/artifacts/store.ts). Run by
// test/integration/artifact-store-contract.test.ts on the local directory always and on S3
// when TEST_S3_ENDPOINT names a server.
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LimitExceededError, ValidationError } from '../../src/errors.js';
import type { ArtifactStore } from '../../src/modules/artifacts/store.js';

export interface ArtifactStoreUnderTest {
  store: ArtifactStore;
  /** Bytes an upload may buffer before the adapter streams them on (multipart part size for S3). */
  partBytes: number;
  /** Staged objects or files and unfinished multipart uploads: 0 once every put settled. */
  leftovers(): Promise<number>;
  close(): Promise<void>;
}

const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

async function* chunked(data: Uint8Array, size = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, Math.min(data.length, i + size));
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Deterministic pseudo-random bytes, generated as they are read: a large file that never exists in memory. */
async function* generated(totalBytes: number, seed: number, onChunk?: (sent: number) => void): AsyncGenerator<Uint8Array> {
  const block = createHash('sha512').update(String(seed)).digest();
  const chunk = Buffer.alloc(256 * 1024);
  for (let i = 0; i < chunk.length; i += block.length) block.copy(chunk, i);
  let sent = 0;
  let n = 0;
  while (sent < totalBytes) {
    const size = Math.min(chunk.length, totalBytes - sent);
    const out = Buffer.from(chunk.subarray(0, size));
    out.writeUInt32BE(n++, 0); // every chunk differs, so the digest covers their order
    sent += size;
    onChunk?.(sent);
    yield out;
  }
}

async function digestOfGenerated(totalBytes: number, seed: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of generated(totalBytes, seed)) hash.update(chunk);
  return hash.digest('hex');
}

export function artifactStoreContract(name: string, open: () => Promise<ArtifactStoreUnderTest>, skipReason: string | null = null) {
  describe.skipIf(skipReason !== null)(`ArtifactStore contract: ${name}`, () => {
    let t: ArtifactStoreUnderTest;
    beforeAll(async () => {
      t = await open();
    });
    afterAll(async () => {
      await t?.close();
    });
    const MAX = 1024 ** 3;

    it('stores bytes under their sha256, reads them back whole, and knows their size', async () => {
      const data = randomBytes(100_000);
      const blob = await t.store.put(chunked(data), { maxBytes: MAX });
      expect(blob).toEqual({ digest: sha(data), sizeBytes: data.length, created: true });
      expect(await t.store.stat(blob.digest)).toEqual({ sizeBytes: data.length });
      expect((await readAll(await t.store.open(blob.digest))).equals(data)).toBe(true);
    });

    it('deduplicates: the same bytes again are not stored twice', async () => {
      const data = randomBytes(3000);
      const first = await t.store.put(chunked(data), { maxBytes: MAX, expectedSha256: sha(data) });
      const again = await t.store.put(chunked(data, 100), { maxBytes: MAX });
      expect(first.created).toBe(true);
      expect(again).toEqual({ digest: first.digest, sizeBytes: data.length, created: false });
    });

    it('an empty blob is a blob', async () => {
      const blob = await t.store.put(chunked(new Uint8Array(0)), { maxBytes: MAX });
      expect(blob.digest).toBe(sha(new Uint8Array(0)));
      expect(await t.store.stat(blob.digest)).toEqual({ sizeBytes: 0 });
    });

    for (const [label, size] of [
      ['a small upload', 10_000],
      ['a multipart-sized upload', -1],
    ] as const) {
      it(`refuses ${label} whose bytes do not match the announced sha256, keeping nothing`, async () => {
        const data = randomBytes(size < 0 ? t.partBytes + 1000 : size);
        const wrong = sha(Buffer.from('something else'));
        const error = await t.store.put(chunked(data), { maxBytes: MAX, expectedSha256: wrong }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe('sha256');
        expect((error as ValidationError).details).toMatchObject({ expected: wrong, actual: sha(data) });
        expect(await t.store.stat(sha(data))).toBeNull();
        expect(await t.store.stat(wrong)).toBeNull();
        expect(await t.leftovers()).toBe(0);
      });

      it(`refuses ${label} past maxBytes, keeping nothing`, async () => {
        const data = randomBytes(size < 0 ? t.partBytes * 2 + 10 : size);
        const error = await t.store.put(chunked(data), { maxBytes: data.length - 1 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(LimitExceededError);
        expect(await t.store.stat(sha(data))).toBeNull();
        expect(await t.leftovers()).toBe(0);
      });
    }

    it('exactly maxBytes is accepted', async () => {
      const data = randomBytes(4096);
      expect((await t.store.put(chunked(data), { maxBytes: 4096 })).sizeBytes).toBe(4096);
    });

    it('reads inclusive byte ranges: the first byte, the middle, the last byte', async () => {
      const data = randomBytes(50_000);
      const { digest } = await t.store.put(chunked(data), { maxBytes: MAX });
      for (const [start, end] of [
        [0, 0],
        [1000, 20_999],
        [49_999, 49_999],
        [0, 49_999],
      ] as const) {
        expect((await readAll(await t.store.open(digest, { start, end }))).equals(data.subarray(start, end + 1))).toBe(true);
      }
    });

    it('answers null for a missing blob and refuses a digest that is not 64 hex characters', async () => {
      expect(await t.store.stat(sha(randomBytes(8)))).toBeNull();
      await expect(t.store.open('../../etc/passwd')).rejects.toBeInstanceOf(ValidationError);
      await expect(t.store.stat('ABC')).rejects.toBeInstanceOf(ValidationError);
    });

    it('concurrent puts of the same bytes all succeed with one blob, whole', async () => {
      const data = randomBytes(t.partBytes + 300_000);
      const results = await Promise.all(Array.from({ length: 4 }, () => t.store.put(chunked(data), { maxBytes: MAX, expectedSha256: sha(data) })));
      expect(new Set(results.map((r) => r.digest))).toEqual(new Set([sha(data)]));
      expect(results.some((r) => r.created)).toBe(true);
      expect((await readAll(await t.store.open(sha(data)))).equals(data)).toBe(true);
      expect(await t.leftovers()).toBe(0);
    });

    it('streams a large upload that is never whole in memory: the source is read as the store takes it', async () => {
      const total = 8 * t.partBytes + 12_345;
      const blob = await t.store.put(generated(total, 7), { maxBytes: MAX });
      expect(blob).toEqual({ digest: await digestOfGenerated(total, 7), sizeBytes: total, created: true });
      const back = createHash('sha256');
      for await (const chunk of await t.store.open(blob.digest)) back.update(chunk as Buffer);
      expect(back.digest('hex')).toBe(blob.digest);
      expect(await t.leftovers()).toBe(0);
    });

    it('lists and deletes blobs (garbage collection)', async () => {
      const a = await t.store.put(chunked(randomBytes(500)), { maxBytes: MAX });
      const b = await t.store.put(chunked(randomBytes(600)), { maxBytes: MAX });
      const listed = new Map<string, number>();
      const before = Date.now() - 5 * 60_000;
      for await (const entry of t.store.list()) {
        listed.set(entry.digest, entry.sizeBytes);
        if (entry.digest === a.digest) expect(entry.storedAt.getTime()).toBeGreaterThan(before);
      }
      expect(listed.get(a.digest)).toBe(500);
      expect(listed.get(b.digest)).toBe(600);
      await t.store.delete(a.digest);
      await t.store.delete(a.digest); // missing is fine
      expect(await t.store.stat(a.digest)).toBeNull();
      expect(await t.store.stat(b.digest)).toEqual({ sizeBytes: 600 });
    });

    it('answers a readiness ping', async () => {
      await t.store.ping();
    });

    it('direct transfer, when offered: a presigned PUT of the announced bytes becomes a blob; other bytes never do', async () => {
      const direct = t.store.direct;
      if (!direct) return; // the local store offers none: its doors serve every byte
      const data = randomBytes(70_000);
      const blob = { sizeBytes: data.length, sha256: sha(data) };
      const put = await direct.presignPut('contract-ok', blob, 60);
      const res = await fetch(put.url, { method: 'PUT', headers: put.headers, body: data });
      expect(res.status).toBe(200);
      expect(await direct.adopt('contract-ok', blob)).toEqual({ digest: blob.sha256, sizeBytes: data.length, created: true });
      // Adopting twice: the staged bytes are gone.
      await expect(direct.adopt('contract-ok', blob)).rejects.toBeInstanceOf(ValidationError);

      // Different bytes of the same length under a URL signed for others: the store refuses them.
      const other = randomBytes(data.length);
      const put2 = await direct.presignPut('contract-bad', { sizeBytes: other.length, sha256: sha(data) }, 60);
      const refused = await fetch(put2.url, { method: 'PUT', headers: put2.headers, body: other });
      expect(refused.status).toBeGreaterThanOrEqual(400);
      await expect(direct.adopt('contract-bad', { sizeBytes: other.length, sha256: sha(data) })).rejects.toBeInstanceOf(ValidationError);
      expect(await t.leftovers()).toBe(0);

      const url = await direct.presignGet(blob.sha256, { fileName: 'model weights.bin', mediaType: 'application/octet-stream' }, 60);
      const ranged = await fetch(url, { headers: { range: 'bytes=100-199' } });
      expect(ranged.status).toBe(206);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(100, 200))).toBe(true);
      expect(ranged.headers.get('content-disposition')).toContain('attachment');
    });
  });
}
