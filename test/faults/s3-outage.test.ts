// The object store dies (SIGKILL) in the middle of a streamed artifact upload, stays down, and
// comes back on the same port with its data. The upload gets a clear, retryable answer (503
// UNAVAILABLE with Retry-After), nothing is registered, every door answers the same while the
// store is away (GraphQL, /artifacts, the MLflow proxy, downloads, direct transfer), the rest of
// the service keeps working, and after the restart the same upload succeeds; what the failed
// upload left staged is swept. A resumable upload session outlives the outage and resumes from
// its offset. The store is a private S3Proxy (tools/s3proxy/start).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeId } from '../../src/ids.js';
import { sweepStaging } from '../../src/modules/artifacts/s3-sweep.js';
import { mlflowRunId } from '../../src/modules/runs/mlflow-id.js';
import { putArtifact, putArtifactStream, sha256 } from '../support/artifacts.js';
import { newProject, newRun } from '../support/factories.js';
import { keysUnder, type OwnS3, ownS3, ownS3UnavailableReason, s3Client, s3ServerEnv } from '../support/s3.js';
import { startServer, type TestServer, testConfig } from '../support/server.js';
import { sessionClient } from '../support/upload-sessions.js';

const unavailable = await ownS3UnavailableReason();
if (unavailable) console.warn(`s3-outage fault test not run: ${unavailable}`);

const MIB = 1024 * 1024;

/** Deterministic bytes in 256 KiB chunks; after `pauseAt` bytes it waits for `resume` (the store is killed meanwhile). */
async function* upload(total: number, seed: number, pauseAt = Number.POSITIVE_INFINITY, resume?: () => Promise<void>): AsyncGenerator<Uint8Array> {
  let sent = 0;
  let n = 0;
  while (sent < total) {
    if (sent >= pauseAt && resume) {
      await resume();
      resume = undefined;
    }
    const size = Math.min(256 * 1024, total - sent);
    const chunk = Buffer.alloc(size, (seed + n) % 251);
    chunk.writeUInt32BE(n++, 0);
    sent += size;
    yield chunk;
  }
}

async function digestOf(total: number, seed: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of upload(total, seed)) hash.update(chunk);
  return hash.digest('hex');
}

