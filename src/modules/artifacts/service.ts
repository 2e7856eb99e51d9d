// Artifacts: validating uploads, storing their bytes by digest, and recording which run produced them.
import type { Database } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { ConflictError, LimitExceededError, NotFoundError, ValidationError } from '../../errors.js';
import { requireKey } from '../../validation.js';
import type { Artifact, ArtifactKind } from '../../generated/prisma/client.js';
import { artifactsByIds, mediaKeysOf, mediaPage, type MediaFilter } from './records.js';
import { checkedMedia, type MediaFields, validateMediaFields } from './media.js';
import type { RunService } from '../runs/service.js';
import { type ArtifactStore, SHA256_PATTERN, type StoredBlob } from './store.js';
import type { EdgeRecorder } from '../lineage/store.js';

export type { Artifact, ArtifactKind };

export const ARTIFACT_KINDS = [
  'MODEL',
  'CHECKPOINT',
  'PLOT',
  'PREDICTIONS',
  'ENVIRONMENT',
  'CODE_DIFF',
  'OTHER',
  'IMAGE',
  'TABLE',
  'HISTOGRAM',
  'CONSOLE',
] as const;
export const ARTIFACT_NAME_MAX = 1000;
const MEDIA_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;\s*[\x20-\x7e]*)?$/;

export interface UploadArtifactInput {
  runId: number;
  name: string;
  kind?: string | null;
  /** Hex sha256 the client computed; the upload is rejected when the bytes differ. */
  sha256?: string | null;
  mediaType?: string | null;
  /** Media (images, tables, ...) are logged under a key, like a metric, optionally at a step. */
  key?: string | null;
  step?: number | null;
}

export interface PreparedUpload extends MediaFields {
  runId: number;
  name: string;
  kind: ArtifactKind;
  sha256: string | null;
  mediaType: string;
}

/**
 * The answer to an upload whose name and bytes the run already has: the same upload again (a
 * retry) returns the first one; the same bytes under the same name at another key, step or
 * kind are a different upload, refused rather than merged into the first.
 */
function sameUpload(existing: Artifact, upload: PreparedUpload): Artifact {
  const step = existing.step === null ? null : Number(existing.step);
  if (existing.kind !== upload.kind || existing.mediaKey !== upload.mediaKey || step !== upload.step) {
    const where = (k: string | null, s: number | null, kind: string) =>
      `${kind}${k === null ? '' : ` under key ${JSON.stringify(k)}`}${s === null ? '' : ` at step ${s}`}`;
    throw new ConflictError(
      `input.name: this run already has these bytes named ${JSON.stringify(upload.name)} as ${where(existing.mediaKey, step, existing.kind)}; name each upload differently (docs/media.md: <key>/<step>/<index>.<ext>) to log it as ${where(upload.mediaKey, upload.step, upload.kind)}`,
      { field: 'input.name', artifactId: existing.id },
    );
  }
  return existing;
}

/** Names are labels shown to people, never paths: anything printable goes, control characters do not. */
export function validateArtifactName(field: string, name: string): string {
  if (name.length === 0) throw new ValidationError(field, 'must not be empty');
  if (name.length > ARTIFACT_NAME_MAX) throw new ValidationError(field, `must be at most ${ARTIFACT_NAME_MAX} characters (got ${name.length})`);
  // eslint-disable-next-line no-control-regex
  const bad = /[\u0000-\u001f\u007f]/.exec(name);
  if (bad)
    throw new ValidationError(field, `must not contain control characters (found U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()})`);
  return name;
}

export function normalizeSha256(field: string, value: string): string {
  const hex = value
    .trim()
    .toLowerCase()
    .replace(/^sha256:/, '');
  if (!SHA256_PATTERN.test(hex))
    throw new ValidationError(field, `must be a sha256 as 64 hex characters (optionally prefixed "sha256:"); got ${JSON.stringify(value.slice(0, 100))}`);
  return hex;
}

