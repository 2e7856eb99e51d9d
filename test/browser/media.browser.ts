// A run's media on its page, logged through the API as the Python client will log it
// (docs/media.md): stepping through images, a table, a histogram, a plot and the console tail.
import { describe, expect, it } from 'vitest';
import { newProject, newRun } from '../support/factories.js';
import { png, putMedia } from '../support/media.js';
import { useServer } from '../support/server.js';
import { offlinePage, screenshot, useBrowser } from './browser.js';

const server = useServer();
const browser = useBrowser();

describe('media on the run page', () => {
  it('steps through images, and shows tables, histograms, plots and the console tail', async () => {
    const { url, client } = server();
    const run = await newRun(client, await newProject(client, 'web-media'), { name: 'vision-media' });
    const put = async (media: Parameters<typeof putMedia>[2]) => expect((await putMedia(url, run.id, media)).status).toBe(201);
    // Three steps of two 32x32 samples each: a gradient that brightens with the step.
    for (const step of [100, 200, 300]) {
      for (const i of [0, 1]) {
        const body = png(32, 32, (x, y) => [Math.min(255, step / 2 + x * 4), i ? y * 8 : 40, 120]);
        await put({ kind: 'IMAGE', key: 'samples', step, name: `samples/${step}/${i}.png`, body, mediaType: 'image/png' });
      }
    }
    await put({
      kind: 'TABLE',
      key: 'predictions',
      step: 300,
      name: 'predictions/300.json',
      body: JSON.stringify({ columns: ['image', 'label', 'score'], data: Array.from({ length: 12 }, (_, i) => [i, i % 2 ? 'cat' : 'dog', 0.5 + i / 30]) }),
      mediaType: 'application/json',
    });
    const bins = Array.from({ length: 21 }, (_, i) => -1 + i / 10);
    await put({
      kind: 'HISTOGRAM',
      key: 'weights/fc1',
      step: 300,
      name: 'weights/fc1/300.json',
      body: JSON.stringify({ bins, counts: bins.slice(1).map((b) => Math.round(1000 * Math.exp(-((b - 0.05) ** 2) / 0.1))) }),
      mediaType: 'application/json',
    });
    await put({
      kind: 'PLOT',
      key: 'confusion',
      step: 300,
      name: 'confusion/300.png',
      body: png(48, 48, (x, y) => (x === y ? [20, 80, 200] : [235, 240, 250])),
      mediaType: 'image/png',
    });
    const lines = Array.from({ length: 4000 }, (_, i) => `epoch ${i} loss ${(1 / (i + 1)).toFixed(6)} some padding to make the log long`);
    await put({ kind: 'CONSOLE', key: 'console', name: 'console.log', body: `${lines.join('\n')}\ntraining done\n`, mediaType: 'text/plain; charset=utf-8' });

    const { page, errors } = await offlinePage(browser());
    await page.goto(`${url}/runs/${run.id}`);
    const samples = page.locator('[data-testid=media-key][data-key=samples]');
    await expect.poll(() => samples.getAttribute('data-step')).toBe('300');
    const images = samples.getByTestId('media-image');
    await expect.poll(() => images.count()).toBe(2);
    await expect.poll(() => images.first().evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(32);
    const srcAt300 = await images.first().getAttribute('src');
    await samples.getByRole('button', { name: 'previous step of samples' }).click();
    await expect.poll(() => samples.getAttribute('data-step')).toBe('200');
    await expect.poll(() => images.first().getAttribute('src')).not.toBe(srcAt300);
    await samples.locator('input[type=range]').fill('0');
    await expect.poll(() => samples.getAttribute('data-step')).toBe('100');
    expect(await samples.innerText()).toContain('1 of 3');

    await expect.poll(() => page.getByTestId('media-table').locator('tbody tr').count()).toBe(12);
    expect(await page.getByTestId('media-table').locator('thead th').allInnerTexts()).toEqual(['image', 'label', 'score']);
    await expect.poll(() => page.getByTestId('media-histogram').locator('rect.bar').count()).toBe(20);
    await page.locator('[data-testid=media-key][data-key=confusion] [data-testid=media-image]').waitFor();
    const tail = page.getByTestId('console-tail');
    await expect.poll(() => tail.innerText()).toContain('training done');
    expect(await tail.innerText()).not.toContain('epoch 0 loss');
    await samples.scrollIntoViewIfNeeded();
    await screenshot(page, 'run-media');
    expect(errors).toEqual([]);
  });
});
