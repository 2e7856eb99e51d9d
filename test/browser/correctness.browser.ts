// The dashboard's correctness bugs of issue 23, each driven in Chromium against a started
// server: a run whose metrics end at different steps, runs-table columns that do not hang on
// the first row, and a runs page for a project that is not there.
import { describe, expect, it } from 'vitest';
import { LogBatchDocument } from '../generated/graphql.js';
import { newProject, newRun, seededRun } from '../support/factories.js';
import { uniqueName, useServer } from '../support/server.js';
import { offlinePage, screenshot, useBrowser } from './browser.js';

const server = useServer();
const browser = useBrowser();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('a run whose metrics end at different steps', () => {
  it('draws each chart whole from its first frame and never trades the downsample for raw points', async () => {
    const s = server();
    const project = await newProject(s.client, 'web-mixed');
    const run = await newRun(s.client, project, { name: 'mixed-length' });
    // loss every step (40,000 points, far past what a chart holds), val_auc every 100th step on its own counter.
    for (let from = 0; from < 40_000; from += 10_000) {
      const steps = range(from, from + 10_000);
      await s.client.data(LogBatchDocument, {
        input: { runId: run.id, series: [{ key: 'loss', steps, values: steps.map((i) => 1 / (1 + i / 500) + 0.02 * Math.sin(i)) }] },
      });
    }
    await s.client.data(LogBatchDocument, {
      input: { runId: run.id, series: [{ key: 'val_auc', steps: range(0, 400), values: range(0, 400).map((i) => 0.6 + 0.3 * (1 - Math.exp(-i / 80))) }] },
    });

    const { page, context, errors } = await offlinePage(browser());
    // Every state the loss chart passes through, from its first render.
    await context.addInitScript(() => {
      const w = window as unknown as { lossStates: string[] };
      w.lossStates = [];
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid=metric-chart][data-key=loss]');
        if (!el) return;
        const state = `${el.getAttribute('data-points')}|${el.getAttribute('data-last-step')}`;
        if (w.lossStates.at(-1) !== state) w.lossStates.push(state);
      }).observe(document, { subtree: true, childList: true, attributes: true });
    });
    let wsBytes = 0;
    page.on('websocket', (ws) => ws.on('framereceived', (f) => (wsBytes += typeof f.payload === 'string' ? f.payload.length : f.payload.byteLength)));
    await page.goto(`${s.url}/runs/${run.id}`);
    const loss = page.locator('[data-testid=metric-chart][data-key=loss]');
    const auc = page.locator('[data-testid=metric-chart][data-key=val_auc]');
    await expect.poll(() => auc.getAttribute('data-last-step')).toBe('399');
    await expect.poll(() => page.locator('.card-actions .live-dot.live').count()).toBe(1);
    await pause(1500); // time for any replay the page asked for to arrive

    const states = await page.evaluate(() => (window as unknown as { lossStates: string[] }).lossStates);
    // The first drawn state is already the whole series, downsampled, and it stays that way.
    for (const state of states.filter((x) => !x.startsWith('null') && !x.startsWith('0|'))) {
      const [points, last] = state.split('|').map(Number);
      expect(last, `loss states: ${states.join(', ')}`).toBe(39_999);
      expect(points).toBeLessThanOrEqual(4000);
    }
    expect(Number(await loss.getAttribute('data-points'))).toBeLessThanOrEqual(4000);
    expect(await loss.locator('.metric-head').innerText()).toContain('downsampled');
    // Nothing but the subscriptions' own chatter came over the WebSocket: no replay of raw points.
    expect(wsBytes).toBeLessThan(20_000);

    // Live points still arrive on both series, each after its own last step.
    await s.client.data(LogBatchDocument, {
      input: {
        runId: run.id,
        series: [
          { key: 'loss', steps: [40_000, 40_001], values: [0.011, 0.01] },
          { key: 'val_auc', steps: [400], values: [0.91] },
        ],
      },
    });
    await expect.poll(() => loss.getAttribute('data-last-step')).toBe('40001');
    await expect.poll(() => auc.getAttribute('data-last-step')).toBe('400');
    expect(Number(await loss.getAttribute('data-points'))).toBeLessThanOrEqual(4000);
    expect(errors).toEqual([]);
  });
});

describe('runs table columns', () => {
  it('come from the project, not the newest row, and survive an invalid filter', async () => {
    const s = server();
    const project = await newProject(s.client, 'web-columns');
    await seededRun(s.client, project, { name: 'trained', params: { lr: '0.1', depth: '6' }, metrics: { auc: 0.8, loss: 0.4 } });
    await newRun(s.client, project, { name: 'just-started' }); // the newest run has logged nothing yet
    const { page, errors } = await offlinePage(browser());
    await page.goto(`${s.url}/projects/${project}/runs`);
    await expect.poll(() => page.locator('[data-testid=runs-row]').count()).toBe(2);
    const header = page.locator('.grid-head');
    await expect.poll(() => header.locator('[data-col="metrics.auc"]').count()).toBe(1);
    expect(await header.locator('[data-col="params.lr"]').count()).toBe(1);

    await page.getByTestId('filter-input').fill('metrics.auc >> 0.5');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await page.getByTestId('filter-error').waitFor();
    expect(await header.locator('[data-col="metrics.auc"]').count()).toBe(1);
    expect(await header.locator('[data-col="params.lr"]').count()).toBe(1);
    await page.getByTestId('column-picker').click();
    expect(await page.locator('.picker-menu').innerText()).toContain('depth');
    expect(errors).toEqual([]);
  });
});

describe('a runs page for a project that is not there', () => {
  it('says so and stops reconnecting', async () => {
    const s = server();
    const missing = uniqueName('no-such-project');
    const { page } = await offlinePage(browser());
    let sockets = 0;
    page.on('websocket', () => (sockets += 1));
    await page.goto(`${s.url}/projects/${missing}/runs`);
    await page.getByRole('alert').filter({ hasText: missing }).waitFor();
    await pause(4000);
    expect(sockets).toBeLessThanOrEqual(1);
    expect(await page.locator('.live-dot.reconnecting').count()).toBe(0);
    expect(await page.getByTestId('live-state').innerText()).toMatch(/not live/);
  });
});

describe('the runs table at 1280 pixels', () => {
  it('fits without clipping a header, and gives start times relative with the exact time on hover', async () => {
    const s = server();
    const project = await newProject(s.client, 'web-width');
    await seededRun(s.client, project, {
      name: 'resnet50-imagenet-baseline-long-name',
      user: 'ana',
      params: { learning_rate: '0.001', batch_size: '256', optimizer: 'adamw' },
      metrics: { val_accuracy: 0.76, train_loss: 1.2, val_loss: 1.4 },
    });
    const { page, errors } = await offlinePage(browser());
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${s.url}/projects/${project}/runs`);
    await expect.poll(() => page.locator('.grid-head [data-col^="params."]').count()).toBe(3);
    const fit = await page.getByTestId('runs-table').evaluate((table) => ({
      overflow: table.scrollWidth - table.clientWidth,
      clipped: [...table.querySelectorAll('.grid-head .th')].filter((th) => th.scrollWidth > th.clientWidth + 1).map((th) => th.textContent),
    }));
    expect(fit).toEqual({ overflow: 0, clipped: [] });
    await screenshot(page, 'runs-1280');
    const started = page.locator('[data-testid=runs-row] [data-testid=relative-time]').first();
    expect(await started.innerText()).toMatch(/just now|min ago/);
    expect(await started.getAttribute('title')).toMatch(/\d{4}, \d\d:\d\d:\d\d/);
    expect(errors).toEqual([]);
  });
});
