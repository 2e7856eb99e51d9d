// Artifacts over real HTTP: streaming PUT, GET with Range, GraphQL multipart, dedup, digest
// checks, hostile names and CODE_DIFF.
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunArtifactsDocument } from '../generated/graphql.js';
import { listFiles, putArtifact, sha256 } from '../support/artifacts.js';
import { newProject, newRun } from '../support/factories.js';
import { useServer } from '../support/server.js';

const server = useServer();

async function setup(input: Parameters<typeof newRun>[2] = {}) {
  const { client } = server();
  const project = await newProject(client, 'artifacts');
  return newRun(client, project, input);
}

const storeDir = () => server().app.config.artifacts.dir;
const blobs = async () => (await listFiles(storeDir())).filter((f) => f.startsWith('sha256'));

describe('artifact upload and download', () => {
  it('streams an upload in, serves it back with type, length and ETag, and lists it on the run', async () => {
    const { url, client } = server();
    const run = await setup();
    const text = 'epoch,loss\n1,0.9\n2,0.5\n';
    const put = await putArtifact(url, run.id, text, { name: 'metrics/loss.csv', kind: 'PREDICTIONS', sha256: sha256(text) }, { 'content-type': 'text/csv' });
    expect(put.status).toBe(201);
    expect(put.body.created).toBe(true);
    const artifact = put.body.artifact!;
    expect(artifact).toMatchObject({ name: 'metrics/loss.csv', kind: 'PREDICTIONS', digest: sha256(text), sizeBytes: text.length, mediaType: 'text/csv' });

    const res = await fetch(`${url}${artifact.downloadUrl}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv');
    expect(res.headers.get('content-length')).toBe(String(text.length));
    expect(res.headers.get('etag')).toBe(`"${sha256(text)}"`);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(await res.text()).toBe(text);

    const cached = await fetch(`${url}${artifact.downloadUrl}`, { headers: { 'if-none-match': `"${sha256(text)}"` } });
    expect(cached.status).toBe(304);

    const { run: read } = await client.data(RunArtifactsDocument, { id: run.id });
    expect(read?.artifacts.map((a) => a.id)).toEqual([artifact.id]);
    expect(read?.artifacts[0]?.downloadUrl).toBe(artifact.downloadUrl);
  });

  it('answers Range requests with 206 and the exact bytes, and 416 when unsatisfiable', async () => {
    const { url } = server();
    const run = await setup();
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    const { body } = await putArtifact(url, run.id, bytes, { name: 'weights.bin', kind: 'MODEL' });
    const download = `${url}${body.artifact!.downloadUrl}`;

    const mid = await fetch(download, { headers: { range: 'bytes=100-199' } });
    expect(mid.status).toBe(206);
    expect(mid.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(mid.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await mid.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);

    const open = await fetch(download, { headers: { range: 'bytes=990-' } });
    expect(open.status).toBe(206);
    expect(Buffer.from(await open.arrayBuffer()).equals(bytes.subarray(990))).toBe(true);

    const suffix = await fetch(download, { headers: { range: 'bytes=-5' } });
    expect(suffix.headers.get('content-range')).toBe('bytes 995-999/1000');
    expect(Buffer.from(await suffix.arrayBuffer()).equals(bytes.subarray(995))).toBe(true);

    const past = await fetch(download, { headers: { range: 'bytes=5000-6000' } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */1000');
    await past.text();

    // Malformed and multi-range headers are ignored: the whole file comes back.
    const multi = await fetch(download, { headers: { range: 'bytes=0-1,5-6' } });
    expect(multi.status).toBe(200);
    expect((await multi.arrayBuffer()).byteLength).toBe(1000);
  });

  it('stores identical bytes once: a retry returns the same artifact, another name or run gets a row but no new blob', async () => {
    const { url } = server();
    const run = await setup();
    const other = await setup();
    const bytes = `dedup ${Math.random()}`;
    const before = (await blobs()).length;
    const first = await putArtifact(url, run.id, bytes, { name: 'model.pt', kind: 'MODEL' });
    const retry = await putArtifact(url, run.id, bytes, { name: 'model.pt', kind: 'MODEL' });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ created: false, artifact: { id: first.body.artifact!.id } });

    const renamed = await putArtifact(url, run.id, bytes, { name: 'copy-of-model.pt', kind: 'MODEL' });
    const elsewhere = await putArtifact(url, other.id, bytes, { name: 'model.pt', kind: 'MODEL' });
    expect(renamed.body.created).toBe(true);
    expect(elsewhere.body.created).toBe(true);
    expect(new Set([first, renamed, elsewhere].map((r) => r.body.artifact!.id)).size).toBe(3);
    expect(new Set([first, renamed, elsewhere].map((r) => r.body.artifact!.digest)).size).toBe(1);
    expect((await blobs()).length).toBe(before + 1);
    expect(await blobs()).toContain(path.join('sha256', sha256(bytes).slice(0, 2), sha256(bytes).slice(2, 4), sha256(bytes)));
  });

  it('rejects bytes that do not match the sha256 the client sent, and keeps nothing', async () => {
    const { url, client } = server();
    const run = await setup();
    const bytes = `payload ${Math.random()}`;
    const filesBefore = await listFiles(storeDir());
    const res = await putArtifact(url, run.id, bytes, { name: 'model.pt', kind: 'MODEL', sha256: sha256('something else') });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.message).toMatch(/^sha256: /);
    expect(await listFiles(storeDir())).toEqual(filesBefore);
    const { run: read } = await client.data(RunArtifactsDocument, { id: run.id });
    expect(read?.artifacts).toEqual([]);

    const malformed = await putArtifact(url, run.id, bytes, { name: 'model.pt', sha256: 'not-a-digest' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors?.[0]?.message).toMatch(/^input\.sha256: /);
  });

  it('treats names as labels: traversal and absolute paths land only in the store, by digest', async () => {
    const { url, client } = server();
    const run = await setup();
    const names = ['../../../../tmp/runledger-escape', '/etc/passwd', '..\\..\\windows\\system32', 'a/../../b', '~/.ssh/authorized_keys', '%2e%2e%2f'];
    for (const name of names) {
      const bytes = `content of ${name} ${Math.random()}`;
      const res = await putArtifact(url, run.id, bytes, { name, kind: 'OTHER' });
      expect(res.status).toBe(201);
      expect(res.body.artifact?.name).toBe(name);
      // The bytes exist only under the store's content address.
      const digest = sha256(bytes);
      expect(existsSync(path.join(storeDir(), 'sha256', digest.slice(0, 2), digest.slice(2, 4), digest))).toBe(true);
      expect(existsSync(path.resolve(storeDir(), name))).toBe(name === '/etc/passwd' && existsSync('/etc/passwd'));
      const back = await fetch(`${url}${res.body.artifact!.downloadUrl}`);
      expect(await back.text()).toBe(bytes);
      expect(back.headers.get('content-disposition')).toMatch(/^attachment; filename\*=UTF-8''/);
    }
    expect(existsSync('/tmp/runledger-escape')).toBe(false);
    // Nothing but blobs (and the empty temp directory) in the store.
    expect((await listFiles(storeDir())).every((f) => f.startsWith(`sha256${path.sep}`))).toBe(true);
    const { run: read } = await client.data(RunArtifactsDocument, { id: run.id });
    expect(read?.artifacts.map((a) => a.name)).toEqual(names);
  });

  it('refuses NUL bytes, control characters, empty and very long names with BAD_USER_INPUT before reading the body', async () => {
    const { url } = server();
    const run = await setup();
    const filesBefore = await listFiles(storeDir());
    for (const name of ['model\0.pt', 'line\nbreak', '', 'x'.repeat(1001), 'y'.repeat(5000)]) {
      const res = await putArtifact(url, run.id, 'bytes', { name, kind: 'OTHER' });
      expect(res.status, JSON.stringify(name.slice(0, 20))).toBe(400);
      expect(res.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
      // The edge refuses a NUL in the query before the route runs, naming the parameter as sent.
      expect(res.body.errors?.[0]?.message).toMatch(name.includes('\0') ? /^name: .*NUL/ : /^input\.name: /);
    }
    // Past Node's header limit the request is refused before it reaches any route.
    const huge = await fetch(`${url}/artifacts/runs/${run.id}?name=${'y'.repeat(20_000)}`, { method: 'PUT', body: 'bytes' });
    expect(huge.status).toBe(431);
    await huge.arrayBuffer();
    expect(await listFiles(storeDir())).toEqual(filesBefore);
    const longest = await putArtifact(url, run.id, 'bytes', { name: 'z'.repeat(1000), kind: 'OTHER' });
    expect(longest.status).toBe(201);
  });

  it('refuses unknown runs, kinds and ids with the right codes', async () => {
    const { url } = server();
    const run = await setup();
    const badKind = await putArtifact(url, run.id, 'x', { name: 'a', kind: 'WEIGHTS' });
    expect(badKind.status).toBe(400);
    expect(badKind.body.errors?.[0]?.message).toMatch(/^input\.kind: /);
    const missingRun = await putArtifact(url, Buffer.from('Run:999999999').toString('base64'), 'x', { name: 'a' });
    expect(missingRun.status).toBe(404);
    const wrongType = await putArtifact(url, Buffer.from('Project:1').toString('base64'), 'x', { name: 'a' });
    expect(wrongType.status).toBe(400);
    const missing = await fetch(`${url}/artifacts/${Buffer.from('Artifact:999999999').toString('base64')}`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('NOT_FOUND');
    const garbage = await fetch(`${url}/artifacts/%E0%A4%A`);
    expect(garbage.status).toBe(400);
    await garbage.text();
  });

  it('uploads through GraphQL multipart with the File scalar', async () => {
    const { url } = server();
    const run = await setup();
    const text = 'torch==2.5.0\nnumpy==2.1.0\n';
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({
        query: `mutation ($input: UploadArtifactInput!) { uploadArtifact(input: $input) { created artifact { name kind digest sizeBytes mediaType downloadUrl } } }`,
        variables: { input: { runId: run.id, file: null, kind: 'ENVIRONMENT', sha256: sha256(text) } },
      }),
    );
    form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
    form.append('0', new Blob([text], { type: 'text/plain' }), 'requirements.txt');
    const post = () =>
      fetch(`${url}/graphql`, { method: 'POST', body: form, headers: { 'x-graphql-yoga-csrf': '1' } }).then(
        (r) => r.json() as Promise<{ data?: { uploadArtifact: { created: boolean; artifact: { digest: string; downloadUrl: string } } }; errors?: unknown }>,
      );
    const first = await post();
    expect(first.errors).toBeUndefined();
    expect(first.data?.uploadArtifact).toMatchObject({
      created: true,
      artifact: { name: 'requirements.txt', kind: 'ENVIRONMENT', digest: sha256(text), sizeBytes: text.length, mediaType: 'text/plain' },
    });
    expect((await post()).data?.uploadArtifact.created).toBe(false);
    const back = await fetch(`${url}${first.data!.uploadArtifact.artifact.downloadUrl}`);
    expect(await back.text()).toBe(text);

    const mismatch = new FormData();
    mismatch.append(
      'operations',
      JSON.stringify({
        query: `mutation ($input: UploadArtifactInput!) { uploadArtifact(input: $input) { created } }`,
        variables: { input: { runId: run.id, file: null, name: 'bad\u0000name' } },
      }),
    );
    mismatch.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
    mismatch.append('0', new Blob(['x']), 'x.txt');
    const refused = (await (await fetch(`${url}/graphql`, { method: 'POST', body: mismatch, headers: { 'x-graphql-yoga-csrf': '1' } })).json()) as {
      errors: { message: string; extensions: { code: string } }[];
    };
    expect(refused.errors[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(refused.errors[0]?.message).toMatch(/^input\.name: /);
  });

  it('bounds GraphQL multipart uploads before yoga buffers them: declared length within the limit, or refused', async () => {
    const { url } = server();
    const send = (headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(
          `${url}/graphql`,
          { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x', ...headers } },
          async (res) => {
            let body = '';
            for await (const chunk of res) body += chunk;
            resolve({ status: res.statusCode ?? 0, body });
          },
        );
        req.on('error', reject);
        req.flushHeaders(); // the server answers from the headers alone
      });
    const huge = await send({ 'content-length': String(200 * 1024 * 1024) });
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body).errors[0].extensions.code).toBe('LIMIT_EXCEEDED');
    const unsized = await send({ 'transfer-encoding': 'chunked' });
    expect(unsized.status).toBe(411);
  });

  it('links a dirty tree’s CODE_DIFF to the run’s code version, and refuses one for a run without a commit', async () => {
    const { url, client } = server();
    const run = await setup({ codeVersion: { repository: 'git@example.com:ml/churn.git', commit: 'abc1234', dirty: true } });
    const diff = 'diff --git a/train.py b/train.py\n-lr = 0.1\n+lr = 0.01\n';
    const put = await putArtifact(url, run.id, diff, { name: 'working-tree.diff', kind: 'CODE_DIFF' }, { 'content-type': 'text/x-diff' });
    expect(put.status).toBe(201);
    const { run: read } = await client.data(RunArtifactsDocument, { id: run.id });
    expect(read?.codeVersion).toMatchObject({ commit: 'abc1234', dirty: true, diff: { id: put.body.artifact!.id, kind: 'CODE_DIFF', digest: sha256(diff) } });

    const bare = await setup();
    const refused = await putArtifact(url, bare.id, diff, { name: 'working-tree.diff', kind: 'CODE_DIFF' });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.message).toMatch(/^input\.kind: CODE_DIFF needs a run/);
  });
});
