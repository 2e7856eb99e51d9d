// Direct artifact transfer: hands a caller presigned URLs so artifact bytes move between the
// client and the object store without passing through this process, and registers an upload
// only once the store holds exactly the bytes announced. Who may upload is decided here.
import { randomUUID } from 'node:crypto';
import type { Database } from '../../db/database.js';
import { ConflictError, LimitExceededError, NotFoundError, ValidationError } from '../../errors.js';
import type { Access } from '../auth/access.js';
import type { Artifact, ArtifactService, PreparedUpload, UploadArtifactInput } from './service.js';
import { KEYED_KINDS } from './media.js';
import type { ArtifactStore, PresignedRequest } from './store.js';

export interface CreateUploadInput extends UploadArtifactInput {
  /** The exact length of the file; the store refuses a PUT of any other length. */
  sizeBytes: number;
  /** Required here: the URL is signed for these bytes. */
  sha256: string;
}

export interface DirectUpload extends PresignedRequest {
  /** What completeUpload takes. */
  uploadId: string;
  expiresAt: Date;
}

/**
 * The checks on a file announced before any of its bytes (a direct upload, an upload session):
 * its size, the size limit, its sha256, and no media. Media contents are checked as they pass
 * through this server whole (media.ts); bytes sent straight to the store or in chunks would
 * skip that check, and neither keeps a key or step.
 */
export function checkAnnouncedFile(input: CreateUploadInput, maxBytes: number, why: { sha256: string; takenBy: string }): void {
  if (!Number.isSafeInteger(input.sizeBytes) || input.sizeBytes < 0) throw new ValidationError('input.sizeBytes', 'must be a whole number of bytes, 0 or more');
  if (input.sizeBytes > maxBytes) {
    throw new LimitExceededError(`input.sizeBytes: ${input.sizeBytes} bytes exceeds the artifact limit of ${maxBytes}`, {
      field: 'input.sizeBytes',
      limit: maxBytes,
    });
  }
  if (!input.sha256) throw new ValidationError('input.sha256', `is required: ${why.sha256}`);
  if ((input.key != null && input.key !== '') || KEYED_KINDS.has(input.kind ?? 'OTHER')) {
    throw new ValidationError(
      input.key ? 'input.key' : 'input.kind',
      `media (${[...KEYED_KINDS].join(', ')} or anything under a key) are uploaded through PUT /artifacts/runs/<runId> or uploadArtifact, which check their contents whole; ${why.takenBy} takes files without a key`,
    );
  }
}

/** The row that remembers an announced file (a direct upload's, an upload session's) until it is completed. */
export function announcedRow(access: Access, input: CreateUploadInput, upload: PreparedUpload, row: { token: string; createdAt: Date; expiresAt: Date }) {
  return {
    ...row,
    runId: input.runId,
    name: upload.name,
    kind: upload.kind,
    sha256: upload.sha256!,
    sizeBytes: BigInt(input.sizeBytes),
    mediaType: upload.mediaType,
    createdBy: access.auditName,
  };
}

/**
 * The upload an announced row makes, once the caller may still edit its run; a hidden run's row
 * is as absent (NOT_FOUND, as `kind`) as an unknown one.
 */
export function uploadOfRow(
  artifacts: ArtifactService,
  access: Access,
  row: { runId: number; name: string; kind: Artifact['kind']; sha256: string; mediaType: string },
  kind: string,
  uploadId: string,
): Promise<PreparedUpload> {
  return artifacts
    .prepare(access, { runId: row.runId, name: row.name, kind: row.kind, sha256: row.sha256, mediaType: row.mediaType })
    .catch((error: unknown) => {
      if (error instanceof NotFoundError) throw new NotFoundError(kind, uploadId);
      throw error;
    });
}

/** Where a direct upload's bytes wait, under the store's staging area, until completed. */
export const stagingName = (token: string) => `direct/${token}`;

