// Resumable upload sessions over real HTTP, on both stores (the local directory, and S3 when
// TEST_S3_ENDPOINT is set): chunks at an offset, a chunk cut off mid-body, wrong offsets, racing
// retries of one chunk, completion (checked, idempotent), abort, and garbage collection of the
// chunks of expired sessions while live sessions keep theirs.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeId } from '../../src/ids.js';
import { collectArtifactGarbage, forgetExpiredUploads, removeUnreferencedBlob } from '../../src/modules/artifacts/gc.js';
import { openArtifactStore } from '../../src/modules/artifacts/open-store.js';
import type { ArtifactStore } from '../../src/modules/artifacts/store.js';
import { sha256 } from '../support/artifacts.js';
import { newProject, newRun } from '../support/factories.js';
import { prefixOf, removePrefix, s3Client, s3ServerEnv, s3SkipReason, testS3 } from '../support/s3.js';
import { startServer, type TestServer, testConfig } from '../support/server.js';
import { cutChunk, sessionClient } from '../support/upload-sessions.js';
import { signInUsers } from '../support/users.js';

const CHUNK = 1024 * 1024;

if (s3SkipReason) console.warn(`upload sessions on S3 not run: ${s3SkipReason}`);

const stores: [string, () => Record<string, string>, string | null][] = [
  ['local directory', () => ({}), null],
  ['S3', () => s3ServerEnv(testS3()!, 'sessions'), s3SkipReason],
];

