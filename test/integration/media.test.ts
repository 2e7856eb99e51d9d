// Media over real HTTP: images, tables, histograms, plots and console output logged under a key
// and step through both upload doors, listed by Run.mediaKeys and Run.media, with the formats
// of docs/media.md enforced before anything is stored, retries deduplicated and distinct
// uploads never merged.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { newProject, newRun } from '../support/factories.js';
import { png, putMedia } from '../support/media.js';
import { useServer } from '../support/server.js';

const server = useServer();

const MEDIA = `query($id: ID!, $kind: ArtifactKind, $key: String, $step: SafeInt, $first: Int, $after: String) { run(id: $id) {
  mediaKeys { key kind count steps }
  media(kind: $kind, key: $key, step: $step, first: $first, after: $after) { pageInfo { hasNextPage endCursor } edges { node { name kind mediaKey step mediaType downloadUrl } } }
} }`;

interface MediaData {
  run: {
    mediaKeys: { key: string; kind: string; count: number; steps: number[] }[];
    media: {
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      edges: { node: { name: string; kind: string; mediaKey: string; step: number | null; mediaType: string; downloadUrl: string } }[];
    };
  };
}

const image = (shade: number) => png(8, 8, (x, y) => [shade, (x * 32) % 256, (y * 32) % 256]);

async function mediaRun() {
  const { client } = server();
  return newRun(client, await newProject(client, 'media'));
}

