// ArtifactStore on S3-compatible object storage (AWS SDK v3): blobs at <prefix>sha256/ab/cd/<digest>.
// A small upload (one part) is hashed in memory and written straight to its content key. A
// larger one streams as a multipart upload while it is hashed: to its content key when the
// client announced the digest (completed only if the bytes match), else to <prefix>tmp/<uuid>,
// copied server-side to its content key once the digest is known. A failed upload is aborted
// and its staging object removed, so nothing half-written is ever visible under a digest; what
// an outage leaves behind is swept by sweepStaging (and by a bucket lifecycle rule in
// production, see docs/deploy.md).
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { LimitExceededError, ValidationError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { isNotFound, statusOf, translate, translating } from './s3-errors.js';
import { PartUploader, sender } from './s3-multipart.js';
import { type ArtifactStore, blobKey, chunksOf, type DirectTransfer, SHA256_PATTERN, type StoredBlob } from './store.js';

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix, '' or ending in '/'. */
  prefix: string;
  /** The client the server talks to the store with. */
  client: S3Client;
  /** The client presigned URLs are made with, when clients reach the store at another address; defaults to `client`. */
  presignClient?: S3Client;
  /** Bytes per multipart part (at least 5 MiB, S3's minimum for all but the last part). */
  partBytes?: number;
  /** Parts in flight at once per upload: memory per upload is about partBytes × (this + 1). */
  partConcurrency?: number;
  /** Objects above this are copied part by part (S3's CopyObject takes at most 5 GiB). */
  copyPartBytes?: number;
  /** Whether clients get presigned URLs (direct transfer). */
  direct?: boolean;
  log?: Logger;
}

export interface S3ClientOptions {
  endpoint: string | null;
  region: string;
  forcePathStyle: boolean;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | null;
  /** Attempts per request (the SDK retries connection failures and 5xx with backoff). */
  maxAttempts?: number;
}

const MIB = 1024 * 1024;
/** S3's limit for CopyObject and for a single PUT. */
const SINGLE_REQUEST_MAX = 5 * 1024 * MIB;

/** An S3 client for the store; credentials null means the SDK's default chain (instance roles, web identity). */
export function createS3Client(options: S3ClientOptions): S3Client {
  return new S3Client({
    endpoint: options.endpoint ?? undefined,
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    credentials: options.credentials ?? undefined,
    maxAttempts: options.maxAttempts ?? 3,
    // The store verifies what we send through SigV4's payload hash (or TLS), and we hash every
    // byte ourselves; a CRC32 of each part as well would cost CPU for no added guarantee.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
  });
}

