// ArtifactStore on a local directory: <dir>/sha256/ab/cd/<digest>. Uploads land in
// <dir>/tmp under a random name and are renamed into place only once their digest is known
// and checked, so a half-written or mismatched upload is never visible. A full disk (ENOSPC,
// EDQUOT) removes the partial file and becomes INSUFFICIENT_STORAGE.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { InsufficientStorageError, LimitExceededError, ValidationError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { type ArtifactStore, blobKey, SHA256_PATTERN, type StoredBlob } from './store.js';

export function createFsArtifactStore(root: string, log?: Logger): ArtifactStore {
  const base = path.resolve(root);
  const tmpDir = path.join(base, 'tmp');

  // The only way a path is built: from a validated hex digest.
  function blobPath(digest: string): string {
    if (!SHA256_PATTERN.test(digest)) throw new ValidationError('digest', 'must be 64 lowercase hex characters');
    return path.join(base, ...blobKey(digest).split('/'));
  }

  return {
    kind: 'fs',

    async put(source, options): Promise<StoredBlob> {
      const expected = options.expectedSha256 ?? null;
      const tmp = path.join(tmpDir, `${randomUUID()}.part`);
      const hash = createHash('sha256');
      let size = 0;
      try {
        await mkdir(tmpDir, { recursive: true });
        await writeFile(source, tmp, (chunk) => {
          size += chunk.length;
          if (size > options.maxBytes)
            throw new LimitExceededError(`artifact is larger than the limit of ${options.maxBytes} bytes`, { limit: options.maxBytes });
          hash.update(chunk);
        });
        const digest = hash.digest('hex');
        if (expected !== null && digest !== expected) {
          throw new ValidationError('sha256', `the bytes received hash to ${digest}, not the ${expected} the client sent; nothing was stored`, {
            expected,
            actual: digest,
          });
        }
        const target = blobPath(digest);
        if (await exists(target)) {
          await rm(tmp, { force: true });
          return { digest, sizeBytes: size, created: false };
        }
        await mkdir(path.dirname(target), { recursive: true });
        // Atomic within one filesystem; two concurrent uploads of the same bytes both rename
        // identical content, so the loser changes nothing.
        await rename(tmp, target);
        return { digest, sizeBytes: size, created: true };
      } catch (error) {
        await rm(tmp, { force: true });
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOSPC' || code === 'EDQUOT') {
          log?.error('artifact store is full', { dir: base, received: size, err: error });
          throw new InsufficientStorageError(
            `the artifact store is full: no space left to store this upload (${size} bytes received); nothing was stored. Retry once space is freed.`,
            { receivedBytes: size },
          );
        }
        throw error;
      }
    },

    async stat(digest) {
      try {
        return { sizeBytes: (await stat(blobPath(digest))).size };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },

    async open(digest, range) {
      return createReadStream(blobPath(digest), range ? { start: range.start, end: range.end } : {});
    },

    async delete(digest) {
      await rm(blobPath(digest), { force: true });
    },

    async *list() {
      const shards = await readdir(path.join(base, 'sha256')).catch(() => [] as string[]);
      for (const a of shards) {
        for (const b of await readdir(path.join(base, 'sha256', a)).catch(() => [] as string[])) {
          for (const digest of await readdir(path.join(base, 'sha256', a, b)).catch(() => [] as string[])) {
            if (!SHA256_PATTERN.test(digest)) continue;
            const stats = await stat(path.join(base, 'sha256', a, b, digest)).catch(() => null);
            if (stats) yield { digest, sizeBytes: stats.size, storedAt: stats.mtime };
          }
        }
      }
    },

    async ping() {
      await mkdir(tmpDir, { recursive: true });
    },
  };
}

/**
 * Writes the chunks of `source` to a new file, calling `check` on each first (it may throw).
 * On failure the source is left as it is rather than destroyed: destroying an HTTP request
 * body would reset the connection before the client could read why its upload failed.
 */
async function writeFile(source: AsyncIterable<Uint8Array>, file: string, check: (chunk: Uint8Array) => void): Promise<void> {
  const out = createWriteStream(file, { flags: 'wx' });
  let failure: unknown = null;
  out.on('error', (error) => (failure ??= error));
  const whenDrained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        out.off('drain', done);
        out.off('close', done);
        resolve();
      };
      out.on('drain', done);
      out.on('close', done);
    });
  const iterator = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (failure) throw failure;
      const next = await iterator.next();
      if (next.done) break;
      check(next.value);
      if (!out.write(next.value)) await whenDrained();
    }
    if (failure) throw failure;
    out.end();
    await finished(out);
  } catch (error) {
    out.destroy();
    await finished(out).catch(() => {});
    throw failure ?? error;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
