// GraphQL types of artifacts: the Artifact node, Run.artifacts, CodeVersion.diff and uploadArtifact.
import { GraphQLError } from 'graphql';
import { builder } from '../../builder.js';
import { decodeId } from '../../ids.js';
import type { Run } from '../runs/service.js';
import { runLoader } from '../runs/loaders.js';
import { CodeVersionRef, RunRef } from '../runs/schema.js';
import { downloadPath } from './http.js';
import { loadNodes } from '../../loaders.js';
import { artifactLoader, codeDiffLoader, mediaKeysLoader, mediaLoader, runArtifactsLoader } from './loaders.js';
import { forwardConnection } from '../../connections.js';
import { ValidationError } from '../../errors.js';
import { requireForwardPaging, requirePageSize } from '../../validation.js';
import type { MediaFilter } from './records.js';
import type { ARTIFACT_KINDS, Artifact } from './service.js';

export const ArtifactRef = builder.objectRef<Artifact>('Artifact');

export const ArtifactKindEnum = builder.enumType('ArtifactKind', {
  description: 'What an artifact holds.',
  values: {
    MODEL: { description: 'Trained model weights, ready to register as a ModelVersion.' },
    CHECKPOINT: { description: 'Intermediate training state (also registrable).' },
    PLOT: { description: 'A figure (with a key: an image logged per step, e.g. a matplotlib figure as PNG; see docs/media.md).' },
    PREDICTIONS: { description: 'Model outputs on some data.' },
    ENVIRONMENT: { description: 'A lockfile such as requirements.txt or conda.yaml.' },
    CODE_DIFF: { description: "The uncommitted changes of a dirty working tree; becomes the run's codeVersion.diff." },
    EVAL_REPORT: { description: 'An evaluation report (holdout metrics, fairness or bias checks); promotion rules can require one.' },
    OTHER: { description: 'Anything else.' },
    IMAGE: { description: 'An image logged under a key, usually per step: PNG, JPEG, GIF or WebP (docs/media.md).' },
    TABLE: { description: 'A table logged under a key: JSON {"columns": [...], "data": [[...]]} (pandas orient="split"; docs/media.md).' },
    HISTOGRAM: { description: 'A histogram logged under a key, usually per step: JSON {"bins": [...], "counts": [...]} (docs/media.md).' },
    CONSOLE: { description: "The process's console output (stdout and stderr), text/plain; the run page shows its tail." },
  } satisfies Record<(typeof ARTIFACT_KINDS)[number], unknown>,
});

builder.scalarType('File', {
  description: 'A file sent as a part of a GraphQL multipart request (graphql-multipart-request-spec). Input only.',
  serialize: () => {
    throw new Error('File is an input-only scalar');
  },
  parseValue: (value) => {
    const file = value as File;
    if (!file || typeof file !== 'object' || typeof file.stream !== 'function') {
      throw new GraphQLError('File must be sent as a multipart request part', { extensions: { code: 'BAD_USER_INPUT' } });
    }
    return file;
  },
});

// yoga hands over its own ReadableStream implementation, so read it through the reader API.
async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