describe.skipIf(unavailable !== null)('a real object store killed with SIGKILL in the middle of an upload', () => {
  let s3: OwnS3;
  let server: TestServer;
  let prefix: string;

  beforeAll(async () => {
    s3 = await ownS3();
    await s3.start();
    const env = s3ServerEnv(s3, 'outage', { RUNLEDGER_ARTIFACT_DIRECT: 'on' });
    prefix = `${env.RUNLEDGER_ARTIFACT_STORE!.split('/').slice(3).join('/')}/`;
    server = await startServer(testConfig(env));
  });

  afterAll(async () => {
    await server?.app.stop();
    await s3?.dispose();
  });

  const artifactsOf = async (runId: string) =>
    (await server.client.data<any, any>(`query($id: ID!) { node(id: $id) { ... on Run { artifacts { name digest } } } }`, { id: runId })).node.artifacts;

  it('answers 503 UNAVAILABLE with Retry-After at every door, registers nothing, and works again after the restart', async () => {
    const { client, url } = server;
    const project = await newProject(client, 'outage');
    const run = await newRun(client, project);
    const stored = await putArtifact(url, run.id, 'before the outage', { name: 'before.txt' });
    expect(stored.status).toBe(201);

    const total = 40 * MIB;
    const digest = await digestOf(total, 3);
    const failed = await putArtifactStream(
      url,
      run.id,
      upload(total, 3, 12 * MIB, () => s3.kill9()),
      { name: 'weights.bin', kind: 'MODEL', sha256: digest },
    );
    expect(failed.status).toBe(503);
    expect(failed.headers?.['retry-after']).toMatch(/^\d+$/);
    expect(failed.body.errors?.[0]?.extensions.code).toBe('UNAVAILABLE');
    expect(failed.body.errors?.[0]?.message).toMatch(/artifact store cannot be reached.*nothing was stored; retry in \d+ s/);
    expect((await artifactsOf(run.id)).map((a: { name: string }) => a.name)).toEqual(['before.txt']);

    // While the store is down, every door says the same, and the rest of the service works.
    const download = await fetch(`${url}${stored.body.artifact!.downloadUrl}`);
    expect(download.status).toBe(503);
    expect(download.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await download.json()) as any).errors[0].extensions.code).toBe('UNAVAILABLE');

    const small = await putArtifact(url, run.id, 'small', { name: 'small.txt' });
    expect(small.status).toBe(503);

    const experiment = ((await (await fetch(`${url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${project}`)).json()) as any).experiment
      .experiment_id;
    const proxied = `${url}/api/2.0/mlflow-artifacts/artifacts/${experiment}/${mlflowRunId(decodeId('Run', run.id, 'id'))}/artifacts/m.txt`;
    const mlflowPut = await fetch(proxied, { method: 'PUT', body: 'mlflow bytes' });
    expect(mlflowPut.status).toBe(503);
    expect(((await mlflowPut.json()) as any).error_code).toBe('TEMPORARILY_UNAVAILABLE');

    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({
        query: `mutation ($input: UploadArtifactInput!) { uploadArtifact(input: $input) { created } }`,
        variables: { input: { runId: run.id, file: null } },
      }),
    );
    form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
    form.append('0', new Blob(['graphql bytes']), 'g.txt');
    const viaGraphql = await fetch(`${url}/graphql`, { method: 'POST', body: form, headers: { 'x-graphql-yoga-csrf': '1' } });
    expect(viaGraphql.status).toBe(503);
    expect(viaGraphql.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await viaGraphql.json()) as any).errors[0].extensions.code).toBe('UNAVAILABLE');

    // Presigning is local arithmetic: the URL is still handed out; the PUT to it fails until the store is back.
    const direct = await client.data<any, any>(`mutation($i: CreateArtifactUploadInput!) { createArtifactUpload(input: $i) { uploadId url } }`, {
      i: { runId: run.id, name: 'd.bin', sha256: sha256('d'), sizeBytes: 1 },
    });
    await expect(fetch(direct.createArtifactUpload.url, { method: 'PUT', body: 'd' })).rejects.toThrow();

    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'degraded', dependencies: { artifactStore: 'unavailable' } });
    // Metrics and runs do not need the object store.
    expect((await newRun(client, project)).id).toBeTruthy();
    expect((await artifactsOf(run.id)).length).toBe(1);

    await s3.start();
    expect(await (await fetch(`${url}/readyz`)).json()).toMatchObject({ status: 'ok', dependencies: { artifactStore: 'ok' } });
    const retried = await putArtifactStream(url, run.id, upload(total, 3), { name: 'weights.bin', kind: 'MODEL', sha256: digest });
    expect(retried.status).toBe(201);
    expect(retried.body.artifact).toMatchObject({ digest, sizeBytes: total });
    const back = Buffer.from(await (await fetch(`${url}${retried.body.artifact!.downloadUrl}`)).arrayBuffer());
    expect(sha256(back)).toBe(digest);
    expect((await artifactsOf(run.id)).map((a: { name: string }) => a.name)).toEqual(['before.txt', 'weights.bin']);

    // The multipart upload the outage interrupted could not be aborted while the store was
    // down; the sweep removes it (production also sets a bucket lifecycle rule on tmp/).
    const client3 = s3Client(s3);
    const swept = await sweepStaging({ client: client3, bucket: s3.bucket, prefix }, new Date(Date.now() + 60_000));
    expect(swept.objects + swept.uploads).toBeGreaterThanOrEqual(1);
    expect(await keysUnder(client3, s3.bucket, `${prefix}tmp/`)).toEqual([]);
    expect(server.loggedErrors.filter((l) => l.includes('"level":"error"'))).toEqual([]);
  });

  it('keeps an upload session through the outage: the chunk sent meanwhile is refused retryably, the offset stays, and it resumes after the restart', async () => {
    const { client, url } = server;
    const run = await newRun(client, await newProject(client, 'outage-session'));
    const data = Buffer.concat([Buffer.alloc(3 * MIB, 7), Buffer.from(sha256('session bytes'))]);
    const api = sessionClient(url);
    const opened = await api.open(run.id, { name: 'resumed.bin', kind: 'MODEL', sizeBytes: data.length, sha256: sha256(data) });
    expect(opened.status).toBe(201);
    const id = opened.body.uploadId as string;
    expect((await api.put(id, 0, data.subarray(0, 2 * MIB))).status).toBe(200);

    await s3.kill9();
    const refused = await fetch(`${url}/artifacts/uploads/${id}`, {
      method: 'PUT',
      headers: { 'upload-offset': String(2 * MIB) },
      body: data.subarray(2 * MIB),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await refused.json()) as any).errors[0].extensions.code).toBe('UNAVAILABLE');
    // Where the session stands lives in the database: still answered, unchanged.
    expect((await api.status(id)).body).toMatchObject({ offset: 2 * MIB, completed: false });

    await s3.start();
    expect((await api.put(id, 2 * MIB, data.subarray(2 * MIB))).status).toBe(200);
    const done = await api.complete(id);
    expect(done.status).toBe(201);
    expect(done.body.artifact).toMatchObject({ digest: sha256(data), sizeBytes: data.length });
    expect(sha256(Buffer.from(await (await fetch(`${url}${done.body.artifact.downloadUrl}`)).arrayBuffer()))).toBe(sha256(data));
  });
});
