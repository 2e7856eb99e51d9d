// Resumable artifact uploads through the server: a session takes a file in chunks, each kept as
// an ordinary content-addressed blob, survives dropped connections (the client asks for the
// offset and goes on from there), and on completion streams the chunks back in order into the
// file's own blob, checked against the announced sha256. Who may upload is decided here.
import { randomUUID } from 'node:crypto';
import type { Database } from '../../db/database.js';
import { ConflictError, LimitExceededError, NotFoundError, UnavailableError, ValidationError } from '../../errors.js';
import type { Access } from '../auth/access.js';
import { lockBlob } from './blob-lock-store.js';
import { announcedRow, type CreateUploadInput, checkAnnouncedFile, uploadOfRow } from './direct.js';
import type { Artifact, ArtifactService, PreparedUpload } from './service.js';
import type { ArtifactStore, StoredBlob } from './store.js';

/** Where a session stands, as a client resuming it needs to know. */
export interface UploadSessionState {
  uploadId: string;
  /** Bytes accepted so far: where the next chunk starts. */
  offset: number;
  sizeBytes: number;
  chunkMaxBytes: number;
  expiresAt: Date;
  /** The registered artifact, once completed. */
  artifactId: number | null;
}

/** At most this many chunks a session (as S3 allows parts): a file sent in tiny pieces is refused, not stored as millions of rows. */
export const MAX_CHUNKS = 10_000;

const TOKEN_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type SessionRow = NonNullable<Awaited<ReturnType<Database['prisma']['artifactUploadSession']['findUnique']>>>;

/** Thrown inside the chunk transaction when the session moved on meanwhile (a racing retry won). */
class OffsetMoved extends Error {}