builder.node(ArtifactRef, {
  description: 'A file a run (or a logged model) produced, stored once by its sha256 however many runs or names refer to it.',
  id: { resolve: (a) => a.id },
  // Visible to callers with a role in its project (others load it as null: NOT_FOUND).
  authScopes: (a) => ({ readProject: a.projectId }),
  loadMany: (ids, ctx) => loadNodes(artifactLoader(ctx), ids, ArtifactRef.name),
  fields: (t) => ({
    run: t.field({
      type: RunRef,
      nullable: true,
      description: 'The run that produced it; null for a file of a model an MLflow script logged outside any run.',
      resolve: async (a, _args, ctx) => (a.runId === null ? null : runLoader(ctx).load(a.runId)),
    }),
    name: t.exposeString('name', { description: 'A label (e.g. "model/weights.pt"); never a path on the server.' }),
    kind: t.field({ type: ArtifactKindEnum, resolve: (a) => a.kind }),
    digest: t.exposeString('digest', { description: 'sha256 of the bytes, lowercase hex.' }),
    sizeBytes: t.field({ type: 'SafeInt', resolve: (a) => Number(a.sizeBytes) }),
    mediaType: t.exposeString('mediaType', { description: 'Content type served on download.' }),
    mediaKey: t.exposeString('mediaKey', {
      nullable: true,
      description: 'For media (images, tables, histograms, plots, console output): the key it was logged under.',
    }),
    step: t.field({
      type: 'SafeInt',
      nullable: true,
      description: 'For media logged per step: the step.',
      resolve: (a) => (a.step === null ? null : Number(a.step)),
    }),
    downloadUrl: t.string({
      description: 'Path on this server that serves the bytes (GET, with Range support).',
      resolve: (a) => downloadPath(a.id),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.objectFields(RunRef, (t) => ({
  artifacts: t.field({
    type: [ArtifactRef],
    description: 'Files the run produced, oldest first; optionally of one kind.',
    args: { kind: t.arg({ type: ArtifactKindEnum }) },
    resolve: async (r, { kind }, ctx) => {
      const all = await runArtifactsLoader(ctx).load(r);
      return kind ? all.filter((a) => a.kind === kind) : all;
    },
  }),
}));

const MediaKey = builder.simpleObject('MediaKey', {
  description: 'One key a run logged media under: its kind, how many uploads, and the steps (for stepping through images).',
  fields: (t) => ({
    key: t.string(),
    kind: t.field({ type: ArtifactKindEnum }),
    count: t.int({ description: 'Uploads under the key (several per step for a list of images).' }),
    steps: t.field({ type: ['SafeInt'], description: 'Distinct steps in order, the first 10,000.' }),
  }),
});

const mediaCursor = (a: Artifact) => Buffer.from(JSON.stringify([a.mediaKey, a.step === null ? null : Number(a.step), a.id])).toString('base64url');

function decodeMediaCursor(after: string | null | undefined): MediaFilter['after'] {
  if (!after) return null;
  try {
    const [key, step, id] = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as [string, number | null, number];
    if (typeof key === 'string' && (step === null || Number.isSafeInteger(step)) && Number.isSafeInteger(id)) return { key, step, id };
  } catch {
    // refused below
  }
  throw new ValidationError('after', 'is not a cursor returned by this field');
}

builder.objectFields(RunRef, (t) => ({
  media: t.connection({
    type: ArtifactRef,
    description:
      'Media the run logged (artifacts with a key: images, tables, histograms, plots, console output), by key, then step, then upload order. ' +
      'Filter by kind, key or step; 100 a page unless `first` says otherwise.',
    args: {
      kind: t.arg({ type: ArtifactKindEnum }),
      key: t.arg.string({ description: 'Only this key.' }),
      step: t.arg({ type: 'SafeInt', description: 'Only this step.' }),
    },
    resolve: async (r, args, ctx) => {
      requireForwardPaging(args);
      const first = requirePageSize('first', args.first, 100);
      const after = decodeMediaCursor(args.after);
      const rows = await mediaLoader(ctx, { kind: args.kind ?? null, key: args.key ?? null, step: args.step ?? null, after }, first + 1).load(r);
      return forwardConnection(
        rows.slice(0, first).map((a) => ({ node: a, cursor: mediaCursor(a) })),
        rows.length > first,
        args.after,
      );
    },
  }),
  mediaKeys: t.field({
    type: [MediaKey],
    description: 'Every key the run logged media under, by key, with its kind and steps.',
    resolve: (r, _a, ctx) => mediaKeysLoader(ctx).load(r),
  }),
}));

builder.objectField(CodeVersionRef, 'diff', (t) =>
  t.field({
    type: ArtifactRef,
    nullable: true,
    description: 'The CODE_DIFF artifact with the uncommitted changes, when the tree was dirty and the diff was uploaded.',
    // Code versions are loaded per run and carry the run beside their public fields.
    resolve: async (code, _args, ctx) => (await codeDiffLoader(ctx).load((code as unknown as { run: Run }).run))[0]?.artifact ?? null,
  }),
);

const UploadArtifactInput = builder.inputType('UploadArtifactInput', {
  fields: (t) => ({
    runId: t.id({ required: true }),
    file: t.field({
      type: 'File',
      required: true,
      description:
        'The bytes, as a multipart part; the whole request may be at most RUNLEDGER_MAX_MULTIPART_BYTES (100 MiB by default). Stream larger files with PUT /artifacts/runs/<runId>.',
    }),
    name: t.string({ description: 'A label, at most 1000 characters, no control characters; defaults to the file name.' }),
    kind: t.field({ type: ArtifactKindEnum, defaultValue: 'OTHER' }),
    sha256: t.string({ description: 'sha256 the client computed; when the bytes differ the upload is rejected and nothing is kept.' }),
    mediaType: t.string({ description: 'Defaults to the type of the multipart part, then application/octet-stream.' }),
    key: t.string({
      description:
        'For media (IMAGE, TABLE, HISTOGRAM, PLOT, CONSOLE): the key it is logged under, named like a metric key; IMAGE, TABLE and HISTOGRAM need one.',
    }),
    step: t.field({ type: 'SafeInt', description: 'For media logged per step (needs a key): the step, as a metric point has.' }),
  }),
});

const UploadArtifactPayload = builder.simpleObject('UploadArtifactPayload', {
  fields: (t) => ({
    artifact: t.field({ type: ArtifactRef }),
    created: t.boolean({ description: 'False when the same bytes were already recorded under this name for this run (a retry).' }),
  }),
});

builder.mutationFields((t) => ({
  uploadArtifact: t.field({
    type: UploadArtifactPayload,
    description: 'Uploads a file a run produced (GraphQL multipart). Bytes are stored by sha256 and deduplicated; retrying is safe.',
    args: { input: t.arg({ type: UploadArtifactInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const runId = decodeId('Run', String(input.runId), 'input.runId');
      const file = input.file;
      return ctx.services.artifacts.upload(
        ctx.access,
        {
          runId,
          name: input.name ?? file.name,
          kind: input.kind,
          sha256: input.sha256,
          mediaType: input.mediaType ?? (file.type || null),
          key: input.key,
          step: input.step,
        },
        chunksOf(file.stream()),
        file.size,
      );
    },
  }),
}));
