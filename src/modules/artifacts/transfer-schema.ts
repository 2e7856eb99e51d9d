// GraphQL of direct artifact transfer: createArtifactUpload / completeArtifactUpload and
// Artifact.directDownloadUrl. Resolvers pass the caller; the transfer service decides.
import { builder } from '../../builder.js';
import { decodeId } from '../../ids.js';
import { ArtifactKindEnum, ArtifactRef } from './schema.js';

const HttpHeader = builder.simpleObject('HttpHeader', {
  description: 'A header an HTTP request must carry.',
  fields: (t) => ({ name: t.string(), value: t.string() }),
});

const CreateArtifactUploadInput = builder.inputType('CreateArtifactUploadInput', {
  fields: (t) => ({
    runId: t.id({ required: true }),
    name: t.string({ required: true, description: 'A label, at most 1000 characters, no control characters.' }),
    kind: t.field({ type: ArtifactKindEnum, defaultValue: 'OTHER' }),
    sha256: t.string({ required: true, description: 'sha256 of the file (hex); the URL is signed for exactly these bytes.' }),
    sizeBytes: t.field({ type: 'SafeInt', required: true, description: 'The exact length of the file.' }),
    mediaType: t.string({ description: 'Served on download; defaults to application/octet-stream.' }),
  }),
});

const CreateArtifactUploadPayload = builder.simpleObject('CreateArtifactUploadPayload', {
  description: 'Where to PUT the bytes. Send exactly the announced bytes with these headers, then call completeArtifactUpload.',
  fields: (t) => ({
    uploadId: t.id({ description: 'What completeArtifactUpload takes.' }),
    url: t.string({ description: 'A presigned URL of the object store, valid until expiresAt.' }),
    method: t.string({ description: 'Always PUT.' }),
    headers: t.field({ type: [HttpHeader], description: 'Headers the PUT must carry exactly (they are signed).' }),
    expiresAt: t.field({ type: 'DateTime' }),
  }),
});

const CompleteArtifactUploadPayload = builder.simpleObject('CompleteArtifactUploadPayload', {
  fields: (t) => ({
    artifact: t.field({ type: ArtifactRef }),
    created: t.boolean({ description: 'False when this upload (or the same bytes under this name for this run) was already registered.' }),
  }),
});

const CompleteArtifactUploadInput = builder.inputType('CompleteArtifactUploadInput', {
  fields: (t) => ({ uploadId: t.id({ required: true }) }),
});

builder.mutationFields((t) => ({
  createArtifactUpload: t.field({
    type: CreateArtifactUploadPayload,
    description:
      'Direct transfer (when the server stores artifacts in S3 with RUNLEDGER_ARTIFACT_DIRECT=on): a short-lived presigned URL to PUT the file to, so its bytes skip the API server. CONFLICT with directTransfer "off" when the server does not offer it: upload with PUT /artifacts/runs/<runId> then.',
    args: { input: t.arg({ type: CreateArtifactUploadInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const upload = await ctx.services.artifactTransfer.createUpload(ctx.access, {
        runId: decodeId('Run', String(input.runId), 'input.runId'),
        name: input.name,
        kind: input.kind,
        sha256: input.sha256,
        sizeBytes: input.sizeBytes,
        mediaType: input.mediaType,
      });
      return { ...upload, headers: Object.entries(upload.headers).map(([name, value]) => ({ name, value })) };
    },
  }),
  completeArtifactUpload: t.field({
    type: CompleteArtifactUploadPayload,
    description: 'Registers a direct upload once the store holds exactly the announced bytes (size and sha256 checked). Retrying is safe.',
    args: { input: t.arg({ type: CompleteArtifactUploadInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.artifactTransfer.completeUpload(ctx.access, String(input.uploadId)),
  }),
}));

builder.objectField(ArtifactRef, 'directDownloadUrl', (t) =>
  t.string({
    nullable: true,
    description:
      'A short-lived presigned URL of the object store that serves the bytes directly (Range works), when the server offers direct transfer; null otherwise (use downloadUrl).',
    resolve: (a, _args, ctx) => ctx.services.artifactTransfer.downloadUrl(ctx.access, a.id),
  }),
);
