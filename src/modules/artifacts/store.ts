// The ArtifactStore port: bytes stored by their sha256, never by a name a client chose.
import type { Readable } from 'node:stream';

export interface StoredBlob {
  /** Lowercase hex sha256 of the bytes. */
  digest: string;
  sizeBytes: number;
  /** False when the same bytes were already stored (deduplicated). */
  created: boolean;
}

export interface PutOptions {
  /** When given, the bytes must hash to this digest or nothing is kept. */
  expectedSha256?: string | null;
  /** Uploads longer than this are aborted and nothing is kept. */
  maxBytes: number;
}

export interface ArtifactStore {
  /**
   * Streams `source` into the store while hashing it; never holds the whole file in memory.
   * Throws ValidationError on a digest mismatch, LimitExceededError past maxBytes and
   * InsufficientStorageError when the store has no room, keeping nothing.
   */
  put(source: AsyncIterable<Uint8Array>, options: PutOptions): Promise<StoredBlob>;
  /** Size of a stored blob, or null when it is missing. */
  stat(digest: string): Promise<{ sizeBytes: number } | null>;
  /** Reads a blob, or the inclusive byte range [start, end] of it. */
  open(digest: string, range?: { start: number; end: number }): Readable;
}

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
