// Charts in Chromium against a started server: the panel grid of a project's runs (choosing,
// hiding and colouring runs, grouping into bands), the hover readout, smoothing, the log axis
// and the x axis by time, on data logged through the API.
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LogBatchDocument } from '../generated/graphql.js';
import { newProject, newRun } from '../support/factories.js';
import { useServer } from '../support/server.js';
import { offlinePage, screenshot, useBrowser } from './browser.js';

const server = useServer();
const browser = useBrowser();
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

let project: string;
const runs: { id: string; name: string; lr: string; opt: string }[] = [];

beforeAll(async () => {
  const { client } = server();
  project = await newProject(client, 'web-charts');
  const t0 = Date.parse('2026-11-01T08:00:00Z');
  for (let i = 0; i < 12; i += 1) {
    const lr = ['0.1', '0.01', '0.001'][i % 3]!;
    const opt = i < 6 ? 'adam' : 'sgd';
    const run = await newRun(client, project, { name: `sweep-${String(i).padStart(2, '0')}`, startedAt: new Date(t0 + i * 60_000).toISOString() });
    runs.push({ id: run.id, name: run.name, lr, opt });
    const steps = range(0, 300);
    // Loss spans three decades (log axis), with noise for the smoothing to smooth.
    const loss = steps.map((s) => 2 * Math.exp(-s / (30 + i * 4)) * (1 + 0.3 * Math.sin(s * 1.7 + i)) + 0.001);
    await client.data(LogBatchDocument, {
      input: {
        runId: run.id,
        params: [
          { key: 'lr', value: lr },
          { key: 'opt', value: opt },
        ],
        series: [
          { key: 'loss', steps, values: loss, timestamps: steps.map((s) => new Date(t0 + i * 60_000 + s * 2000).toISOString()) },
          { key: 'acc', steps, values: steps.map((s) => 0.5 + 0.4 * (1 - Math.exp(-s / 80)) + (opt === 'adam' ? 0.05 : 0)) },
          { key: 'val_auc', steps: range(0, 30).map((s) => s * 10), values: range(0, 30).map((s) => 0.6 + 0.01 * s) },
        ],
      },
    });
  }
}, 120_000);

const panel = (page: Page, key: string) => page.locator(`[data-testid=panel][data-key="${key}"]`);
const drawn = (page: Page, key: string) => panel(page, key).locator('[data-testid=plot]').getAttribute('data-drawn');

async function hoverMiddle(page: Page, key: string) {
  const over = panel(page, key).locator('.plot-over');
  const box = (await over.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5);
  const readout = panel(page, key).getByTestId('plot-readout');
  await readout.waitFor();
  return readout;
}

