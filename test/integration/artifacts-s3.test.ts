// Artifacts in S3-compatible storage, through every door: the streaming PUT/GET routes (Range,
// HEAD), GraphQL uploadArtifact, the MLflow artifact proxy, and direct transfer (presigned URLs
// from createArtifactUpload / completeArtifactUpload / Artifact.directDownloadUrl), with the
// same dedup, digest and access rules. Needs TEST_S3_ENDPOINT (scripts/services up s3).
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeId } from '../../src/ids.js';
import { mlflowRunId } from '../../src/modules/runs/mlflow-id.js';
import { putArtifact, putArtifactStream, sha256 } from '../support/artifacts.js';
import { newProject, newRun } from '../support/factories.js';
import { keysUnder, prefixOf, removePrefix, s3Client, s3ServerEnv, s3SkipReason, testS3 } from '../support/s3.js';
import { startServer, type TestServer, testConfig, useServer } from '../support/server.js';
import { signInUsers } from '../support/users.js';

if (s3SkipReason) console.warn(`artifacts-s3 not run: ${s3SkipReason}`);
const s3 = testS3();
const env = s3 ? s3ServerEnv(s3, 'doors', { RUNLEDGER_ARTIFACT_DIRECT: 'on', RUNLEDGER_MAX_ARTIFACT_BYTES: String(64 * 1024 * 1024) }) : {};
const prefix = prefixOf(env);
const server = useServer(() => testConfig(env));
afterAll(async () => {
  if (s3) await removePrefix(s3Client(s3), s3.bucket, prefix);
});

const ARTIFACT = 'artifact { id name digest sizeBytes mediaType downloadUrl directDownloadUrl }';

async function setup(s: TestServer = server()) {
  const project = await newProject(s.client, 's3');
  return { project, run: await newRun(s.client, project) };
}

async function blobKeys(): Promise<string[]> {
  return keysUnder(s3Client(s3!), s3!.bucket, `${prefix}sha256/`);
}

async function stagedKeys(): Promise<string[]> {
  return keysUnder(s3Client(s3!), s3!.bucket, `${prefix}tmp/`);
}

async function* pieces(data: Buffer, size = 256 * 1024): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