for (const [storeName, envOf, skip] of stores) {
  describe.skipIf(skip !== null)(`resumable upload sessions: ${storeName}`, () => {
    let server: TestServer;
    let store: ArtifactStore;
    let env: Record<string, string>;
    let api: ReturnType<typeof sessionClient>;
    beforeAll(async () => {
      env = { ...envOf(), RUNLEDGER_UPLOAD_CHUNK_MAX_BYTES: String(CHUNK) };
      server = await startServer(testConfig(env));
      store = openArtifactStore(server.app.config.artifacts);
      api = sessionClient(server.url);
    });
    afterAll(async () => {
      await server?.app.stop();
      if (env?.RUNLEDGER_ARTIFACT_STORE) await removePrefix(s3Client(testS3()!), testS3()!.bucket, prefixOf(env));
    });

    async function openSession(data: Buffer, input: Record<string, unknown> = {}) {
      const run = await newRun(server.client, await newProject(server.client, 'sessions'));
      const opened = await api.open(run.id, { name: 'weights/model.bin', kind: 'MODEL', sizeBytes: data.length, sha256: sha256(data), ...input });
      expect(opened.status, JSON.stringify(opened.body)).toBe(201);
      return { run, uploadId: opened.body.uploadId as string, opened: opened.body };
    }

    async function sendAll(uploadId: string, data: Buffer, from = 0) {
      for (let offset = from; offset < data.length; offset += CHUNK) {
        const put = await api.put(uploadId, offset, data.subarray(offset, offset + CHUNK));
        expect(put.status, JSON.stringify(put.body)).toBe(200);
        expect(put.body.offset).toBe(Math.min(offset + CHUNK, data.length));
      }
    }

    const artifactsOf = async (runId: string) =>
      (await server.client.data<any, any>('query($id: ID!) { node(id: $id) { ... on Run { artifacts { id name digest } } } }', { id: runId })).node.artifacts;

    it('takes a file in several chunks and serves back the same bytes, whole and by Range', async () => {
      const data = randomBytes(3 * CHUNK + 12_345);
      const { run, uploadId, opened } = await openSession(data, { mediaType: 'application/x-model' });
      expect(opened).toMatchObject({ offset: 0, sizeBytes: data.length, chunkMaxBytes: CHUNK, completed: false, artifactId: null });
      expect(Date.parse(opened.expiresAt)).toBeGreaterThan(Date.now());
      await sendAll(uploadId, data);
      expect((await api.status(uploadId)).body).toMatchObject({ offset: data.length, completed: false });

      const done = await api.complete(uploadId);
      expect(done.status).toBe(201);
      expect(done.body).toMatchObject({
        created: true,
        artifact: { name: 'weights/model.bin', kind: 'MODEL', digest: sha256(data), sizeBytes: data.length, mediaType: 'application/x-model' },
      });
      expect((await api.status(uploadId)).body).toMatchObject({ completed: true, artifactId: done.body.artifact.id });
      expect((await artifactsOf(run.id)).map((a: { id: string }) => a.id)).toEqual([done.body.artifact.id]);

      const whole = await fetch(`${server.url}${done.body.artifact.downloadUrl}`);
      expect(Buffer.from(await whole.arrayBuffer()).equals(data)).toBe(true);
      const ranged = await fetch(`${server.url}${done.body.artifact.downloadUrl}`, { headers: { range: `bytes=${CHUNK - 10}-${CHUNK + 9}` } });
      expect(ranged.status).toBe(206);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(CHUNK - 10, CHUNK + 10))).toBe(true);
      // The session's chunk rows are gone once completed: their blobs are ordinary garbage now.
      expect(await server.app.db.prisma.artifactUploadChunk.count({ where: { session: { token: uploadId } } })).toBe(0);
    });

    it('keeps nothing of a chunk whose connection was cut mid-body, and resumes from the offset it answers', async () => {
      const data = randomBytes(2 * CHUNK + 777);
      const { uploadId } = await openSession(data);
      expect((await api.put(uploadId, 0, data.subarray(0, CHUNK))).status).toBe(200);
      await cutChunk(server.url, uploadId, CHUNK, data.subarray(CHUNK, 2 * CHUNK), CHUNK / 2);
      const state = await api.status(uploadId);
      expect(state.body.offset).toBe(CHUNK);
      await sendAll(uploadId, data, state.body.offset);
      const done = await api.complete(uploadId);
      expect(done.body).toMatchObject({ created: true, artifact: { digest: sha256(data), sizeBytes: data.length } });
      const back = await fetch(`${server.url}${done.body.artifact.downloadUrl}`);
      expect(sha256(Buffer.from(await back.arrayBuffer()))).toBe(sha256(data));
      expect(server.loggedErrors).toEqual([]);
    });

    it('refuses a chunk at the wrong offset with 409 and the offset to go on from', async () => {
      const data = randomBytes(CHUNK + 10);
      const { uploadId } = await openSession(data);
      const ahead = await api.put(uploadId, 5, data.subarray(5, 100));
      expect(ahead.status).toBe(409);
      expect(ahead.body.errors[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'Upload-Offset', offset: 0, sizeBytes: data.length });
      expect((await api.put(uploadId, 0, data.subarray(0, CHUNK))).status).toBe(200);
      // The same chunk again (a retry whose answer was lost) is refused, not appended.
      const again = await api.put(uploadId, 0, data.subarray(0, CHUNK));
      expect(again.status).toBe(409);
      expect(again.body.errors[0].extensions.offset).toBe(CHUNK);
      expect((await api.status(uploadId)).body.offset).toBe(CHUNK);
    });

    it('accepts exactly one of two concurrent PUTs of the same chunk, so no byte lands twice', async () => {
      const data = randomBytes(CHUNK + 500);
      const { uploadId } = await openSession(data);
      const chunk = data.subarray(0, CHUNK);
      const answers = await Promise.all([api.put(uploadId, 0, chunk), api.put(uploadId, 0, chunk), api.put(uploadId, 0, chunk)]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409]);
      for (const lost of answers.filter((a) => a.status === 409)) expect(lost.body.errors[0].extensions.offset).toBe(CHUNK);
      expect(await server.app.db.prisma.artifactUploadChunk.count({ where: { session: { token: uploadId } } })).toBe(1);
      await sendAll(uploadId, data, CHUNK);
      expect((await api.complete(uploadId)).body.artifact).toMatchObject({ digest: sha256(data), sizeBytes: data.length });
    });

    it('refuses completion while bytes are missing or when the whole differs from its sha256, registering nothing', async () => {
      const data = randomBytes(CHUNK + 99);
      const { run, uploadId } = await openSession(data, { sha256: sha256('other bytes') });
      await sendAll(uploadId, data.subarray(0, CHUNK));
      const early = await api.complete(uploadId);
      expect(early.status).toBe(400);
      expect(early.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'sizeBytes', offset: CHUNK });
      expect((await api.put(uploadId, CHUNK, data.subarray(CHUNK))).status).toBe(200);
      const wrong = await api.complete(uploadId);
      expect(wrong.status).toBe(400);
      expect(wrong.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'sha256' });
      expect(await artifactsOf(run.id)).toEqual([]);
      expect(await store.stat(sha256(data))).toBeNull();
      expect((await api.status(uploadId)).body).toMatchObject({ completed: false, artifactId: null });
    });

    it('answers a retried completion with the same artifact and created: false', async () => {
      const data = randomBytes(CHUNK / 2);
      const { run, uploadId } = await openSession(data);
      await sendAll(uploadId, data);
      const [first, second] = [await api.complete(uploadId), await api.complete(uploadId)];
      expect(first.body.created).toBe(true);
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ created: false, artifact: { id: first.body.artifact.id } });
      expect(await artifactsOf(run.id)).toHaveLength(1);
      // Nothing more is taken once completed, and it cannot be aborted.
      expect((await api.put(uploadId, data.length, Buffer.from('x'))).status).toBe(409);
      expect((await api.abort(uploadId)).status).toBe(409);
    });

    it('registers an empty file with no chunk at all', async () => {
      const { uploadId } = await openSession(Buffer.alloc(0), { name: 'empty.txt' });
      expect((await api.complete(uploadId)).body).toMatchObject({ created: true, artifact: { sizeBytes: 0, digest: sha256('') } });
    });

    it('aborts a session: it is gone with its chunk rows', async () => {
      const data = randomBytes(CHUNK + 1);
      const { uploadId } = await openSession(data);
      await sendAll(uploadId, data.subarray(0, CHUNK));
      expect(await api.abort(uploadId)).toEqual({ status: 200, body: { uploadId, aborted: true } });
      expect((await api.status(uploadId)).status).toBe(404);
      expect((await api.put(uploadId, CHUNK, data.subarray(CHUNK))).status).toBe(404);
      expect((await api.complete(uploadId)).status).toBe(404);
      expect(await server.app.db.prisma.artifactUploadChunk.count({ where: { session: { token: uploadId } } })).toBe(0);
    });

    it('refuses bad input with the field named, never a 5xx', async () => {
      const data = randomBytes(CHUNK + 10);
      const { run, uploadId } = await openSession(data);
      const field = (a: { body: any }) => a.body.errors[0].extensions.field;
      const tooBig = await api.put(uploadId, 0, randomBytes(CHUNK + 1));
      expect([tooBig.status, field(tooBig)]).toEqual([413, 'content-length']);
      expect((await api.put(uploadId, 0, data.subarray(0, CHUNK))).status).toBe(200);
      const past = await api.put(uploadId, CHUNK, randomBytes(11));
      expect([past.status, field(past)]).toEqual([400, 'content-length']);
      const noOffset = await api.put(uploadId, null, data.subarray(CHUNK));
      expect([noOffset.status, field(noOffset)]).toEqual([400, 'Upload-Offset']);
      const empty = await api.put(uploadId, CHUNK, Buffer.alloc(0));
      expect([empty.status, field(empty)]).toEqual([400, 'content-length']);
      expect((await api.status(uploadId)).body.offset).toBe(CHUNK);

      const open = (input: Record<string, unknown>) => api.open(run.id, { name: 'x.bin', sizeBytes: 10, sha256: sha256('x'), ...input });
      expect(field(await open({ sha256: 'nope' }))).toBe('input.sha256');
      expect(field(await open({ sha256: undefined }))).toBe('input.sha256');
      expect(field(await open({ sizeBytes: -1 }))).toBe('input.sizeBytes');
      expect(field(await open({ sizeBytes: '10' }))).toBe('input.sizeBytes');
      expect(field(await open({ name: '' }))).toBe('input.name');
      expect(field(await open({ kind: 'IMAGE' }))).toBe('input.kind');
      const huge = await open({ sizeBytes: 1e15 });
      expect([huge.status, field(huge)]).toEqual([413, 'input.sizeBytes']);
      expect((await api.status('not-a-session')).status).toBe(404);
      expect((await api.status('0b0e0c6e-1111-4222-8333-444455556666')).status).toBe(404);
      expect(server.loggedErrors).toEqual([]);
    });

    it('keeps the chunks of live sessions through garbage collection and collects those of expired ones once forgotten', async () => {
      const live = randomBytes(CHUNK / 4);
      const stale = randomBytes(CHUNK / 4);
      const a = await openSession(live);
      const b = await openSession(stale);
      await sendAll(a.uploadId, live);
      await sendAll(b.uploadId, stale);
      // Session b expired an hour ago.
      await server.app.db.prisma.artifactUploadSession.update({ where: { token: b.uploadId }, data: { expiresAt: new Date(Date.now() - 3_600_000) } });
      // Retention's removal (the collector's locked check) refuses a blob a live session's chunk holds.
      expect(await removeUnreferencedBlob(server.app.db, store, sha256(live))).toBe(false);
      const future = new Date(Date.now() + 60_000);
      await collectArtifactGarbage(server.app.db, store, { olderThan: future });
      expect(await store.stat(sha256(live))).not.toBeNull();
      expect(await store.stat(sha256(stale))).toBeNull();
      expect((await api.status(b.uploadId)).status).toBe(404);
      expect(await forgetExpiredUploads(server.app.db, store, new Date())).toBeGreaterThanOrEqual(1);
      expect(await server.app.db.prisma.artifactUploadSession.count({ where: { token: b.uploadId } })).toBe(0);
      // The live session still completes from its kept chunk.
      expect((await api.complete(a.uploadId)).body.artifact).toMatchObject({ digest: sha256(live) });
      expect(decodeId('Artifact', (await api.status(a.uploadId)).body.artifactId, 'id')).toBeGreaterThan(0);
    });
  });
}

