// The ArtifactStore port: bytes stored by their sha256, never by a name a client chose. Two
// adapters: a local directory (store-fs.ts, the default) and S3-compatible object storage
// (store-s3.ts). Both pass test/support/artifact-store-contract.ts.
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

export interface ListedBlob {
  digest: string;
  sizeBytes: number;
  /** When the blob was written: a collector leaves young blobs alone, whose rows may be on their way. */
  storedAt: Date;
}

/** An inclusive byte range, as HTTP's Range header counts. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The contract every adapter passes:
 * - put streams, hashing as it goes, and never holds the whole file in memory; the blob becomes
 *   visible under its digest only once complete and checked, so a reader never sees part of
 *   one, and a failed put (digest mismatch, size limit, store outage, client gone) keeps nothing
 *   visible. Putting bytes already stored answers created: false and changes nothing; any
 *   number of concurrent puts of the same bytes all succeed with the same digest.
 * - Errors: ValidationError (field sha256) on a digest mismatch, LimitExceededError past
 *   maxBytes, InsufficientStorageError when the store is full, UnavailableError (retryable)
 *   when the store cannot be reached. Nothing else is expected.
 * - stat answers null for a missing blob; open rejects a digest that is not 64 hex characters.
 */
export interface ArtifactStore {
  /** 'fs' or 's3': reported by /readyz and the benchmarks. */
  readonly kind: 'fs' | 's3';
  put(source: AsyncIterable<Uint8Array>, options: PutOptions): Promise<StoredBlob>;
  /** Size of a stored blob, or null when it is missing. */
  stat(digest: string): Promise<{ sizeBytes: number } | null>;
  /** Reads a blob, or the inclusive byte range [start, end] of it (the caller checked it lies within). */
  open(digest: string, range?: ByteRange): Promise<Readable>;
  /** Removes a blob (garbage collection: the caller knows no artifact refers to it); missing is fine. */
  delete(digest: string): Promise<void>;
  /** Every stored blob, in no particular order, with when it was written (garbage collection). */
  list(): AsyncIterable<ListedBlob>;
  /** Throws UnavailableError unless the store answers (readiness). */
  ping(): Promise<void>;
  /** Present when clients can move bytes to and from the store directly, skipping this process. */
  readonly direct?: DirectTransfer;
}

/**
 * Presigned direct transfer (MLflow's no-serve-artifacts idea): the service hands a client
 * short-lived URLs, the bytes go straight between the client and the store. An upload lands
 * at a staging key the service chose; `adopt` checks its size and sha256 (the store's own
 * checksum when it kept one, else by reading it back) before it becomes a blob.
 */
export interface DirectTransfer {
  /** A URL to PUT exactly `sizeBytes` bytes to, with these headers; the store refuses other bytes when it checks checksums. */
  presignPut(stagingKey: string, blob: { sizeBytes: number; sha256: string }, expiresInSeconds: number): Promise<PresignedRequest>;
  /**
   * Turns staged bytes into a blob, once they are exactly the bytes announced. Throws
   * ValidationError (field upload) when nothing was uploaded or the size or digest differ,
   * and removes the staged bytes then.
   */
  adopt(stagingKey: string, blob: { sizeBytes: number; sha256: string }): Promise<StoredBlob>;
  /** Removes staged bytes (an abandoned upload); missing is fine. */
  discard(stagingKey: string): Promise<void>;
  /** A URL that GETs the blob (Range works) as an attachment named `fileName`. */
  presignGet(digest: string, download: { fileName: string; mediaType: string }, expiresInSeconds: number): Promise<string>;
}

export interface PresignedRequest {
  url: string;
  method: 'PUT';
  /** Headers the request must carry exactly (they are signed). */
  headers: Record<string, string>;
}

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** Where a blob lives under a store's root: sha256/ab/cd/<digest>, the same in both adapters. */
export function blobKey(digest: string): string {
  return `sha256/${digest.slice(0, 2)}/${digest.slice(2, 4)}/${digest}`;
}

/**
 * Iterates a source without ever calling its `return()`: breaking out of `for await` over an
 * HTTP request body destroys it, which resets the connection before the client can read why
 * its upload was refused.
 */
export async function* chunksOf(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    yield next.value;
  }
}
