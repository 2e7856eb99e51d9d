// Stored bytes leave the server one way, whichever door serves them (/artifacts/<id> and the
// MLflow artifact proxy): as an attachment, nosniff, in a script-less sandbox, and never with a
// type a browser would run on this origin. Ranges and ETags work the same at both doors.
import { randomUUID } from 'node:crypto';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { beforeAll, describe, expect, it } from 'vitest';
import { putArtifact } from '../support/artifacts.js';
import { useServer } from '../support/server.js';

const server = useServer();
let experiment: string;
let run: string;
let runGlobalId: string;

const mlflow = async (path: string, body: unknown) =>
  (await (
    await fetch(`${server().url}/api/2.0/mlflow/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  ).json()) as any;

beforeAll(async () => {
  experiment = (await mlflow('experiments/create', { name: `bytes-${randomUUID().slice(0, 8)}` })).experiment_id;
  run = (await mlflow('runs/create', { experiment_id: experiment })).run.info.run_id;
  // An MLflow run id is the run's number in hex.
  runGlobalId = encodeGlobalID('Run', Number.parseInt(run, 16));
});

const ACTIVE: [string, string, string][] = [
  ['page.html', 'text/html; charset=utf-8', '<script>localStorage.x = 1</script>'],
  ['logo.svg', 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'],
  ['app.js', 'text/javascript', 'alert(1)'],
  ['feed.xml', 'application/xml', '<x/>'],
  ['page.xhtml', 'application/xhtml+xml', '<html xmlns="http://www.w3.org/1999/xhtml"/>'],
  ['feed.rss', 'application/rss+xml', '<rss/>'],
];

/** Uploads through each door and returns the URL that door serves the bytes at. */
async function uploadBoth(name: string, type: string, body: string): Promise<{ door: string; url: string }[]> {
  const viaMlflow = `${server().url}/api/2.0/mlflow-artifacts/artifacts/${experiment}/${run}/artifacts/${name}`;
  const put = await fetch(viaMlflow, { method: 'PUT', headers: { 'content-type': type }, body });
  expect(put.status).toBe(200);
  const direct = await putArtifact(server().url, runGlobalId, body, { name: `direct/${name}`, mediaType: type });
  expect(direct.status, JSON.stringify(direct.body)).toBeLessThan(300);
  return [
    { door: 'mlflow proxy', url: viaMlflow },
    { door: '/artifacts', url: `${server().url}${direct.body.artifact!.downloadUrl}` },
  ];
}

describe('stored bytes', () => {
  it('serve active content as a sandboxed attachment, never with its own type, at every door', async () => {
    for (const [name, type, body] of ACTIVE) {
      for (const { door, url } of await uploadBoth(name, type, body)) {
        const res = await fetch(url);
        const what = `${door} ${name}`;
        expect(res.status, what).toBe(200);
        expect(await res.text(), what).toBe(body);
        expect(res.headers.get('content-type'), what).toBe('application/octet-stream');
        expect(res.headers.get('content-disposition'), what).toBe(`attachment; filename*=UTF-8''${encodeURIComponent(name)}`);
        expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
        expect(res.headers.get('content-security-policy'), what).toMatch(/default-src 'none'.*sandbox/);
      }
    }
  });

  it('keep inert types, and serve ranges and ETags the same at both doors', async () => {
    for (const { door, url } of await uploadBoth('scores.csv', 'text/csv', '0123456789')) {
      const whole = await fetch(url);
      expect(whole.headers.get('content-type'), door).toBe('text/csv');
      expect(whole.headers.get('content-disposition'), door).toMatch(/^attachment; /);
      const etag = whole.headers.get('etag')!;
      await whole.arrayBuffer();
      const part = await fetch(url, { headers: { range: 'bytes=2-4' } });
      expect(part.status, door).toBe(206);
      expect(await part.text()).toBe('234');
      expect(part.headers.get('content-range')).toBe('bytes 2-4/10');
      const cached = await fetch(url, { headers: { 'if-none-match': etag } });
      expect(cached.status, door).toBe(304);
    }
  });
});