describe('upload session access, decided by the artifact service', () => {
  it('lets editors use a session; a viewer of the run is FORBIDDEN at every route and a stranger sees NOT_FOUND', async () => {
    const authed = await startServer(testConfig({ RUNLEDGER_AUTH: 'on', RUNLEDGER_UPLOAD_CHUNK_MAX_BYTES: String(CHUNK) }));
    try {
      const { admin, ana, bob } = await signInUsers(authed);
      const project = await newProject(admin.client, 'sessions-auth');
      const run = await newRun(admin.client, project);
      await admin.client.data('mutation($p: String!, $u: String!) { grantProjectRole(input: {project: $p, user: $u, role: VIEWER}) { __typename } }', {
        p: project,
        u: ana.name,
      });
      const as = (u: { secret: string }) => sessionClient(authed.url, { authorization: `Bearer ${u.secret}` });
      const [asAdmin, asViewer, asStranger] = [as(admin), as(ana), as(bob)];
      const data = Buffer.from('weights');
      const input = { name: 'w.bin', sizeBytes: data.length, sha256: sha256(data) };
      const code = (a: { body: any }) => a.body.errors?.[0]?.extensions.code;
      expect(code(await asViewer.open(run.id, input))).toBe('FORBIDDEN');
      expect(code(await asStranger.open(run.id, input))).toBe('NOT_FOUND');
      const id = (await asAdmin.open(run.id, input)).body.uploadId as string;
      for (const [who, expected] of [
        [asViewer, 'FORBIDDEN'],
        [asStranger, 'NOT_FOUND'],
      ] as const) {
        expect(code(await who.status(id))).toBe(expected);
        expect(code(await who.put(id, 0, data))).toBe(expected);
        expect(code(await who.complete(id))).toBe(expected);
        expect(code(await who.abort(id))).toBe(expected);
      }
      expect((await sessionClient(authed.url).status(id)).status).toBe(401);
      expect((await asAdmin.put(id, 0, data)).status).toBe(200);
      expect((await asAdmin.complete(id)).body).toMatchObject({ created: true, artifact: { digest: sha256(data) } });
    } finally {
      await authed.app.stop();
    }
  });
});