export function createS3ArtifactStore(options: S3StoreOptions): ArtifactStore {
  const { client, bucket, log } = options;
  const prefix = options.prefix;
  const partBytes = Math.max(5 * MIB, options.partBytes ?? 8 * MIB);
  const partConcurrency = Math.max(1, options.partConcurrency ?? 4);
  const copyPartBytes = options.copyPartBytes ?? SINGLE_REQUEST_MAX;
  const contentKey = (digest: string) => {
    if (!SHA256_PATTERN.test(digest)) throw new ValidationError('digest', 'must be 64 lowercase hex characters');
    return `${prefix}${blobKey(digest)}`;
  };
  const stagingKey = (name: string) => `${prefix}tmp/${name}`;
  const send = sender(client);

  async function exists(key: string): Promise<number | null> {
    try {
      const head = await send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async function remove(key: string): Promise<void> {
    await send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }

  /** Best effort: the original error is what the caller must hear about. */
  async function quietly(what: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      log?.warn('artifact store cleanup failed; sweepStaging removes it later', { what, err: error });
    }
  }

  /** Copies `from` to `to` on the store's side: one request up to 5 GiB, part by part above. */
  async function copy(from: string, to: string, size: number): Promise<void> {
    const source = `${bucket}/${from.split('/').map(encodeURIComponent).join('/')}`;
    if (size <= copyPartBytes) {
      await send(new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource: source }));
      return;
    }
    const { UploadId } = await send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: to }));
    try {
      const parts: { PartNumber: number; ETag: string }[] = [];
      for (let start = 0, n = 1; start < size; start += copyPartBytes, n += 1) {
        const end = Math.min(size, start + copyPartBytes) - 1;
        const r = await send(
          new UploadPartCopyCommand({ Bucket: bucket, Key: to, UploadId, PartNumber: n, CopySource: source, CopySourceRange: `bytes=${start}-${end}` }),
        );
        parts.push({ PartNumber: n, ETag: r.CopyPartResult?.ETag ?? '' });
      }
      await send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: to, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (error) {
      await quietly('abort multipart copy', () => send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: to, UploadId })));
      throw error;
    }
  }

  /** Moves a complete staging object under its digest (or drops it when the digest is already stored). */
  async function promote(staged: string, digest: string, size: number): Promise<StoredBlob> {
    const target = contentKey(digest);
    let created = false;
    if ((await exists(target)) === null) {
      await copy(staged, target, size);
      created = true;
    }
    await quietly('remove staged upload', () => remove(staged));
    return { digest, sizeBytes: size, created };
  }

  async function put(source: AsyncIterable<Uint8Array>, opts: { expectedSha256?: string | null; maxBytes: number }): Promise<StoredBlob> {
    const expected = opts.expectedSha256 ?? null;
    // With the digest announced, the multipart upload can target the content key itself: an
    // upload becomes visible only when completed, and it is completed only once the bytes hash
    // to that digest, so the copy from a staging key is saved. Bytes already stored under the
    // announced digest are only hashed, to check them, and never sent again.
    const target = expected ? contentKey(expected) : stagingKey(`${randomUUID()}.part`);
    const known = expected ? (await translating(() => exists(target))) !== null : false;
    const hash = createHash('sha256');
    const upload = new PartUploader(send, bucket, target, partConcurrency);
    let size = 0;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    try {
      for await (const chunk of chunksOf(source)) {
        size += chunk.length;
        if (size > opts.maxBytes) throw new LimitExceededError(`artifact is larger than the limit of ${opts.maxBytes} bytes`, { limit: opts.maxBytes });
        hash.update(chunk);
        if (known) continue;
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= partBytes) {
          const whole = Buffer.concat(pending, pendingBytes);
          pending = [whole.subarray(partBytes)];
          pendingBytes = whole.length - partBytes;
          await upload.part(whole.subarray(0, partBytes));
        }
      }
      const digest = hash.digest('hex');
      if (expected !== null && digest !== expected) {
        throw new ValidationError('sha256', `the bytes received hash to ${digest}, not the ${expected} the client sent; nothing was stored`, {
          expected,
          actual: digest,
        });
      }
      if (known) return { digest, sizeBytes: size, created: false };
      const rest = Buffer.concat(pending, pendingBytes);
      if (!upload.started) return await putSmall(digest, rest);
      if (rest.length > 0) await upload.part(rest);
      await upload.complete();
      return expected ? { digest, sizeBytes: size, created: true } : await promote(upload.key, digest, size);
    } catch (error) {
      // Never discard a completed upload under a content key: it is a good blob.
      if (upload.started && !(expected && upload.done)) await quietly('abort multipart upload', () => upload.discard());
      throw translate(error, size);
    }
  }

  /** Everything fits in one part: the digest is known before a byte is sent, so no staging. */
  async function putSmall(digest: string, bytes: Buffer): Promise<StoredBlob> {
    const key = contentKey(digest);
    if ((await exists(key)) !== null) return { digest, sizeBytes: bytes.length, created: false };
    try {
      await send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.length,
          ChecksumSHA256: Buffer.from(digest, 'hex').toString('base64'),
          // A concurrent put of the same bytes may land first; then there is nothing to do.
          IfNoneMatch: '*',
        }),
      );
      return { digest, sizeBytes: bytes.length, created: true };
    } catch (error) {
      if (statusOf(error) === 412) return { digest, sizeBytes: bytes.length, created: false };
      throw error;
    }
  }

  const direct: DirectTransfer = {
    async presignPut(name, blob, expiresInSeconds) {
      if (blob.sizeBytes > SINGLE_REQUEST_MAX) {
        throw new LimitExceededError(
          `a direct upload is one PUT of at most ${SINGLE_REQUEST_MAX} bytes; stream larger files through PUT /artifacts/runs/<runId>`,
          {
            limit: SINGLE_REQUEST_MAX,
          },
        );
      }
      const checksum = Buffer.from(blob.sha256, 'hex').toString('base64');
      const command = new PutObjectCommand({ Bucket: bucket, Key: stagingKey(name), ContentLength: blob.sizeBytes, ChecksumSHA256: checksum });
      // Signing the length and the checksum binds the URL to exactly these bytes: a store that
      // checks checksums refuses any others, and adopt() checks again in any case.
      const url = await translating(() =>
        getSignedUrl(options.presignClient ?? client, command, {
          expiresIn: expiresInSeconds,
          signableHeaders: new Set(['content-length', 'x-amz-checksum-sha256']),
        }),
      );
      return { url, method: 'PUT', headers: { 'content-length': String(blob.sizeBytes), 'x-amz-checksum-sha256': checksum } };
    },

    async adopt(name, blob) {
      return translating(async () => {
        const key = stagingKey(name);
        let head: { ContentLength?: number; ChecksumSHA256?: string };
        try {
          head = await send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
        } catch (error) {
          if (isNotFound(error)) throw new ValidationError('upload', 'nothing was uploaded to this upload URL (or it was already completed)');
          throw error;
        }
        const size = head.ContentLength ?? 0;
        const reject = async (message: string, details: Record<string, unknown>) => {
          await quietly('remove rejected upload', () => remove(key));
          throw new ValidationError('upload', `${message}; the upload was discarded`, details);
        };
        if (size !== blob.sizeBytes) await reject(`received ${size} bytes, not the ${blob.sizeBytes} announced`, { expected: blob.sizeBytes, actual: size });
        const announced = Buffer.from(blob.sha256, 'hex').toString('base64');
        // The store computed and checked this checksum on upload; only when it kept none do we read the bytes back.
        if (head.ChecksumSHA256 !== announced) {
          const digest = await digestOf(key);
          if (digest !== blob.sha256) await reject(`the bytes hash to ${digest}, not the ${blob.sha256} announced`, { expected: blob.sha256, actual: digest });
        }
        return promote(key, blob.sha256, size);
      });
    },

    async discard(name) {
      await translating(() => remove(stagingKey(name)));
    },

    async presignGet(digest, download, expiresInSeconds) {
      const command = new GetObjectCommand({
        Bucket: bucket,
        Key: contentKey(digest),
        ResponseContentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(download.fileName)}`,
        ResponseContentType: download.mediaType,
      });
      return translating(() => getSignedUrl(options.presignClient ?? client, command, { expiresIn: expiresInSeconds }));
    },
  };

  async function digestOf(key: string): Promise<string> {
    const hash = createHash('sha256');
    const object = await send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    for await (const chunk of object.Body as Readable) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  return {
    kind: 's3',
    put,

    async stat(digest) {
      const size = await translating(() => exists(contentKey(digest)));
      return size === null ? null : { sizeBytes: size };
    },

    async open(digest, range) {
      const key = contentKey(digest);
      const object = await translating(() =>
        send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined })),
      );
      const body = object.Body;
      if (!(body instanceof Readable)) throw new Error('the S3 client returned a body that is not a Node stream');
      return body;
    },

    async delete(digest) {
      await translating(() => remove(contentKey(digest)));
    },

    async *list() {
      let token: string | undefined;
      do {
        const page = await translating(() =>
          send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}sha256/`, ContinuationToken: token, MaxKeys: 1000 })),
        );
        for (const object of page.Contents ?? []) {
          const digest = (object.Key ?? '').split('/').at(-1) ?? '';
          if (SHA256_PATTERN.test(digest)) yield { digest, sizeBytes: object.Size ?? 0, storedAt: object.LastModified ?? new Date(0) };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },

    async ping() {
      await translating(() => send(new HeadBucketCommand({ Bucket: bucket })));
    },

    direct: options.direct ? direct : undefined,
  };
}
