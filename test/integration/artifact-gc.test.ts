// Artifact garbage collection on both stores: blobs no artifact refers to are removed, referenced
// and young ones kept; and a registration that reused stored bytes which the collector removed
// meanwhile fails retryably instead of recording an artifact without bytes.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/errors.js';
import { decodeId } from '../../src/ids.js';
import { collectArtifactGarbage, forgetExpiredUploads } from '../../src/modules/artifacts/gc.js';
import { createArtifactService } from '../../src/modules/artifacts/service.js';
import { operatorAccess } from '../../src/modules/auth/access.js';
import { edgeRecorder } from '../../src/modules/lineage/store.js';
import { createLoggedModelService } from '../../src/modules/logged-models/service.js';
import { createProjectService } from '../../src/modules/projects/service.js';
import { createRunService } from '../../src/modules/runs/service.js';
import { openArtifactStore } from '../../src/modules/artifacts/open-store.js';
import type { ArtifactStore } from '../../src/modules/artifacts/store.js';
import { putArtifact, sha256 } from '../support/artifacts.js';
import { newProject, newRun } from '../support/factories.js';
import { prefixOf, removePrefix, s3Client, s3ServerEnv, s3SkipReason, testS3 } from '../support/s3.js';
import { startServer, type TestServer, testConfig } from '../support/server.js';

async function* once(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

if (s3SkipReason) console.warn(`artifact garbage collection on S3 not run: ${s3SkipReason}`);

const stores: [string, () => Record<string, string>, string | null][] = [
  ['local directory', () => ({}), null],
  ['S3', () => s3ServerEnv(testS3()!, 'gc', { RUNLEDGER_ARTIFACT_DIRECT: 'on' }), s3SkipReason],
];

for (const [name, envOf, skip] of stores) {
  describe.skipIf(skip !== null)(`artifact garbage collection: ${name}`, () => {
    let server: TestServer;
    let store: ArtifactStore;
    let env: Record<string, string>;
    beforeAll(async () => {
      env = envOf();
      server = await startServer(testConfig(env));
      // The same directory or bucket prefix the server writes to: stores keep no state of their own.
      store = openArtifactStore(server.app.config.artifacts);
    });
    afterAll(async () => {
      await server?.app.stop();
      if (env?.RUNLEDGER_ARTIFACT_STORE) await removePrefix(s3Client(testS3()!), testS3()!.bucket, prefixOf(env));
    });

    it('removes blobs no artifact refers to, keeps referenced and young ones, and reports what it did', async () => {
      const run = await newRun(server.client, await newProject(server.client, 'gc'));
      const kept = randomBytes(2000);
      expect((await putArtifact(server.url, run.id, kept, { name: 'kept.bin' })).status).toBe(201);
      const orphan = await store.put(once(randomBytes(3000)), { maxBytes: 1e9 });
      const now = new Date(Date.now() + 60_000);

      const dry = await collectArtifactGarbage(server.app.db, store, { olderThan: now, dryRun: true });
      expect(dry).toMatchObject({ referenced: 1, removed: 1, removedBytes: 3000, dryRun: true });
      expect(await store.stat(orphan.digest)).not.toBeNull();

      // Nothing is old enough yet: everything is young.
      expect(await collectArtifactGarbage(server.app.db, store, { olderThan: new Date(Date.now() - 3_600_000) })).toMatchObject({ young: 2, removed: 0 });

      expect(await collectArtifactGarbage(server.app.db, store, { olderThan: now })).toMatchObject({
        scanned: 2,
        referenced: 1,
        removed: 1,
        removedBytes: 3000,
      });
      expect(await store.stat(orphan.digest)).toBeNull();
      expect(await store.stat(sha256(kept))).toEqual({ sizeBytes: 2000 });
      const back = await fetch(
        `${server.url}/artifacts/${encodeURIComponent((await putArtifact(server.url, run.id, kept, { name: 'kept.bin' })).body.artifact!.id)}`,
      );
      expect(sha256(Buffer.from(await back.arrayBuffer()))).toBe(sha256(kept));
    });

    it('a registration reusing bytes that were collected meanwhile fails retryably and records nothing', async () => {
      const run = await newRun(server.client, await newProject(server.client, 'gc-race'));
      const data = randomBytes(1500);
      const blob = await store.put(once(data), { maxBytes: 1e9 });
      const reused = await store.put(once(data), { maxBytes: 1e9 });
      expect(reused.created).toBe(false);
      await store.delete(blob.digest); // the collector won the race
      // Doors get no way to record bytes unchecked; the test builds the service itself to reach that step.
      const projects = createProjectService(server.app.db);
      const runs = createRunService(server.app.db, projects, edgeRecorder({ outbox: false }), { afterCommit: () => {} });
      const artifacts = createArtifactService(
        server.app.db,
        store,
        { maxBytes: 1e9 },
        runs,
        edgeRecorder({ outbox: false }),
        createLoggedModelService(server.app.db, { runs }),
      );
      const upload = await artifacts.prepare(operatorAccess(), { runId: decodeId('Run', run.id, 'id'), name: 'late.bin' });
      await expect(artifacts.internal.recordRunArtifact(upload, reused)).rejects.toBeInstanceOf(UnavailableError);
      expect(await server.app.db.prisma.artifact.count({ where: { digest: blob.digest } })).toBe(0);
      // The client's retry sends the bytes again, and they are stored again.
      expect((await putArtifact(server.url, run.id, data, { name: 'late.bin', sha256: sha256(data) })).status).toBe(201);
    });

    it.skipIf(name !== 'S3')('forgets direct uploads that expired without being completed', async () => {
      const run = await newRun(server.client, await newProject(server.client, 'gc-direct'));
      const upload = await server.client.data<any, any>(`mutation($i: CreateArtifactUploadInput!) { createArtifactUpload(input: $i) { uploadId } }`, {
        i: { runId: run.id, name: 'abandoned.bin', sha256: sha256('x'), sizeBytes: 1 },
      });
      expect(await forgetExpiredUploads(server.app.db, store, new Date(Date.now() + 3_600_000))).toBeGreaterThanOrEqual(1);
      const complete = await server.client.error(`mutation($i: CompleteArtifactUploadInput!) { completeArtifactUpload(input: $i) { created } }`, {
        i: { uploadId: upload.createArtifactUpload.uploadId },
      });
      expect(complete.extensions?.code).toBe('NOT_FOUND');
    });
  });
}