describe('logging media', () => {
  it('keeps images per step, tables, histograms and console output under their keys', async () => {
    const { url, client } = server();
    const run = await mediaRun();
    for (const step of [0, 10, 20]) {
      for (const i of [0, 1]) {
        const res = await putMedia(url, run.id, {
          kind: 'IMAGE',
          key: 'samples',
          step,
          name: `samples/${step}/${i}.png`,
          body: image(step * 10 + i),
          mediaType: 'image/png',
        });
        expect(res.status).toBe(201);
        expect(res.body.artifact).toMatchObject({ kind: 'IMAGE', mediaKey: 'samples', step });
      }
    }
    const table = {
      columns: ['id', 'label', 'score'],
      data: [
        [1, 'cat', 0.9],
        [2, 'dog', null],
      ],
    };
    const histogram = { bins: [0, 0.5, 1, 1.5], counts: [3, 10, 2] };
    const uploads = [
      { kind: 'TABLE', key: 'predictions', step: 5, name: 'predictions/5.json', body: JSON.stringify(table), mediaType: 'application/json' },
      { kind: 'HISTOGRAM', key: 'weights/layer1', step: 5, name: 'weights/layer1/5.json', body: JSON.stringify(histogram), mediaType: 'application/json' },
      { kind: 'PLOT', key: 'confusion', step: 5, name: 'confusion/5.png', body: image(200), mediaType: 'image/png' },
      { kind: 'CONSOLE', key: 'console', name: 'console.log', body: 'epoch 1\nepoch 2\n', mediaType: 'text/plain; charset=utf-8' },
    ];
    for (const u of uploads) expect((await putMedia(url, run.id, u)).status).toBe(201);

    const data = await client.data<MediaData, unknown>(MEDIA, { id: run.id });
    expect(data.run.mediaKeys).toEqual([
      { key: 'confusion', kind: 'PLOT', count: 1, steps: [5] },
      { key: 'console', kind: 'CONSOLE', count: 1, steps: [] },
      { key: 'predictions', kind: 'TABLE', count: 1, steps: [5] },
      { key: 'samples', kind: 'IMAGE', count: 6, steps: [0, 10, 20] },
      { key: 'weights/layer1', kind: 'HISTOGRAM', count: 1, steps: [5] },
    ]);
    const atStep = await client.data<MediaData, unknown>(MEDIA, { id: run.id, key: 'samples', step: 10 });
    expect(atStep.run.media.edges.map((e) => e.node.name)).toEqual(['samples/10/0.png', 'samples/10/1.png']);
    const back = await fetch(`${url}${atStep.run.media.edges[0]!.node.downloadUrl}`);
    expect(back.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await back.arrayBuffer()).equals(image(100))).toBe(true);

    // Paging through a key: by step, then upload order, two at a time.
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page += 1) {
      const p: MediaData = await client.data<MediaData, unknown>(MEDIA, { id: run.id, kind: 'IMAGE', first: 2, after });
      seen.push(...p.run.media.edges.map((e) => `${e.node.step}/${e.node.name.split('/').at(-1)}`));
      if (!p.run.media.pageInfo.hasNextPage) break;
      after = p.run.media.pageInfo.endCursor;
    }
    expect(seen).toEqual(['0/0.png', '0/1.png', '10/0.png', '10/1.png', '20/0.png', '20/1.png']);
  });

  it('uploads media through GraphQL multipart too', async () => {
    const { url } = server();
    const run = await mediaRun();
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({
        query: `mutation ($input: UploadArtifactInput!) { uploadArtifact(input: $input) { created artifact { kind mediaKey step mediaType } } }`,
        variables: { input: { runId: run.id, file: null, kind: 'HISTOGRAM', key: 'grad', step: 3 } },
      }),
    );
    form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
    form.append('0', new Blob([JSON.stringify({ bins: [0, 1], counts: [4] })], { type: 'application/json' }), 'grad-3.json');
    const res = (await (await fetch(`${url}/graphql`, { method: 'POST', body: form, headers: { 'x-graphql-yoga-csrf': '1' } })).json()) as { data: unknown };
    expect(res.data).toEqual({ uploadArtifact: { created: true, artifact: { kind: 'HISTOGRAM', mediaKey: 'grad', step: 3, mediaType: 'application/json' } } });
  });

  it('refuses media that breaks the formats, naming the field and rule, and stores nothing', async () => {
    const { url, client } = server();
    const run = await mediaRun();
    const cases: [Parameters<typeof putMedia>[2], RegExp][] = [
      [{ kind: 'IMAGE', name: 'a.png', body: image(1), mediaType: 'image/png' }, /^input\.key: a IMAGE is logged under a key/],
      [{ kind: 'IMAGE', key: 'x', step: 1, name: 'a.svg', body: '<svg/>', mediaType: 'image/svg+xml' }, /^input\.mediaType: a IMAGE must be one of image\/png/],
      [{ kind: 'IMAGE', key: 'x', step: 1, name: 'a.png', body: 'not a png at all', mediaType: 'image/png' }, /^content: the bytes are not image\/png/],
      [
        { kind: 'HISTOGRAM', key: 'h', step: 1, name: 'h.json', body: '{"bins": [0, 1, 1], "counts": [1, 2]}', mediaType: 'application/json' },
        /^content: .*bins\[2\] is not above bins\[1\]/,
      ],
      [{ kind: 'HISTOGRAM', key: 'h', step: 1, name: 'h.json', body: '{"bins": [0, 1]', mediaType: 'application/json' }, /^content: a HISTOGRAM must be JSON/],
      [
        { kind: 'TABLE', key: 't', name: 't.json', body: '{"columns": ["a", "b"], "data": [[1]]}', mediaType: 'application/json' },
        /^content: .*data\[0\] must have 2 cells/,
      ],
      [{ kind: 'TABLE', key: 't', name: 't.json', body: '{}', mediaType: 'text/csv' }, /^input\.mediaType: a TABLE is application\/json/],
      [
        { kind: 'MODEL', key: 'm', name: 'm.pt', body: 'weights', mediaType: 'application/octet-stream' },
        /^input\.key: only IMAGE, TABLE, HISTOGRAM, PLOT, CONSOLE/,
      ],
      [{ kind: 'CONSOLE', step: 4, name: 'c.log', body: 'x', mediaType: 'text/plain' }, /^input\.step: a step belongs to a key/],
      [{ kind: 'IMAGE', key: 'bad key!', step: 1, name: 'a.png', body: image(1), mediaType: 'image/png' }, /^input\.key: /],
    ];
    for (const [media, message] of cases) {
      const res = await putMedia(url, run.id, media);
      expect(res.status, String(message)).toBe(400);
      expect(res.body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
      expect(res.body.errors?.[0]?.message).toMatch(message);
    }
    const badStep = await fetch(`${url}/artifacts/runs/${encodeURIComponent(run.id)}?name=a.png&kind=IMAGE&key=x&step=1.5`, {
      method: 'PUT',
      body: image(1) as unknown as BodyInit,
      headers: { 'content-type': 'image/png' },
    });
    expect(badStep.status).toBe(400);
    expect(((await badStep.json()) as { errors: { message: string }[] }).errors[0]!.message).toMatch(/^step: must be an integer/);
    const data = await client.data<MediaData, unknown>(MEDIA, { id: run.id });
    expect(data.run.mediaKeys).toEqual([]);
  });

  it('returns the first upload on a retry, and refuses the same bytes and name at another step instead of merging them', async () => {
    const { url } = server();
    const run = await mediaRun();
    const upload = { kind: 'IMAGE', key: 'samples', step: 1, name: 'sample.png', body: image(7), mediaType: 'image/png' };
    const first = await putMedia(url, run.id, upload);
    const retry = await putMedia(url, run.id, upload);
    expect([first.status, retry.status]).toEqual([201, 200]);
    expect(retry.body.artifact!.id).toBe(first.body.artifact!.id);
    const other = await putMedia(url, run.id, { ...upload, step: 2 });
    expect(other.status).toBe(409);
    expect(other.body.errors?.[0]?.message).toMatch(/^input\.name: .*at step 1.*name each upload differently/);
    expect((await putMedia(url, run.id, { ...upload, step: 2, name: 'samples/2/0.png' })).status).toBe(201);
  });
});

