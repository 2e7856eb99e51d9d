// ArtifactStore on a local directory: <dir>/sha256/ab/cd/<digest>. Uploads land in
// <dir>/tmp under a random name and are renamed into place only once their digest is known
// and checked, so a half-written or mismatched upload is never visible.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LimitExceededError, ValidationError } from '../../errors.js';
import { type ArtifactStore, SHA256_PATTERN, type StoredBlob } from './store.js';

export function createFsArtifactStore(root: string): ArtifactStore {
  const base = path.resolve(root);
  const tmpDir = path.join(base, 'tmp');

  // The only way a path is built: from a validated hex digest.
  function blobPath(digest: string): string {
    if (!SHA256_PATTERN.test(digest)) throw new ValidationError('digest', 'must be 64 lowercase hex characters');
    return path.join(base, 'sha256', digest.slice(0, 2), digest.slice(2, 4), digest);
  }

  return {
    async put(source, options): Promise<StoredBlob> {
      const expected = options.expectedSha256 ?? null;
      await mkdir(tmpDir, { recursive: true });
      const tmp = path.join(tmpDir, `${randomUUID()}.part`);
      const hash = createHash('sha256');
      let size = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          if (size > options.maxBytes) {
            done(new LimitExceededError(`artifact is larger than the limit of ${options.maxBytes} bytes`, { limit: options.maxBytes }));
            return;
          }
          hash.update(chunk);
          done(null, chunk);
        },
      });
      try {
        await pipeline(source, meter, createWriteStream(tmp, { flags: 'wx' }));
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

    open(digest, range) {
      return createReadStream(blobPath(digest), range ? { start: range.start, end: range.end } : {});
    },
  };
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
