// What every ArtifactStore adapter must do for retention (list, delete, lastWrittenAt): a suite
// each adapter's test runs against a fresh, empty store (the filesystem one in
// artifact-store-fs.test.ts; an object-store adapter runs the same).
import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../src/modules/artifacts/store.js';

const bytes = (text: string) =>
  (async function* () {
    yield Buffer.from(text);
  })();
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function artifactStoreRetentionContract(name: string, makeStore: () => Promise<ArtifactStore>) {
  describe(`${name}: the retention part of the ArtifactStore contract`, () => {
    it('lists blobs in digest order, a page at a time, with size and last write', async () => {
      const store = await makeStore();
      const texts = Array.from({ length: 7 }, (_, i) => `blob ${i} ${randomUUID()}`);
      for (const t of texts) await store.put(bytes(t), { maxBytes: 1000 });
      const expected = texts.map(sha).sort();
      const first = await store.list({ limit: 3 });
      const rest = await store.list({ after: first.at(-1)!.digest, limit: 100 });
      expect([...first, ...rest].map((b) => b.digest)).toEqual(expected);
      const one = first[0]!;
      expect(one.sizeBytes).toBe(Buffer.byteLength(texts.find((t) => sha(t) === one.digest)!));
      expect(one.lastWrittenAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      expect(await store.list({ after: expected.at(-1)!, limit: 10 })).toEqual([]);
    });

    it('deletes only bytes not written since the instant given; a deduplicated put counts as a write', async () => {
      const store = await makeStore();
      const text = `wanted ${randomUUID()}`;
      await store.put(bytes(text), { maxBytes: 1000 });
      await pause(30);
      const decided = new Date();
      await pause(30);
      // An upload of the same bytes after the decision: they are wanted again and stay.
      expect((await store.put(bytes(text), { maxBytes: 1000 })).created).toBe(false);
      expect(await store.delete(sha(text), { notWrittenSince: decided })).toBe(false);
      expect((await store.stat(sha(text)))?.lastWrittenAt.getTime()).toBeGreaterThanOrEqual(decided.getTime());
      // Not written since: deleted; again: already gone (a retry).
      expect(await store.delete(sha(text), { notWrittenSince: new Date(Date.now() + 1000) })).toBe(true);
      expect(await store.stat(sha(text))).toBeNull();
      expect(await store.delete(sha(text), { notWrittenSince: new Date() })).toBe(false);
      // Stored again afterwards: a fresh copy.
      expect((await store.put(bytes(text), { maxBytes: 1000 })).created).toBe(true);
    });
  });
}