describe('docs/media.md', () => {
  it('runs as written: its JSON examples are accepted, its curl commands upload, its query answers', async () => {
    const { url, client } = server();
    const run = await mediaRun();
    const doc = readFileSync(path.join(import.meta.dirname, '../../docs/media.md'), 'utf8');
    const blocks = [...doc.matchAll(/```(\w+)( \w+)?\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, tag: m[2]?.trim() ?? '', body: m[3]! }));
    const json = (tag: string) => blocks.find((b) => b.lang === 'json' && b.tag === tag)!.body;

    const dir = mkdtempSync(path.join(tmpdir(), 'media-doc-'));
    writeFileSync(path.join(dir, 'sample.png'), image(42));
    writeFileSync(path.join(dir, 'predictions.json'), json('table'));
    writeFileSync(path.join(dir, 'weights.json'), json('histogram'));
    writeFileSync(path.join(dir, 'console.log'), 'epoch 1 loss 0.4\n');
    const sh = blocks.find((b) => b.lang === 'sh')!.body;
    // Asynchronously: the server answering curl runs in this process.
    const result = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', sh], { cwd: dir, env: { ...process.env, RUNLEDGER_URL: url, RUN_ID: run.id } });
    rmSync(dir, { recursive: true, force: true });
    expect(result.stderr).toBe('');

    const query = blocks.find((b) => b.lang === 'graphql')!.body;
    const data = await client.data<MediaData, unknown>(query, { id: run.id });
    expect(data.run.mediaKeys.map((k) => [k.key, k.kind, k.steps])).toEqual([
      ['console', 'CONSOLE', []],
      ['predictions', 'TABLE', [100]],
      ['samples', 'IMAGE', [100]],
      ['weights', 'HISTOGRAM', [100]],
    ]);
    expect(data.run.media.edges.map((e) => e.node.name)).toEqual(['samples/100/0.png']);
  });
});