export function createDirectTransferService(db: Database, store: ArtifactStore, deps: { artifacts: ArtifactService; maxBytes: number; ttlSeconds: number }) {
  const { prisma } = db;
  const direct = store.direct ?? null;

  function requireDirect() {
    if (!direct) {
      throw new ConflictError(
        'direct transfer is off on this server (it needs RUNLEDGER_ARTIFACT_STORE=s3://... and RUNLEDGER_ARTIFACT_DIRECT=on); upload through PUT /artifacts/runs/<runId> instead',
        { directTransfer: 'off' },
      );
    }
    return direct;
  }

  return {
    /** Whether this server hands out presigned URLs. */
    offered: direct !== null,

    /**
     * Checks everything a registration would (the caller may edit the run: a run the caller
     * cannot see is NOT_FOUND), then hands out a URL to PUT exactly these bytes to.
     */
    async createUpload(access: Access, input: CreateUploadInput): Promise<DirectUpload> {
      checkAnnouncedFile(input, deps.maxBytes, { sha256: 'the URL is signed for exactly these bytes', takenBy: 'direct transfer' });
      const upload = await deps.artifacts.prepare(access, input, input.sizeBytes);
      // Who may write is answered first, whatever this server offers.
      const transfer = requireDirect();
      const token = randomUUID();
      const now = new Date();
      const expiresAt = new Date(now.getTime() + deps.ttlSeconds * 1000);
      const request = await transfer.presignPut(stagingName(token), { sizeBytes: input.sizeBytes, sha256: upload.sha256! }, deps.ttlSeconds);
      await prisma.artifactUpload.create({ data: announcedRow(access, input, upload, { token, createdAt: now, expiresAt }) });
      return { uploadId: token, expiresAt, ...request };
    },

    /**
     * Registers a direct upload once the store holds the announced bytes (size and sha256
     * checked there). Retrying after success returns the same artifact with created: false.
     */
    async completeUpload(access: Access, uploadId: string): Promise<{ artifact: Artifact; created: boolean }> {
      const row = await prisma.artifactUpload.findUnique({ where: { token: uploadId } });
      if (!row) throw new NotFoundError('ArtifactUpload', uploadId);
      const upload = await uploadOfRow(deps.artifacts, access, row, 'ArtifactUpload', uploadId);
      const key = { runId_name_digest: { runId: row.runId, name: row.name, digest: row.sha256 } };
      if (row.artifactId !== null) return { artifact: await prisma.artifact.findUniqueOrThrow({ where: { id: row.artifactId } }), created: false };
      const transfer = requireDirect();
      let blob: Awaited<ReturnType<typeof transfer.adopt>>;
      try {
        blob = await transfer.adopt(stagingName(uploadId), { sizeBytes: Number(row.sizeBytes), sha256: row.sha256 });
      } catch (error) {
        // A completion retried after it registered but before it was marked: the staged bytes are gone, the artifact is there.
        const done = error instanceof ValidationError ? await prisma.artifact.findUnique({ where: key }) : null;
        if (!done) throw error;
        blob = { digest: row.sha256, sizeBytes: Number(row.sizeBytes), created: false };
      }
      const result = await deps.artifacts.internal.recordRunArtifact(upload, blob);
      await prisma.artifactUpload.update({ where: { id: row.id }, data: { artifactId: result.artifact.id } });
      return result;
    },

    /** A presigned GET for an artifact the caller may read (NOT_FOUND otherwise), or null when the server serves bytes itself. */
    async downloadUrl(access: Access, artifactId: number): Promise<string | null> {
      if (!direct) return null;
      const artifact = await deps.artifacts.require(access, artifactId);
      const fileName = artifact.name.split('/').at(-1) || 'artifact';
      return direct.presignGet(artifact.digest, { fileName, mediaType: artifact.mediaType }, deps.ttlSeconds);
    },
  };
}

export type DirectTransferService = ReturnType<typeof createDirectTransferService>;
