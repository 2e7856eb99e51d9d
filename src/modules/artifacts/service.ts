// Artifacts: validating uploads, storing their bytes by digest, recording which run produced them, and who may read them.
import type { Database } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { ConflictError, LimitExceededError, UnavailableError, ValidationError } from '../../errors.js';
import type { Artifact, ArtifactKind, Prisma } from '../../generated/prisma/client.js';
import type { LoggedModelService } from '../logged-models/service.js';
import { requireKey } from '../../validation.js';
import { lockBlob } from './blob-lock-store.js';
import { artifactsByIds, mediaKeysOf, mediaPage, type MediaFilter, type MediaKeyRow } from './records.js';
import { checkedMedia, type MediaFields, validateMediaFields } from './media.js';
import type { Access } from '../auth/access.js';
import { readableProjects } from '../auth/policy.js';
import { runAccess } from '../runs/policy.js';
import { artifactAccess } from './policy.js';
import type { Run, RunService } from '../runs/service.js';
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
  'EVAL_REPORT',
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
  /** The run that produced it: the uploading run, or a logged model's source run. */
  runId: number | null;
  loggedModelId: string | null;
  projectId: number;
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
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
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

/** Where a logged model's files are named among artifacts: models/<model id>/<path in the model>. */
export const loggedModelFileName = (modelId: string, path: string) => `models/${modelId}/${path}`;