describe.skipIf(s3SkipReason !== null)('artifacts in S3, through every door', () => {
  it('streams a multipart-sized upload through PUT /artifacts into S3 and serves it back whole, by Range and by HEAD', async () => {
    const { url } = server();
    const { run } = await setup();
    const data = randomBytes(12 * 1024 * 1024 + 123);
    const put = await putArtifactStream(url, run.id, pieces(data), { name: 'weights/model.bin', kind: 'MODEL', sha256: sha256(data) });
    expect(put.status).toBe(201);
    const artifact = put.body.artifact!;
    expect(artifact).toMatchObject({ digest: sha256(data), sizeBytes: data.length });
    expect(await blobKeys()).toContain(`${prefix}sha256/${artifact.digest.slice(0, 2)}/${artifact.digest.slice(2, 4)}/${artifact.digest}`);
    expect(await stagedKeys()).toEqual([]);

    const whole = await fetch(`${url}${artifact.downloadUrl}`);
    expect(whole.headers.get('content-disposition')).toContain('attachment');
    expect(sha256(Buffer.from(await whole.arrayBuffer()))).toBe(artifact.digest);
    const ranged = await fetch(`${url}${artifact.downloadUrl}`, { headers: { range: 'bytes=5000000-5000099' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(5_000_000, 5_000_100))).toBe(true);
    const head = await fetch(`${url}${artifact.downloadUrl}`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(data.length));
  });

  it('stores bytes once whichever door they came through: PUT, GraphQL multipart and the MLflow proxy share one blob', async () => {
    const { url } = server();
    const { project, run } = await setup();
    const text = `shared bytes ${randomBytes(8).toString('hex')}\n`;
    const before = (await blobKeys()).length;
    expect((await putArtifact(url, run.id, text, { name: 'a.txt', sha256: sha256(text) })).status).toBe(201);

    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({
        query: `mutation ($input: UploadArtifactInput!) { uploadArtifact(input: $input) { created ${ARTIFACT} } }`,
        variables: { input: { runId: run.id, file: null, name: 'b.txt', sha256: sha256(text) } },
      }),
    );
    form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
    form.append('0', new Blob([text], { type: 'text/plain' }), 'b.txt');
    const viaGraphql = (await (await fetch(`${url}/graphql`, { method: 'POST', body: form, headers: { 'x-graphql-yoga-csrf': '1' } })).json()) as {
      data: { uploadArtifact: { created: boolean; artifact: { digest: string } } };
    };
    expect(viaGraphql.data.uploadArtifact).toMatchObject({ created: true, artifact: { digest: sha256(text) } });

    const experiment = ((await (await fetch(`${url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${project}`)).json()) as any).experiment
      .experiment_id;
    const mlflowRun = mlflowRunId(decodeId('Run', run.id, 'id'));
    const proxied = `${url}/api/2.0/mlflow-artifacts/artifacts/${experiment}/${mlflowRun}/artifacts/c.txt`;
    expect((await fetch(proxied, { method: 'PUT', body: text })).status).toBe(200);
    expect(await (await fetch(proxied)).text()).toBe(text);
    // Three registrations, one new blob.
    expect((await blobKeys()).length).toBe(before + 1);
  });

  it('refuses bytes that do not match their sha256 at the HTTP door and in GraphQL, registering and staging nothing', async () => {
    const { url, client } = server();
    const { run } = await setup();
    const data = randomBytes(6 * 1024 * 1024);
    const put = await putArtifactStream(url, run.id, pieces(data), { name: 'bad.bin', sha256: sha256('other') });
    expect(put.status).toBe(400);
    expect(put.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(await stagedKeys()).toEqual([]);
    expect(await blobKeys()).not.toContain(expect.stringContaining(sha256(data)));
    const listed = await client.data<{ node: { artifacts: unknown[] } }, { id: string }>(
      `query($id: ID!) { node(id: $id) { ... on Run { artifacts { name } } } }`,
      {
        id: run.id,
      },
    );
    expect(listed.node.artifacts).toEqual([]);
  });

  it('hands out presigned URLs: the bytes go straight to S3, completion checks them, and the download URL serves them', async () => {
    const { client } = server();
    const { run } = await setup();
    const data = randomBytes(3 * 1024 * 1024);
    const create = await client.data<any, any>(
      `mutation($i: CreateArtifactUploadInput!) { createArtifactUpload(input: $i) { uploadId url method headers { name value } expiresAt } }`,
      { i: { runId: run.id, name: 'direct/model.bin', kind: 'MODEL', sha256: sha256(data), sizeBytes: data.length } },
    );
    const upload = create.createArtifactUpload;
    expect(upload.url.startsWith(testS3()!.endpoint)).toBe(true);
    const headers = Object.fromEntries(upload.headers.map((h: { name: string; value: string }) => [h.name, h.value]));
    expect((await fetch(upload.url, { method: upload.method, headers, body: data })).status).toBe(200);
    const complete = `mutation($i: CompleteArtifactUploadInput!) { completeArtifactUpload(input: $i) { created ${ARTIFACT} } }`;
    const done = (await client.data<any, any>(complete, { i: { uploadId: upload.uploadId } })).completeArtifactUpload;
    expect(done).toMatchObject({ created: true, artifact: { name: 'direct/model.bin', digest: sha256(data), sizeBytes: data.length } });
    // A retried completion answers the same artifact.
    expect((await client.data<any, any>(complete, { i: { uploadId: upload.uploadId } })).completeArtifactUpload).toMatchObject({
      created: false,
      artifact: { id: done.artifact.id },
    });
    expect(await stagedKeys()).toEqual([]);

    const direct = await fetch(done.artifact.directDownloadUrl, { headers: { range: 'bytes=0-99' } });
    expect(direct.status).toBe(206);
    expect(Buffer.from(await direct.arrayBuffer()).equals(data.subarray(0, 100))).toBe(true);
  });

  it('completes nothing that is not exactly the announced bytes, and validates before handing out a URL', async () => {
    const { client } = server();
    const { run } = await setup();
    const data = randomBytes(1000);
    const create = (
      await client.data<any, any>(`mutation($i: CreateArtifactUploadInput!) { createArtifactUpload(input: $i) { uploadId url headers { name value } } }`, {
        i: { runId: run.id, name: 'never-sent.bin', sha256: sha256(data), sizeBytes: data.length },
      })
    ).createArtifactUpload;
    const complete = `mutation($i: CompleteArtifactUploadInput!) { completeArtifactUpload(input: $i) { created } }`;
    const notSent = await client.error(complete, { i: { uploadId: create.uploadId } });
    expect(notSent.extensions?.code).toBe('BAD_USER_INPUT');
    expect(notSent.message).toMatch(/^upload: nothing was uploaded/);
    // Other bytes of the announced length: the signed checksum makes the store refuse them.
    const headers = Object.fromEntries(create.headers.map((h: { name: string; value: string }) => [h.name, h.value]));
    expect((await fetch(create.url, { method: 'PUT', headers, body: randomBytes(1000) })).status).toBeGreaterThanOrEqual(400);
    expect((await client.error(complete, { i: { uploadId: create.uploadId } })).extensions?.code).toBe('BAD_USER_INPUT');

    const create2 = `mutation($i: CreateArtifactUploadInput!) { createArtifactUpload(input: $i) { uploadId } }`;
    const tooBig = await client.error(create2, { i: { runId: run.id, name: 'x', sha256: sha256(data), sizeBytes: 65 * 1024 * 1024 } });
    expect(tooBig.extensions?.code).toBe('LIMIT_EXCEEDED');
    const badName = await client.error(create2, { i: { runId: run.id, name: 'x'.repeat(1001), sha256: sha256(data), sizeBytes: 1000 } });
    expect(badName.message).toMatch(/^input\.name: /);
    const badSha = await client.error(create2, { i: { runId: run.id, name: 'x', sha256: 'abc', sizeBytes: 1000 } });
    expect(badSha.message).toMatch(/^input\.sha256: /);
    // Media go through the server, which checks their contents (docs/media.md).
    const image = await client.error(create2, {
      i: { runId: run.id, name: 'x.png', kind: 'IMAGE', sha256: sha256(data), sizeBytes: 1000, mediaType: 'image/png' },
    });
    expect(image.extensions?.code).toBe('BAD_USER_INPUT');
    expect(image.message).toMatch(/^input\.kind: media .* are uploaded through PUT \/artifacts\/runs/);
    const unknown = await client.error(complete, { i: { uploadId: 'no-such-upload' } });
    expect(unknown.extensions?.code).toBe('NOT_FOUND');
  });
});

describe.skipIf(s3SkipReason !== null)('direct transfer access, decided by the artifact service', () => {
  it('lets editors create and complete uploads; a viewer is FORBIDDEN and a stranger sees NOT_FOUND', async () => {
    const authEnv = s3ServerEnv(s3!, 'doors-auth', { RUNLEDGER_ARTIFACT_DIRECT: 'on' });
    const authed = await startServer(testConfig({ ...authEnv, RUNLEDGER_AUTH: 'on' }));
    try {
      const { admin, ana, bob } = await signInUsers(authed);
      const project = await newProject(admin.client, 's3-auth');
      const run = await newRun(admin.client, project);
      await admin.client.data('mutation($p: String!, $u: String!) { grantProjectRole(input: {project: $p, user: $u, role: VIEWER}) { __typename } }', {
        p: project,
        u: ana.name,
      });
      const data = Buffer.from('weights');
      const create = `mutation($i: CreateArtifactUploadInput!) { createArtifactUpload(input: $i) { uploadId } }`;
      const input = { i: { runId: run.id, name: 'w.bin', sha256: sha256(data), sizeBytes: data.length } };
      expect((await ana.client.error(create, input)).extensions?.code).toBe('FORBIDDEN');
      expect((await bob.client.error(create, input)).extensions?.code).toBe('NOT_FOUND');
      const uploadId = (await admin.client.data<any, any>(create, input)).createArtifactUpload.uploadId;
      const complete = `mutation($i: CompleteArtifactUploadInput!) { completeArtifactUpload(input: $i) { created } }`;
      expect((await bob.client.error(complete, { i: { uploadId } })).extensions?.code).toBe('NOT_FOUND');
      expect((await ana.client.error(complete, { i: { uploadId } })).extensions?.code).toBe('FORBIDDEN');
    } finally {
      await authed.app.stop();
      await removePrefix(s3Client(s3!), s3!.bucket, prefixOf(authEnv));
    }
  });
});

describe('direct transfer on the local store', () => {
  const local = useServer();
  it('is not offered: createArtifactUpload answers CONFLICT with directTransfer "off", directDownloadUrl is null', async () => {
    const { client } = local();
    const project = await newProject(client, 'local');
    const run = await newRun(client, project);
    const error = await client.error(`mutation($i: CreateArtifactUploadInput!) { createArtifactUpload(input: $i) { uploadId } }`, {
      i: { runId: run.id, name: 'x', sha256: sha256('x'), sizeBytes: 1 },
    });
    expect(error.extensions).toMatchObject({ code: 'CONFLICT', directTransfer: 'off' });
    const put = await putArtifact(local().url, run.id, 'x', { name: 'x' });
    const artifact = await client.data<any, any>(`query($id: ID!) { node(id: $id) { ... on Artifact { directDownloadUrl } } }`, { id: put.body.artifact!.id });
    expect(artifact.node.directDownloadUrl).toBeNull();
  });
});
