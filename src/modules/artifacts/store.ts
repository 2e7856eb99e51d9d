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

export interface BlobInfo {
  digest: string;
  sizeBytes: number;
  /**
   * When the bytes were last written: by their first put, or by a later put of the same bytes
   * (a deduplicated upload). Retention deletes a blob only when no artifact refers to it and
   * this is older than its safety window, so an upload whose put found the bytes already stored
   * and whose artifact row is about to be written never loses them.
   */
  lastWrittenAt: Date;
}

export interface ArtifactStore {
  /**
   * Streams `source` into the store while hashing it; never holds the whole file in memory.
   * Throws ValidationError on a digest mismatch, LimitExceededError past maxBytes and
   * InsufficientStorageError when the store has no room, keeping nothing. A put of bytes
   * already stored keeps one copy and refreshes its lastWrittenAt.
   */
  put(source: AsyncIterable<Uint8Array>, options: PutOptions): Promise<StoredBlob>;
  /** Size and last write of a stored blob, or null when it is missing. */
  stat(digest: string): Promise<{ sizeBytes: number; lastWrittenAt: Date } | null>;
  /**
   * Stored blobs in ascending digest order, after `after` (exclusive), at most `limit`: a full
   * listing pages through with the last digest of each page.
   */
  list(options: { after?: string | null; limit: number }): Promise<BlobInfo[]>;
  /**
   * Deletes a blob's bytes unless they were written (put, deduplicated or not) at or after
   * `notWrittenSince`; true when deleted, false when missing (a retry) or written since. The check
   * and the delete are one step with respect to put: a put that finds the bytes either refreshes
   * them before the check (and they stay) or finds them gone and stores them again. The caller
   * decides the blob is unreferenced by artifact rows, then passes the instant it decided minus
   * a quiet window longer than an upload takes from its put to its row.
   */
  delete(digest: string, options: { notWrittenSince: Date }): Promise<boolean>;
  /** Reads a blob, or the inclusive byte range [start, end] of it. */
  open(digest: string, range?: { start: number; end: number }): Readable;
}

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