export function createArtifactService(
  db: Database,
  store: ArtifactStore,
  limits: { maxBytes: number },
  runs: RunService,
  recordEdges: EdgeRecorder,
  loggedModels: LoggedModelService,
) {
  const { prisma } = db;

  /** The checks every upload passes before a byte is read. */
  function validateUpload(input: Omit<UploadArtifactInput, 'runId'>, contentLength?: number | null) {
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
    return { name, kind, sha256, mediaType, ...media };
  }

  /** Every check that can fail before a byte is read (the caller may edit the run, the input is valid), so a bad request costs no upload. */
  async function prepare(caller: Access, input: UploadArtifactInput, contentLength?: number | null): Promise<PreparedUpload> {
    const valid = validateUpload(input, contentLength);
    const run = await runs.requireEditable(caller, input.runId);
    if (valid.kind === 'CODE_DIFF') {
      const code = await prisma.runCodeVersion.findUnique({ where: { runId: run.id } });
      if (!code) throw new ValidationError('input.kind', 'CODE_DIFF needs a run started with a codeVersion, since the diff belongs to that commit');
    }
    return { runId: run.id, loggedModelId: null, projectId: run.projectId, ...valid };
  }

  /**
   * Links stored bytes to the run that produced them. One transaction, so the link and the
   * code-version pointer of a CODE_DIFF (and, later, its lineage edge) land together or not at all.
   */
  async function recordRunArtifact(upload: PreparedUpload, blob: StoredBlob): Promise<{ artifact: Artifact; created: boolean }> {
    const key: Prisma.ArtifactWhereUniqueInput = upload.loggedModelId
      ? { loggedModelId_name_digest: { loggedModelId: upload.loggedModelId, name: upload.name, digest: blob.digest } }
      : { runId_name_digest: { runId: upload.runId!, name: upload.name, digest: blob.digest } };
    try {
      return await prisma.$transaction(async (tx) => {
        await lockBlob(tx, blob.digest);
        // Bytes this upload found already stored may since have been collected as garbage.
        if (!blob.created && !(await store.stat(blob.digest))) {
          throw new UnavailableError(
            `the stored bytes this upload reused (sha256 ${blob.digest}) were just removed by garbage collection; nothing was recorded; retry the upload`,
            1,
          );
        }
        const existing = await tx.artifact.findUnique({ where: key });
        if (existing) return { artifact: sameUpload(existing, upload), created: false };
        const artifact = await tx.artifact.create({
          data: {
            runId: upload.runId,
            loggedModelId: upload.loggedModelId,
            projectId: upload.projectId,
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
        if (upload.kind === 'CODE_DIFF' && upload.runId !== null) {
          await tx.runCodeVersion.update({ where: { runId: upload.runId }, data: { diffArtifactId: artifact.id, dirty: true } });
        }
        if (upload.runId !== null) {
          await recordEdges(tx, [{ from: { type: 'Run', id: upload.runId }, to: { type: 'Artifact', id: artifact.id }, kind: 'PRODUCED' }], artifact.createdAt);
        }
        return { artifact, created: true };
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // A concurrent retry of the same upload recorded it first.
      return { artifact: sameUpload(await prisma.artifact.findUniqueOrThrow({ where: key }), upload), created: false };
    }
  }

  /** A run the caller may read, for listing and finding its artifacts. */
  async function readableRun(caller: Access, runId: number): Promise<Run> {
    return runs.require(caller, runId, 'VIEWER');
  }

  return {
    /** Checks an upload (the caller may edit the run, the input is valid) before a byte of it is read. */
    prepare,
    /** 'fs' or 's3', for health answers and benchmarks. */
    storeKind: store.kind,
    /** Throws unless the artifact store answers (readiness). */
    ping: () => store.ping(),

    /** Streams an upload to a run the caller may edit into the store and records it; a retry of the same bytes and name returns the first artifact. */
    async upload(caller: Access, input: UploadArtifactInput, body: AsyncIterable<Uint8Array>, contentLength?: number | null) {
      const upload = await prepare(caller, input, contentLength);
      const blob = await store.put(checkedMedia(upload.kind, upload.mediaType, upload, body), { expectedSha256: upload.sha256, maxBytes: limits.maxBytes });
      return recordRunArtifact(upload, blob);
    },

    /**
     * Streams a file of a logged model the caller may edit into the store, named
     * models/<model id>/<path>; it carries the model and the model's source run, if any.
     */
    async uploadToLoggedModel(
      caller: Access,
      input: { modelId: string; path: string; kind?: string | null; mediaType?: string | null },
      body: AsyncIterable<Uint8Array>,
      contentLength?: number | null,
    ) {
      const valid = validateUpload({ name: loggedModelFileName(input.modelId, input.path), kind: input.kind, mediaType: input.mediaType }, contentLength);
      const model = await loggedModels.require(caller, input.modelId, 'EDITOR');
      const upload: PreparedUpload = { ...valid, runId: model.sourceRunId, loggedModelId: model.id, projectId: model.projectId };
      const blob = await store.put(body, { expectedSha256: upload.sha256, maxBytes: limits.maxBytes });
      return recordRunArtifact(upload, blob);
    },

    /** The newest file of a logged model the caller may read at this path in the model. */
    async latestOfLoggedModel(caller: Access, modelId: string, path: string): Promise<Artifact | null> {
      await loggedModels.require(caller, modelId, 'VIEWER');
      return prisma.artifact.findFirst({ where: { loggedModelId: modelId, name: loggedModelFileName(modelId, path) }, orderBy: { id: 'desc' } });
    },

    /** The newest file per name of a logged model the caller may read, under a path in the model; at most `limit`. */
    async latestUnderLoggedModel(caller: Access, modelId: string, prefix: string, limit: number): Promise<Artifact[]> {
      await loggedModels.require(caller, modelId, 'VIEWER');
      return prisma.artifact.findMany({
        where: { loggedModelId: modelId, name: { startsWith: loggedModelFileName(modelId, prefix) } },
        distinct: ['name'],
        orderBy: [{ name: 'asc' }, { id: 'desc' }],
        take: limit,
      });
    },

    /** An artifact the caller may read (VIEWER of its run's project); a hidden one is NOT_FOUND like a missing one. */
    async require(caller: Access, id: number, ref: string | number = id): Promise<Artifact> {
      const [artifact] = await artifactsByIds(db.sql, [id]);
      return artifactAccess.require(caller, artifact, 'VIEWER', ref);
    },

    /** The artifacts of these ids the caller may read. */
    async visibleByIds(caller: Access, ids: readonly number[]): Promise<Artifact[]> {
      return artifactAccess.visible(caller, await artifactsByIds(db.sql, ids));
    },

    /** The bytes of an artifact the caller read, whole or an inclusive range. */
    async openContent(artifact: Artifact, range?: { start: number; end: number }) {
      const stored = await store.stat(artifact.digest);
      if (!stored) throw new ConflictError(`the bytes of artifact ${artifact.id} (sha256 ${artifact.digest}) are missing from the artifact store`);
      return await store.open(artifact.digest, range);
    },

    /** The newest artifact of a run the caller may read with exactly this name (a name uploaded again with other bytes has several). */
    async latestNamed(caller: Access, runId: number, name: string): Promise<Artifact | null> {
      await readableRun(caller, runId);
      return prisma.artifact.findFirst({ where: { runId, name }, orderBy: { id: 'desc' } });
    },

    /** The newest artifact per name among the artifacts of a run the caller may read whose names start with `prefix`, by name; at most `limit` names. */
    async latestUnder(caller: Access, runId: number, prefix: string, limit: number): Promise<Artifact[]> {
      await readableRun(caller, runId);
      return prisma.artifact.findMany({
        where: { runId, ...(prefix ? { name: { startsWith: prefix } } : {}) },
        distinct: ['name'],
        orderBy: [{ name: 'asc' }, { id: 'desc' }],
        take: limit,
      });
    },

    /** Artifacts of runs in these projects (those the caller may see) whose names start and end as given, newest first; at most `limit`. */
    async namedInProjects(caller: Access, projectIds: readonly number[], name: { startsWith: string; endsWith: string }, limit: number): Promise<Artifact[]> {
      const readable = await readableProjects(caller);
      const ids = readable ? projectIds.filter((id) => readable.includes(id)) : [...projectIds];
      return prisma.artifact.findMany({
        where: { projectId: { in: ids }, AND: [{ name: { startsWith: name.startsWith } }, { name: { endsWith: name.endsWith } }] },
        orderBy: { id: 'desc' },
        take: limit,
      });
    },

    /** Artifacts of runs the caller read. */
    async ofRuns(caller: Access, runList: readonly Run[]): Promise<Artifact[]> {
      const runIds = (await runAccess.visible(caller, runList)).map((r) => r.id);
      return prisma.artifact.findMany({ where: { runId: { in: runIds } }, orderBy: [{ runId: 'asc' }, { id: 'asc' }] });
    },

    /** Media of runs the caller read, matching the filter, by key, step and id; at most `limit` per run after the cursor. */
    async mediaOf(caller: Access, runList: readonly Run[], filter: MediaFilter, limit: number): Promise<Artifact[]> {
      if (filter.key != null) requireKey('key', filter.key);
      const runIds = (await runAccess.visible(caller, runList)).map((r) => r.id);
      return runIds.length ? mediaPage(db.sql, runIds, filter, limit) : [];
    },

    /** Per run the caller read, each media key with its kind, count and steps (at most 10,000 steps a key). */
    async mediaKeysOf(caller: Access, runList: readonly Run[]): Promise<MediaKeyRow[]> {
      const runIds = (await runAccess.visible(caller, runList)).map((r) => r.id);
      return runIds.length ? mediaKeysOf(db.sql, runIds) : [];
    },

    /** The CODE_DIFF artifact linked to the code version of each run the caller read. */
    async codeDiffsOf(caller: Access, runList: readonly Run[]): Promise<{ runId: number; artifact: Artifact }[]> {
      const runIds = (await runAccess.visible(caller, runList)).map((r) => r.id);
      const rows = await prisma.runCodeVersion.findMany({
        where: { runId: { in: runIds }, diffArtifactId: { not: null } },
        include: { diffArtifact: true },
      });
      return rows.flatMap((r) => (r.diffArtifact ? [{ runId: r.runId, artifact: r.diffArtifact }] : []));
    },

    /** Unchecked for the direct-transfer service, which has run `prepare` (the caller's check) first. */
    internal: { recordRunArtifact },
  };
}

export type ArtifactService = ReturnType<typeof createArtifactService>;
