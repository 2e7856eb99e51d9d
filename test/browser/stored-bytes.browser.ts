// Stored XSS through artifacts, in real Chromium: an HTML or SVG file uploaded through the
// MLflow artifact proxy (or /artifacts) and opened by a signed-in user on the dashboard's
// origin must not run its script. The script would mark localStorage (synchronously) and try
// to create an experiment through the API; neither may happen.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { beforeAll, describe, expect, it } from 'vitest';
import { uniqueName, useServer } from '../support/server.js';
import { offlinePage, useBrowser } from './browser.js';

const server = useServer();
const browser = useBrowser();
let urls: { name: string; url: string }[] = [];
const victim = uniqueName('xss-ran');

/** What the uploaded file runs if a browser lets it. */
const SCRIPT = `localStorage.setItem('xss', 'ran'); document.title = 'pwned';
fetch('/api/2.0/mlflow/experiments/create', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: '${victim}' }) });`;

const FILES: [string, string, string][] = [
  ['report.html', 'text/html', `<!doctype html><title>report</title><script>${SCRIPT}</script>`],
  ['chart.svg', 'image/svg+xml', `<svg xmlns="http://www.w3.org/2000/svg"><script>${SCRIPT}</script></svg>`],
  ['page.xhtml', 'application/xhtml+xml', `<html xmlns="http://www.w3.org/1999/xhtml"><body><script>${SCRIPT}</script></body></html>`],
];

beforeAll(async () => {
  const api = async (path: string, body: unknown) =>
    (await (
      await fetch(`${server().url}/api/2.0/mlflow/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    ).json()) as any;
  const experiment = (await api('experiments/create', { name: uniqueName('xss') })).experiment_id;
  const run = (await api('runs/create', { experiment_id: experiment })).run.info.run_id;
  const runId = encodeURIComponent(encodeGlobalID('Run', Number.parseInt(run, 16)));
  for (const [name, type, body] of FILES) {
    const proxied = `${server().url}/api/2.0/mlflow-artifacts/artifacts/${experiment}/${run}/artifacts/${name}`;
    expect((await fetch(proxied, { method: 'PUT', headers: { 'content-type': type }, body })).status).toBe(200);
    const direct = (await (
      await fetch(`${server().url}/artifacts/runs/${runId}?name=direct-${name}&mediaType=${encodeURIComponent(type)}`, { method: 'PUT', body })
    ).json()) as any;
    urls.push({ name, url: proxied }, { name: `direct ${name}`, url: `${server().url}${direct.artifact.downloadUrl}` });
  }
});

describe('an uploaded HTML or SVG artifact, opened in Chromium', () => {
  it('does not run its script on the dashboard’s origin, opened directly or framed', async () => {
    const { page, context } = await offlinePage(browser());
    await page.goto(`${server().url}/`);
    for (const { name, url } of urls) {
      // Opened as a page: it downloads instead (attachment), so nothing renders.
      const download = page.waitForEvent('download', { timeout: 10_000 }).catch(() => null);
      await page.goto(url).catch(() => {});
      expect(await page.evaluate(() => localStorage.getItem('xss')), name).toBeNull();
      expect((await download)?.suggestedFilename(), name).toBe(name.replace(/^direct /, 'direct-'));
      // In a frame of a dashboard page: refused (frame-ancestors, X-Frame-Options) or sandboxed.
      await page.goto(`${server().url}/`);
      // The frame either shows an error page (framing refused) or starts a download.
      const framed = page
        .evaluate((src) => {
          const frame = document.createElement('iframe');
          frame.src = src;
          document.body.append(frame);
          return new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
        }, url)
        .catch(() => null);
      await Promise.race([framed, page.waitForEvent('download', { timeout: 10_000 }).catch(() => null)]);
      expect(await page.evaluate(() => localStorage.getItem('xss')), name).toBeNull();
      expect(await page.title(), name).not.toBe('pwned');
    }
    await context.close();
    const res = await fetch(`${server().url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${victim}`);
    expect(res.status).toBe(404);
  });
});