describe('the panel grid', () => {
  it('charts every metric of the project over the runs in view; runs can be hidden, coloured by a param and chosen in the table', async () => {
    const { page, errors } = await offlinePage(browser());
    await page.goto(`${server().url}/projects/${project}/runs?view=charts`);
    await expect.poll(() => page.getByTestId('panel').evaluateAll((els) => els.map((e) => e.getAttribute('data-key')))).toEqual(['acc', 'loss', 'val_auc']);
    for (const key of ['acc', 'loss', 'val_auc']) await expect.poll(() => drawn(page, key)).toBe('12');
    await screenshot(page, 'panel-grid');

    // Each run keeps its colour whatever else is shown; hiding one removes it from every panel.
    const row = page.locator(`[data-testid=workspace-run][data-run-id="${runs[0]!.id}"]`);
    const colorBefore = await row.locator('.swatch').evaluate((e) => getComputedStyle(e).backgroundColor);
    await row.getByRole('button', { name: `hide ${runs[0]!.name}` }).click();
    await expect.poll(() => drawn(page, 'loss')).toBe('11');
    await expect.poll(() => drawn(page, 'acc')).toBe('11');
    await row.getByRole('button', { name: `show ${runs[0]!.name}` }).click();
    await expect.poll(() => drawn(page, 'loss')).toBe('12');
    expect(await row.locator('.swatch').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe(colorBefore);

    // Colour by a param: runs with the same learning rate share a colour.
    await page.getByTestId('color-by').selectOption('params.lr');
    const colorOf = (id: string) =>
      page.locator(`[data-testid=workspace-run][data-run-id="${id}"] .swatch`).evaluate((e) => getComputedStyle(e).backgroundColor);
    await expect.poll(async () => (await colorOf(runs[0]!.id)) === (await colorOf(runs[3]!.id))).toBe(true);
    expect(await colorOf(runs[0]!.id)).not.toBe(await colorOf(runs[1]!.id));
    expect(page.url()).toContain('color=params.lr');

    // Choose three runs in the table: the charts show those.
    await page.getByTestId('view-table').click();
    for (const r of runs.slice(0, 3)) await page.locator(`[data-run-id="${r.id}"] input[type=checkbox]`).check();
    await page.getByTestId('view-charts').click();
    await expect.poll(() => page.getByTestId('workspace-run').count()).toBe(3);
    await expect.poll(() => drawn(page, 'loss')).toBe('3');
    expect(errors).toEqual([]);
  });

  it('groups runs into a mean line and a min-max band per group', async () => {
    const { page, errors } = await offlinePage(browser());
    await page.goto(`${server().url}/projects/${project}/runs?view=charts&group=params.opt`);
    await expect.poll(() => page.getByTestId('chart-groups').innerText()).toMatch(/adam\s*\(6\)[\s\S]*sgd\s*\(6\)/);
    await expect.poll(() => drawn(page, 'acc')).toBe('2');
    const readout = await hoverMiddle(page, 'acc');
    expect(await readout.innerText()).toMatch(/mean of 6, min .* max /);
    await screenshot(page, 'panel-grid-groups');
    expect(errors).toEqual([]);
  });
});

describe('reading a chart', () => {
  it('shows run, value, step and time under the cursor, smooths with the raw line behind, and draws a log axis', async () => {
    const { page, errors } = await offlinePage(browser());
    await page.goto(`${server().url}/projects/${project}/runs?view=charts`);
    await expect.poll(() => drawn(page, 'loss')).toBe('12');
    const readout = await hoverMiddle(page, 'loss');
    const rows = readout.getByTestId('readout-row');
    expect(await rows.count()).toBeGreaterThanOrEqual(10);
    // The panel reads its points' times when first hovered; the readout gains them in place.
    await expect.poll(() => rows.first().innerText()).toMatch(/Nov.*\d\d:\d\d:\d\d/);
    const first = await rows.first().innerText();
    expect(first).toMatch(/sweep-\d\d/);
    expect(first).toMatch(/step \d+/);
    expect(await readout.locator('tr.closest').count()).toBe(1);

    // Smoothing: the readout gives the smoothed value and the raw one.
    await page.locator('input[name=smoothing]').fill('0.9');
    await expect.poll(() => panel(page, 'loss').getByTestId('plot').getAttribute('data-smoothing')).toBe('0.9');
    expect(page.url()).toContain('smooth=0.9');
    expect(await (await hoverMiddle(page, 'loss')).innerText()).toMatch(/\(raw [0-9.]+\)/);
    await screenshot(page, 'panel-grid-smoothed');

    // Log y: ticks by decades across the three decades the loss spans.
    await page.locator('input[name=log-y]').check();
    const plot = panel(page, 'loss').getByTestId('plot');
    await expect.poll(() => plot.getAttribute('data-log-y')).toBe('yes');
    const ticks = (await plot.getAttribute('data-y-ticks'))!.split(' ');
    expect(ticks).toEqual(expect.arrayContaining(['0.01', '0.1', '1']));

    // x by time since start, then by wall time: the readout says so.
    await page.locator('select[name=x-axis]').selectOption('relative');
    await expect.poll(() => plot.getAttribute('data-x-mode')).toBe('relative');
    expect(await (await hoverMiddle(page, 'loss')).locator('.plot-readout-head').innerText()).toMatch(/^\+\d+m/);
    await page.locator('select[name=x-axis]').selectOption('wall');
    await expect.poll(() => plot.getAttribute('data-x-mode')).toBe('wall');
    expect(await (await hoverMiddle(page, 'loss')).locator('.plot-readout-head').innerText()).toMatch(/Nov/);
    expect(errors).toEqual([]);
  });

  it('smooths and reads the charts of a run page the same way', async () => {
    const { page, errors } = await offlinePage(browser());
    await page.goto(`${server().url}/runs/${runs[1]!.id}?smooth=0.8&logy=1`);
    const chart = page.locator('[data-testid=metric-chart][data-key=loss]');
    const plot = chart.getByTestId('plot');
    await expect.poll(() => plot.getAttribute('data-drawn')).toBe('1');
    expect(await plot.getAttribute('data-log-y')).toBe('yes');
    const box = (await chart.locator('.plot-over').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const text = await chart.getByTestId('plot-readout').innerText();
    expect(text).toMatch(/loss/);
    expect(text).toMatch(/\(raw /);
    expect(text).toMatch(/step \d+/);
    await screenshot(page, 'run-smoothed-log');
    expect(errors).toEqual([]);
  });
});