export function createResumableUploadService(
  db: Database,
  store: ArtifactStore,
  deps: { artifacts: ArtifactService; maxBytes: number; chunkMaxBytes: number; ttlSeconds: number },
) {
  const { prisma } = db;
  const expiry = () => new Date(Date.now() + deps.ttlSeconds * 1000);

  const stateOf = (row: SessionRow): UploadSessionState => ({
    uploadId: row.token,
    offset: Number(row.receivedBytes),
    sizeBytes: Number(row.sizeBytes),
    chunkMaxBytes: deps.chunkMaxBytes,
    expiresAt: row.expiresAt,
    artifactId: row.artifactId,
  });

  /**
   * The session and the upload it makes, once the caller may (still) upload to its run. An
   * unknown, expired or hidden session is NOT_FOUND alike; a run the caller only views is FORBIDDEN.
   */
  async function sessionOf(access: Access, uploadId: string, options: { expired?: 'refuse' | 'allow' } = {}) {
    const row = TOKEN_PATTERN.test(uploadId) ? await prisma.artifactUploadSession.findUnique({ where: { token: uploadId } }) : null;
    if (!row) throw new NotFoundError('ArtifactUploadSession', uploadId);
    const upload = await uploadOfRow(deps.artifacts, access, row, 'ArtifactUploadSession', uploadId);
    if (options.expired !== 'allow' && row.artifactId === null && row.expiresAt.getTime() <= Date.now()) {
      throw new NotFoundError('ArtifactUploadSession', uploadId);
    }
    return { row, upload };
  }

  /** The CONFLICT a chunk sent for the wrong offset gets: it says where to go on from. */
  function wrongOffset(row: SessionRow, sent: number): ConflictError {
    const offset = Number(row.receivedBytes);
    return new ConflictError(
      `Upload-Offset: the upload has ${offset} of ${row.sizeBytes} bytes, so the next chunk starts at ${offset}, not ${sent}; nothing of this chunk was kept`,
      { field: 'Upload-Offset', offset, sizeBytes: Number(row.sizeBytes) },
    );
  }

  /** The checks on a chunk that need no byte of it. */
  function checkChunk(row: SessionRow, offset: number, contentLength: number | null) {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new ValidationError('Upload-Offset', 'must be a whole number of bytes, 0 or more');
    if (offset !== Number(row.receivedBytes)) throw wrongOffset(row, offset);
    if (contentLength === null || !Number.isSafeInteger(contentLength)) {
      throw new ValidationError(
        'content-length',
        'a chunk must declare its length (Content-Length), so a connection cut short is never taken for a whole chunk',
      );
    }
    if (contentLength < 1) throw new ValidationError('content-length', 'a chunk must carry at least 1 byte');
    if (contentLength > deps.chunkMaxBytes) {
      throw new LimitExceededError(
        `content-length: ${contentLength} bytes exceeds the chunk limit of ${deps.chunkMaxBytes} (chunkMaxBytes); send smaller chunks`,
        {
          field: 'content-length',
          limit: deps.chunkMaxBytes,
        },
      );
    }
    const room = Number(row.sizeBytes) - offset;
    if (contentLength > room) {
      throw new ValidationError(
        'content-length',
        `${contentLength} bytes at offset ${offset} would pass the announced sizeBytes ${row.sizeBytes}; ${room} bytes remain`,
      );
    }
    if (row.chunkCount >= MAX_CHUNKS) {
      throw new LimitExceededError(
        `content-length: this session already has ${MAX_CHUNKS} chunks, the most it takes; send larger chunks (up to ${deps.chunkMaxBytes} bytes)`,
        {
          field: 'content-length',
          limit: MAX_CHUNKS,
        },
      );
    }
  }

  /**
   * Records a stored chunk at `offset`, only if the session still has exactly `offset` bytes: of
   * two racing retries of one chunk, one lands and the other changes nothing. Under the blob's
   * lock, as registrations do: the garbage collector either sees the chunk row and keeps the
   * blob, or removed it first and this finds it gone (retryable), never a row without bytes.
   */
  async function recordChunk(row: SessionRow, offset: number, blob: StoredBlob): Promise<void> {
    await prisma.$transaction(async (tx) => {
      await lockBlob(tx, blob.digest);
      if (!(await store.stat(blob.digest))) {
        throw new UnavailableError(
          `the bytes of this chunk (sha256 ${blob.digest}) were just removed by garbage collection; nothing was recorded; send the chunk again`,
          1,
        );
      }
      const moved = await tx.artifactUploadSession.updateMany({
        where: { id: row.id, receivedBytes: BigInt(offset), artifactId: null, expiresAt: { gt: new Date() } },
        data: { receivedBytes: { increment: BigInt(blob.sizeBytes) }, chunkCount: { increment: 1 }, expiresAt: expiry() },
      });
      if (moved.count !== 1) throw new OffsetMoved();
      await tx.artifactUploadChunk.create({ data: { sessionId: row.id, offset: BigInt(offset), digest: blob.digest, sizeBytes: BigInt(blob.sizeBytes) } });
    });
  }

  /** The chunks' bytes in order, one blob open at a time: memory stays flat whatever the size. */
  async function* concatenated(chunks: { offset: bigint; digest: string }[]): AsyncGenerator<Uint8Array> {
    for (const chunk of chunks) {
      if (!(await store.stat(chunk.digest))) {
        throw new ConflictError(`the stored chunk at offset ${chunk.offset} is missing from the artifact store; abort this upload and start again`, {
          offset: Number(chunk.offset),
        });
      }
      yield* (await store.open(chunk.digest)) as AsyncIterable<Uint8Array>;
    }
  }

  async function registeredArtifact(uploadId: string, artifactId: number): Promise<{ artifact: Artifact; created: boolean }> {
    const artifact = await prisma.artifact.findUnique({ where: { id: artifactId } });
    // Registered, then removed by retention: the session has nothing left to answer.
    if (!artifact) throw new NotFoundError('ArtifactUploadSession', uploadId);
    return { artifact, created: false };
  }

  /** Streams the chunks into the file's blob (size and sha256 checked there) and registers it. */
  async function assemble(row: SessionRow, upload: PreparedUpload): Promise<{ artifact: Artifact; created: boolean }> {
    const chunks = await prisma.artifactUploadChunk.findMany({ where: { sessionId: row.id }, orderBy: { offset: 'asc' } });
    let next = 0n;
    for (const c of chunks) {
      if (c.offset !== next)
        throw new ConflictError(`the session's chunks do not cover offset ${next}; abort this upload and start again`, { offset: Number(next) });
      next += c.sizeBytes;
    }
    if (next !== row.sizeBytes) throw new ConflictError(`the session's chunks hold ${next} of ${row.sizeBytes} bytes; abort this upload and start again`);
    const blob = await store.put(concatenated(chunks), { expectedSha256: row.sha256, maxBytes: Number(row.sizeBytes) });
    const result = await deps.artifacts.internal.recordRunArtifact(upload, blob);
    // The chunks' blobs are now ordinary garbage unless something else refers to the same bytes.
    await prisma.$transaction([
      prisma.artifactUploadSession.update({ where: { id: row.id }, data: { artifactId: result.artifact.id, expiresAt: expiry() } }),
      prisma.artifactUploadChunk.deleteMany({ where: { sessionId: row.id } }),
    ]);
    return result;
  }

  return {
    /** The largest chunk one request may carry. */
    chunkMaxBytes: deps.chunkMaxBytes,

    /**
     * Opens a session for a file of `sizeBytes` bytes hashing to `sha256`, once the caller may
     * edit the run (hidden: NOT_FOUND) and the input is valid; no byte is read yet.
     */
    async create(access: Access, input: CreateUploadInput): Promise<UploadSessionState> {
      checkAnnouncedFile(input, deps.maxBytes, { sha256: 'completion checks the whole file against it', takenBy: 'an upload session' });
      const upload = await deps.artifacts.prepare(access, input, input.sizeBytes);
      const row = await prisma.artifactUploadSession.create({
        data: announcedRow(access, input, upload, { token: randomUUID(), createdAt: new Date(), expiresAt: expiry() }),
      });
      return stateOf(row);
    },

    /** Where a session stands (for resuming): the offset to send from, or the artifact once completed. */
    async status(access: Access, uploadId: string): Promise<UploadSessionState> {
      return stateOf((await sessionOf(access, uploadId)).row);
    },

    /**
     * Takes the next bytes of the file, which must start at the session's offset (CONFLICT with
     * the offset otherwise). Nothing of a chunk is kept unless all of it arrived and was recorded.
     */
    async putChunk(
      access: Access,
      uploadId: string,
      offset: number,
      body: AsyncIterable<Uint8Array>,
      contentLength: number | null,
    ): Promise<UploadSessionState> {
      const { row } = await sessionOf(access, uploadId);
      if (row.artifactId !== null) {
        throw new ConflictError('this upload is already completed; nothing more is taken', {
          offset: Number(row.receivedBytes),
          sizeBytes: Number(row.sizeBytes),
          completed: true,
        });
      }
      checkChunk(row, offset, contentLength);
      const blob = await store.put(body, { maxBytes: contentLength! });
      if (blob.sizeBytes !== contentLength) {
        throw new ValidationError('content-length', `declared ${contentLength} bytes but the body carried ${blob.sizeBytes}; nothing of this chunk was kept`);
      }
      try {
        await recordChunk(row, offset, blob);
      } catch (error) {
        if (!(error instanceof OffsetMoved)) throw error;
        const now = await prisma.artifactUploadSession.findUnique({ where: { id: row.id } });
        if (!now) throw new NotFoundError('ArtifactUploadSession', uploadId);
        throw wrongOffset(now, offset);
      }
      return { ...stateOf(row), offset: offset + blob.sizeBytes, expiresAt: expiry() };
    },

    /**
     * Registers the file once every byte arrived and the whole hashes to the announced sha256
     * (BAD_USER_INPUT naming the field otherwise, and nothing is registered). Retrying after
     * success answers the same artifact with created: false.
     */
    async complete(access: Access, uploadId: string): Promise<{ artifact: Artifact; created: boolean }> {
      const { row, upload } = await sessionOf(access, uploadId);
      if (row.artifactId !== null) return registeredArtifact(uploadId, row.artifactId);
      if (row.receivedBytes !== row.sizeBytes) {
        throw new ValidationError(
          'sizeBytes',
          `the upload has ${row.receivedBytes} of the announced ${row.sizeBytes} bytes; send the rest from offset ${row.receivedBytes} before completing`,
          { offset: Number(row.receivedBytes) },
        );
      }
      // Reading a large file back takes a while: the session must not expire meanwhile.
      await prisma.artifactUploadSession.update({ where: { id: row.id }, data: { expiresAt: expiry() } });
      return assemble(row, upload);
    },

    /** Abandons a session: it and its chunk rows are gone (their blobs become ordinary garbage). */
    async abort(access: Access, uploadId: string): Promise<void> {
      const { row } = await sessionOf(access, uploadId, { expired: 'allow' });
      if (row.artifactId !== null) {
        throw new ConflictError('this upload is already completed and registered; there is nothing to abort (the artifact stays)', { completed: true });
      }
      await prisma.artifactUploadSession.deleteMany({ where: { id: row.id, artifactId: null } });
    },
  };
}

export type ResumableUploadService = ReturnType<typeof createResumableUploadService>;