export function createArtifactService(db: Database, store: ArtifactStore, limits: { maxBytes: number }, runs: RunService, recordEdges: EdgeRecorder) {
  const { prisma } = db;

  /** Every check that can fail before a byte is read, so a bad request costs no upload. */
  async function prepare(input: UploadArtifactInput, contentLength?: number | null): Promise<PreparedUpload> {
    const name = validateArtifactName('input.name', input.name);
    const kind = (input.kind ?? 'OTHER') as ArtifactKind;
    if (!ARTIFACT_KINDS.includes(kind)) throw new ValidationError('input.kind', `must be one of ${ARTIFACT_KINDS.join(', ')}`);
    const sha256 = input.sha256 == null || input.sha256 === '' ? null : normalizeSha256('input.sha256', input.sha256);
    const mediaType = (input.mediaType ?? '').trim() || 'application/octet-stream';
    if (mediaType.length > 200 || !MEDIA_TYPE_PATTERN.test(mediaType)) {
      throw new ValidationError('input.mediaType', `must be a media type such as text/plain (got ${JSON.stringify(mediaType.slice(0, 100))})`);
    }
    const media = validateMediaFields(kind, mediaType, input.key, input.step);
    if (contentLength != null && contentLength > limits.maxBytes) {
      throw new LimitExceededError(`content-length: ${contentLength} bytes exceeds the artifact limit of ${limits.maxBytes}`, { limit: limits.maxBytes });
    }
    const run = await runs.requireLiveRun(input.runId);
    if (kind === 'CODE_DIFF') {
      const code = await prisma.runCodeVersion.findUnique({ where: { runId: run.id } });
      if (!code) throw new ValidationError('input.kind', 'CODE_DIFF needs a run started with a codeVersion, since the diff belongs to that commit');
    }
    return { runId: run.id, name, kind, sha256, mediaType, ...media };
  }

  /**
   * Links stored bytes to the run that produced them. One transaction, so the link and the
   * code-version pointer of a CODE_DIFF (and, later, its lineage edge) land together or not at all.
   */
  async function recordRunArtifact(upload: PreparedUpload, blob: StoredBlob): Promise<{ artifact: Artifact; created: boolean }> {
    const key = { runId_name_digest: { runId: upload.runId, name: upload.name, digest: blob.digest } };
    try {
      return await prisma.$transaction(async (tx) => {
        const existing = await tx.artifact.findUnique({ where: key });
        if (existing) return { artifact: sameUpload(existing, upload), created: false };
        const artifact = await tx.artifact.create({
          data: {
            runId: upload.runId,
            name: upload.name,
            kind: upload.kind,
            digest: blob.digest,
            sizeBytes: BigInt(blob.sizeBytes),
            mediaType: upload.mediaType,
            createdAt: new Date(),
            mediaKey: upload.mediaKey,
            step: upload.step === null ? null : BigInt(upload.step),
          },
        });
        if (upload.kind === 'CODE_DIFF') {
          await tx.runCodeVersion.update({ where: { runId: upload.runId }, data: { diffArtifactId: artifact.id, dirty: true } });
        }
        await recordEdges(tx, [{ from: { type: 'Run', id: upload.runId }, to: { type: 'Artifact', id: artifact.id }, kind: 'PRODUCED' }], artifact.createdAt);
        return { artifact, created: true };
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // A concurrent retry of the same upload recorded it first.
      return { artifact: sameUpload(await prisma.artifact.findUniqueOrThrow({ where: key }), upload), created: false };
    }
  }

  return {
    prepare,
    recordRunArtifact,

    /** Streams an upload into the store and records it; a retry of the same bytes and name returns the first artifact. */
    async upload(input: UploadArtifactInput, body: AsyncIterable<Uint8Array>, contentLength?: number | null) {
      const upload = await prepare(input, contentLength);
      const blob = await store.put(checkedMedia(upload.kind, upload.mediaType, upload, body), { expectedSha256: upload.sha256, maxBytes: limits.maxBytes });
      return recordRunArtifact(upload, blob);
    },

    async requireArtifact(id: number): Promise<Artifact> {
      const artifact = await prisma.artifact.findUnique({ where: { id } });
      if (!artifact) throw new NotFoundError('Artifact', id);
      return artifact;
    },

    /** The bytes of an artifact, whole or an inclusive range. */
    async openContent(artifact: Artifact, range?: { start: number; end: number }) {
      const stored = await store.stat(artifact.digest);
      if (!stored) throw new ConflictError(`the bytes of artifact ${artifact.id} (sha256 ${artifact.digest}) are missing from the artifact store`);
      return store.open(artifact.digest, range);
    },

    async byIds(ids: readonly number[]): Promise<Artifact[]> {
      return artifactsByIds(db.sql, ids);
    },

    /** The newest artifact of a run with exactly this name (a name uploaded again with other bytes has several). */
    async latestNamed(runId: number, name: string): Promise<Artifact | null> {
      return prisma.artifact.findFirst({ where: { runId, name }, orderBy: { id: 'desc' } });
    },

    /** The newest artifact per name among a run's artifacts whose names start with `prefix`, by name; at most `limit` names. */
    async latestUnder(runId: number, prefix: string, limit: number): Promise<Artifact[]> {
      return prisma.artifact.findMany({
        where: { runId, ...(prefix ? { name: { startsWith: prefix } } : {}) },
        distinct: ['name'],
        orderBy: [{ name: 'asc' }, { id: 'desc' }],
        take: limit,
      });
    },

    /** Artifacts of runs in these projects whose names start and end as given, newest first; at most `limit`. */
    async namedInProjects(projectIds: readonly number[], name: { startsWith: string; endsWith: string }, limit: number): Promise<Artifact[]> {
      return prisma.artifact.findMany({
        where: { run: { projectId: { in: [...projectIds] } }, AND: [{ name: { startsWith: name.startsWith } }, { name: { endsWith: name.endsWith } }] },
        orderBy: { id: 'desc' },
        take: limit,
      });
    },

    async ofRuns(runIds: readonly number[]): Promise<Artifact[]> {
      return prisma.artifact.findMany({ where: { runId: { in: [...runIds] } }, orderBy: [{ runId: 'asc' }, { id: 'asc' }] });
    },

    /** Media of these runs matching the filter, by key, step and id; at most `limit` per run after the cursor. */
    async mediaOf(runIds: readonly number[], filter: MediaFilter, limit: number): Promise<Artifact[]> {
      if (filter.key != null) requireKey('key', filter.key);
      return mediaPage(db.sql, runIds, filter, limit);
    },

    /** Per run, each media key with its kind, count and steps (at most 10,000 steps a key). */
    async mediaKeysOf(runIds: readonly number[]) {
      return mediaKeysOf(db.sql, runIds);
    },

    /** The CODE_DIFF artifact linked to each run's code version. */
    async codeDiffsOf(runIds: readonly number[]): Promise<{ runId: number; artifact: Artifact }[]> {
      const rows = await prisma.runCodeVersion.findMany({
        where: { runId: { in: [...runIds] }, diffArtifactId: { not: null } },
        include: { diffArtifact: true },
      });
      return rows.flatMap((r) => (r.diffArtifact ? [{ runId: r.runId, artifact: r.diffArtifact }] : []));
    },
  };
}

export type ArtifactService = ReturnType<typeof createArtifactService>;
