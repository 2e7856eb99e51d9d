// The dashboard in real headless Chromium against a started server, with data made through
// the API and every non-loopback request refused. Screenshots of each page land in
// test/browser/output/.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CreateProjectDocument,
  FinishRunDocument,
  LogBatchDocument,
  LogInputsDocument,
  QuarantineDatasetVersionDocument,
  SetModelAliasDocument,
} from '../generated/graphql.js';
import { newProject, newRun, seededRun } from '../support/factories.js';
import { newDatasetVersion, newModelVersion } from '../support/registry-factories.js';
import { uniqueName, useServer } from '../support/server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { offlinePage, screenshot, useBrowser } from './browser.js';

const server = useServer();
const browser = useBrowser();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function open(path: string, base = server().url) {
  const o = await offlinePage(browser());
  await o.page.goto(base + path);
  return o;
}

describe('home and runs table', () => {
  it('lists projects, then filters and sorts runs, and points at the offending token of a bad filter', async () => {
    const s = server();
    const project = await newProject(s.client, 'web-runs');
    const specs = [
      { name: 'xgb-a', params: { lr: '0.1', opt: 'adam' }, metrics: { auc: 0.71, loss: 0.9 }, tags: { team: 'recs' }, user: 'ana' },
      { name: 'xgb-b', params: { lr: '0.01', opt: 'adam' }, metrics: { auc: 0.86, loss: 0.5 }, tags: { team: 'recs' }, user: 'bob' },
      { name: 'xgb-c', params: { lr: '0.001', opt: 'sgd' }, metrics: { auc: 0.93, loss: 0.3 }, tags: { team: 'ads' }, user: 'ana' },
      { name: 'xgb-d', params: { lr: '0.05', opt: 'sgd' }, metrics: { auc: 0.81, loss: 0.6 }, tags: { team: 'ads' }, user: 'cy' },
    ];
    const runs: { id: string }[] = [];
    for (const spec of specs) runs.push(await seededRun(s.client, project, spec));

    const { page, blocked, errors } = await open('/');
    await page.getByRole('link', { name: project }).waitFor();
    await screenshot(page, 'home');
    await page.getByRole('link', { name: project }).click();
    await page.waitForURL(`**/projects/${project}/runs`);
    const names = () => page.locator('[data-testid=runs-row] .cell-name').allInnerTexts();
    await expect.poll(names).toEqual(['xgb-d', 'xgb-c', 'xgb-b', 'xgb-a']);

    await page.getByTestId('filter-input').fill('metrics.auc > 0.8');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await expect.poll(names).toEqual(['xgb-d', 'xgb-c', 'xgb-b']);
    expect(page.url()).toContain('filter=metrics.auc');

    await page.locator('[data-col="metrics.auc"]').click(); // DESC first
    await expect.poll(names).toEqual(['xgb-c', 'xgb-b', 'xgb-d']);
    await page.locator('[data-col="metrics.auc"]').click(); // then ASC
    await expect.poll(names).toEqual(['xgb-d', 'xgb-b', 'xgb-c']);

    // Live: a run that finishes turns finished in place.
    await s.client.data(FinishRunDocument, { input: { runId: runs[2]!.id, status: 'FAILED' } });
    await expect.poll(() => page.locator(`[data-run-id="${runs[2]!.id}"] .badge`).innerText()).toBe('failed');

    // Group by user, then narrow to one group.
    await page.getByTestId('group-by').selectOption('attributes.user');
    await page.getByTestId('groups').waitFor();
    await screenshot(page, 'runs');
    await page.getByTestId('groups').getByRole('button', { name: 'ana' }).click();
    await expect.poll(names).toEqual(['xgb-c']);

    await page.getByTestId('filter-input').fill("metrics.auc > 0.8 and params.lr === '0.1'");
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    const error = page.getByTestId('filter-error');
    await error.waitFor();
    expect(await error.locator('mark').innerText()).toMatch(/^=/);
    expect(await error.innerText()).toMatch(/column 34/);
    await screenshot(page, 'runs-filter-error');
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('long lists', () => {
  it('pages through more than 100 projects on the home page, and finds models of any project', async () => {
    const s = server();
    // Named to sort after every other project here, so the last one lies beyond the first page.
    const base = uniqueName('zz-paging');
    const names = Array.from({ length: 101 }, (_, i) => `${base}-${String(i).padStart(3, '0')}`);
    for (const name of names) await s.client.data(CreateProjectDocument, { input: { name } });
    const last = names.at(-1)!;
    const run = await newRun(s.client, last, { name: 'far-away' });
    const model = uniqueName('far-model');
    await newModelVersion(s, s.client, model, run.id);

    const { page, errors } = await open('/');
    await page.getByRole('link', { name: names[0], exact: true }).waitFor();
    expect(await page.getByRole('link', { name: last, exact: true }).count()).toBe(0);
    await page.getByRole('button', { name: 'Load more projects' }).click();
    await page.getByRole('link', { name: last, exact: true }).waitFor();

    await page.goto(`${s.url}/models`);
    const more = page.getByRole('button', { name: 'Load more projects' });
    await more.waitFor();
    // Projects come 25 to a page; click "Load more projects" until the far project's model shows.
    await expect
      .poll(
        async () => {
          if ((await page.getByRole('link', { name: model }).count()) > 0) return true;
          if (await more.isVisible()) await more.click();
          return false;
        },
        { timeout: 15_000, interval: 200 },
      )
      .toBe(true);
    await page.goto(`${s.url}/models?project=${last}`);
    await page.getByRole('link', { name: model }).waitFor();

    // The audit log: 100 events a page, newest first; the 101 createProject calls span two pages.
    await page.goto(`${s.url}/audit?operation=createProject`);
    const rows = page.getByTestId('audit').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(100);
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rows.count()).toBeGreaterThan(100);
    expect(errors).toEqual([]);
  });
});

describe('run page', () => {
  it('draws every metric and a chart gains a logged point within 1 s', async () => {
    const s = server();
    const project = await newProject(s.client, 'web-run');
    const run = await newRun(s.client, project, {
      name: 'resnet-live',
      user: 'ana',
      seed: '7',
      codeVersion: { repository: 'git@example.com:acme/vision.git', commit: '3f2a9c1d', branch: 'main', dirty: true },
      environment: { python: '3.11', hardware: { gpus: 2 } },
    });
    await s.client.data(LogBatchDocument, {
      input: {
        runId: run.id,
        params: [
          { key: 'lr', value: '0.003' },
          { key: 'batch_size', value: '256' },
        ],
        tags: [{ key: 'team', value: 'vision' }],
        series: [
          { key: 'loss', steps: [...Array(200).keys()], values: [...Array(200).keys()].map((i) => 2 * Math.exp(-i / 60) + 0.05 * Math.sin(i / 3)) },
          { key: 'val_acc', steps: [...Array(20).keys()].map((i) => i * 10), values: [...Array(20).keys()].map((i) => 0.5 + 0.4 * (1 - Math.exp(-i / 6))) },
        ],
      },
    });
    const { page, errors } = await open(`/runs/${run.id}`);
    const loss = page.locator('[data-testid=metric-chart][data-key=loss]');
    await expect.poll(() => loss.getAttribute('data-points')).toBe('200');
    await expect.poll(() => page.locator('.live-dot.live').count()).toBeGreaterThan(0);
    await pause(300); // the subscription is registered on the server
    await s.client.data(LogBatchDocument, { input: { runId: run.id, metrics: [{ key: 'loss', step: 200, value: 0.07 }] } });
    // The deadline: the point is on the chart within 1 s of logBatch returning.
    await page.waitForFunction(() => document.querySelector('[data-testid=metric-chart][data-key=loss]')?.getAttribute('data-last-step') === '200', undefined, {
      timeout: 1000,
    });
    expect(await loss.getAttribute('data-points')).toBe('201');
    await screenshot(page, 'run');

    // Zoom: a drag refetches the range from the server.
    const box = (await loss.locator('.plot-over').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => loss.getAttribute('data-zoomed')).toBe('yes');
    await expect.poll(() => loss.locator('.metric-head').innerText()).toMatch(/steps \d+–\d+ reset/);
    expect(errors).toEqual([]);
  });

  it('resumes without a gap after the connection drops', async () => {
    const s = server();
    const project = await newProject(s.client, 'web-drop');
    const run = await newRun(s.client, project, { name: 'flaky-network' });
    const log = (from: number, to: number) =>
      s.client.data(LogBatchDocument, {
        input: { runId: run.id, series: [{ key: 'loss', steps: range(from, to), values: range(from, to).map((i) => 1 / (i + 1)) }] },
      });
    await log(0, 10);
    const target = new URL(s.url);
    let proxy: TcpProxy | undefined;
    try {
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
      const { page } = await open(`/runs/${run.id}`, `http://127.0.0.1:${proxy.port}`);
      const chart = page.locator('[data-testid=metric-chart][data-key=loss]');
      await expect.poll(() => chart.getAttribute('data-points')).toBe('10');
      await expect.poll(() => page.locator('.card-actions .live-dot.live').count()).toBe(1);
      await pause(300);
      await log(10, 12);
      await expect.poll(() => chart.getAttribute('data-last-step')).toBe('11');

      proxy.cut();
      await expect.poll(() => page.locator('.card-actions .live-dot.reconnecting').count()).toBe(1);
      await log(12, 30); // logged while the browser is cut off
      proxy.restore();
      await log(30, 35);
      await expect.poll(() => chart.getAttribute('data-last-step'), { timeout: 15_000 }).toBe('34');
      // Steps are kept strictly increasing, so 35 points ending at 34 means 0..34: no gap, no duplicate.
      expect(await chart.getAttribute('data-points')).toBe('35');
    } finally {
      await proxy?.close();
    }
  });
});

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('first requests', () => {
  it("sends a page's first queries from its first script, before the app's code, and asks each once", async () => {
    const s = server();
    const project = await newProject(s.client, 'web-early');
    const run = await seededRun(s.client, project, { name: 'early', params: { lr: '0.1' }, metrics: { loss: 0.5 } });
    const operations = (o: Awaited<ReturnType<typeof offlinePage>>) => {
      const sent: string[] = [];
      o.page.on('request', (r) => {
        if (r.method() === 'POST' && r.url().endsWith('/graphql'))
          sent.push(/^\s*(?:query|mutation|subscription)\s+(\w+)/m.exec(JSON.parse(r.postData() ?? '{}').query ?? '')?.[1] ?? '?');
      });
      return sent;
    };
    for (const [path, expected] of [
      [`/runs/${run.id}`, ['Run']],
      [`/projects/${project}/runs?view=charts`, ['RunKeys', 'Runs', 'RunsCount']],
    ] as const) {
      // With the app's code refused, the first script alone sends the page's queries.
      const early = await offlinePage(browser());
      await early.context.route('**/assets/index-*.js', (route) => route.abort('failed'));
      const sentEarly = operations(early);
      await early.page.goto(s.url + path);
      await expect.poll(() => [...sentEarly].sort()).toEqual([...expected]);
      await early.context.close();
      // With it, the app takes those answers instead of asking again: one request each.
      const o = await offlinePage(browser());
      const sent = operations(o);
      await o.page.goto(s.url + path);
      await o.page.locator(path.startsWith('/runs') ? '[data-testid=metric-chart][data-key=loss]' : '[data-testid=panel][data-key=loss]').waitFor();
      await pause(300);
      for (const name of expected)
        expect(
          sent.filter((n) => n === name),
          `${name} on ${path}`,
        ).toHaveLength(1);
      expect(o.errors).toEqual([]);
      await o.context.close();
    }
  });
});

describe('compare', () => {
  it('marks the params that differ and overlays a metric', async () => {
    const s = server();
    const project = await newProject(s.client, 'web-compare');
    const a = await seededRun(s.client, project, { name: 'ResNet-50 base', params: { lr: '0.01', opt: 'adam', layers: '4' }, metrics: { auc: 0.81 } });
    const b = await seededRun(s.client, project, { name: 'wider', params: { lr: '0.01', opt: 'adam', layers: '8' }, metrics: { auc: 0.84 } });
    const c = await seededRun(s.client, project, { name: 'SGD baseline', params: { lr: '0.1', opt: 'sgd', layers: '8' }, metrics: { auc: 0.79 } });
    for (const [i, r] of [a, b, c].entries()) {
      await s.client.data(LogBatchDocument, {
        input: {
          runId: r.id,
          series: [{ key: 'auc', steps: range(2, 40), values: range(2, 40).map((x) => 0.5 + (0.3 + i * 0.02) * (1 - Math.exp(-x / 10))) }],
        },
      });
    }
    const { page, errors } = await open(`/projects/${project}/runs`);
    for (const r of [a, b, c]) await page.locator(`[data-run-id="${r.id}"] input[type=checkbox]`).check();
    await page.getByTestId('compare-button').click();
    await page.waitForURL('**/compare?ids=*');
    const row = (key: string) => page.locator(`[data-testid=compare-table] tr[data-param="${key}"]`);
    await row('lr').waitFor();
    expect(await row('lr').getAttribute('data-differs')).toBe('true');
    expect(await row('layers').getAttribute('data-differs')).toBe('true');
    expect(await row('opt').getAttribute('data-differs')).toBe('true');
    // Names as logged, and every value of a run in that run's column.
    const table = page.getByTestId('compare-table');
    expect(await table.locator('thead th.compare-run a').allInnerTexts()).toEqual(['ResNet-50 base', 'wider', 'SGD baseline']);
    const aligned = await table.evaluate((t) => {
      const heads = [...t.querySelectorAll('thead th[data-run-id]')].map((th) => [th.getAttribute('data-run-id'), th.getBoundingClientRect().left] as const);
      return [...t.querySelectorAll('tbody td[data-run-id]')].every((td) => {
        const head = heads.find(([id]) => id === td.getAttribute('data-run-id'))!;
        return Math.abs(td.getBoundingClientRect().left - head[1]) < 1;
      });
    });
    expect(aligned).toBe(true);
    await page.locator('.plot canvas').first().waitFor();
    await expect.poll(() => page.getByTestId('plot').getAttribute('data-drawn')).toBe('3');
    await page.getByTestId('parallel-coordinates').locator('polyline').nth(2).waitFor();
    // Parallel coordinates fill the card, and tick labels lie over the lines on a white halo.
    const pc = await page.getByTestId('parallel-coordinates').evaluate((svg) => {
      const card = svg.closest('.card')!;
      const inner = card.clientWidth - 32;
      const order = [...svg.children].map((e) => e.tagName);
      const tick = svg.querySelector('[data-testid=parallel-tick]')!;
      return {
        width: svg.getBoundingClientRect().width,
        inner,
        linesFirst: order.lastIndexOf('polyline') < order.lastIndexOf('g'),
        halo: getComputedStyle(tick).stroke,
      };
    });
    expect(Math.abs(pc.width - pc.inner)).toBeLessThan(4);
    expect(pc.linesFirst).toBe(true);
    expect(pc.halo).toBe('rgb(255, 255, 255)');
    await screenshot(page, 'compare');

    // Two runs that share opt: only lr and layers differ.
    await page.goto(`${s.url}/compare?ids=${a.id},${b.id}`);
    await row('opt').waitFor();
    expect(await row('opt').getAttribute('data-differs')).toBe('false');
    expect(await row('layers').getAttribute('data-differs')).toBe('true');
    expect(await row('lr').getAttribute('data-differs')).toBe('false');
    expect(errors).toEqual([]);
  });
});

describe('lineage, models and incident', () => {
  let dvId: string;
  let badId: string;
  let t0: string;
  let model: string;
  let runB: { id: string };
  beforeAll(async () => {
    const s = server();
    const project = await newProject(s.client, 'web-lineage');
    const dataset = uniqueName('events');
    const dv = await newDatasetVersion(s.client, {
      dataset,
      version: 'aug',
      project,
      rowCount: 120000,
      coverageStart: '2026-08-01T00:00:00Z',
      coverageEnd: '2026-09-01T00:00:00Z',
    });
    dvId = dv.id;
    await pause(1200);
    // "As of" has one-second resolution in the page; the links below all come after t0.
    t0 = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
    const runA = await newRun(s.client, project, { name: 'train-v1', user: 'ana' });
    await s.client.data(LogInputsDocument, { input: { runId: runA.id, datasets: [{ datasetVersionId: dv.id, role: 'train' }] } });
    model = uniqueName('churn');
    const v1 = await newModelVersion(s, s.client, model, runA.id);
    runB = await newRun(s.client, project, { name: 'train-v2', user: 'bob' });
    await newModelVersion(s, s.client, model, runB.id);
    await s.client.data(SetModelAliasDocument, { input: { model, alias: 'production', version: v1.version, reason: 'first release' } });
    await s.client.data(SetModelAliasDocument, { input: { model, alias: 'production', version: 2, reason: 'better AUC' } });
    // v3 is trained on data that is then quarantined: promoting it is refused.
    const runC = await newRun(s.client, project, { name: 'train-v3' });
    const bad = await newDatasetVersion(s.client, { dataset, version: 'sep' });
    badId = bad.id;
    await s.client.data(LogInputsDocument, { input: { runId: runC.id, datasets: [{ datasetVersionId: bad.id, role: 'train' }] } });
    await newModelVersion(s, s.client, model, runC.id);
    await s.client.data(QuarantineDatasetVersionDocument, { input: { id: bad.id, reason: 'duplicated rows from a replayed Kafka topic' } });
  });

  it('draws the graph left to right, marks quarantined data downstream, and redraws as of an earlier instant', async () => {
    const s = server();
    const { page, errors } = await open(`/lineage/${dvId}?dir=DOWNSTREAM`);
    const nodes = page.getByTestId('lineage-node');
    await expect.poll(() => nodes.count()).toBe(4);
    const types = await nodes.evaluateAll((els) => els.map((e) => e.getAttribute('data-node-type')).sort());
    expect(types).toEqual(['ARTIFACT', 'DATASET_VERSION', 'MODEL_VERSION', 'RUN']);
    // Left to right: the dataset version is left of the run, the run left of the model version.
    const x = async (type: string) => (await page.locator(`[data-node-type=${type}]`).first().boundingBox())!.x;
    expect(await x('DATASET_VERSION')).toBeLessThan(await x('RUN'));
    expect(await x('RUN')).toBeLessThan(await x('MODEL_VERSION'));
    await screenshot(page, 'lineage');

    await page.getByTestId('as-of').fill(t0.slice(0, 19));
    await expect.poll(() => nodes.count()).toBe(1);
    expect(page.url()).toContain('at=');

    // The quarantined September data, and its run, artifact and model version downstream.
    await page.goto(`${s.url}/lineage/${badId}?dir=DOWNSTREAM`);
    await expect.poll(() => page.locator('[data-marks~=quarantined]').count()).toBe(1);
    expect(await page.locator('[data-marks~=quarantined]').getAttribute('data-node-type')).toBe('DATASET_VERSION');
    expect(await page.locator('[data-marks~=downstream]').evaluateAll((els) => els.map((e) => e.getAttribute('data-node-type')).sort())).toEqual([
      'ARTIFACT',
      'MODEL_VERSION',
      'RUN',
    ]);
    await screenshot(page, 'lineage-quarantine');

    // Clicking a run opens its page.
    await page.locator('[data-node-type=RUN]', { hasText: 'train-v3' }).click();
    await page.waitForURL('**/runs/*');
    expect(errors).toEqual([]);
  });

  it('never cuts a label: long names wrap, badges fit their text, edge labels stay clear of nodes', async () => {
    const s = server();
    const project = await newProject(s.client, 'web-long-labels');
    const dv = await newDatasetVersion(s.client, {
      dataset: uniqueName('customer-clickstream-sessions-deduplicated-eu-west-1'),
      version: '2026-09-01T00:00:00Z-rebuild-3',
      project,
    });
    const run = await newRun(s.client, project, { name: 'train-gradient-boosted-churn-classifier-with-calibration' });
    await s.client.data(LogInputsDocument, { input: { runId: run.id, datasets: [{ datasetVersionId: dv.id, role: 'train' }] } });
    const longModel = uniqueName('churn-classifier-gradient-boosted-calibrated');
    const v = await newModelVersion(s, s.client, longModel, run.id);
    for (const alias of ['production', 'champion']) await s.client.data(SetModelAliasDocument, { input: { model: longModel, alias, version: v.version } });
    const { page, errors } = await open(`/lineage/${dv.id}?dir=DOWNSTREAM`);
    await expect.poll(() => page.getByTestId('lineage-node').count()).toBe(4);
    const geometry = await page.evaluate(() => {
      const inside = (a: DOMRect, b: DOMRect) => a.left >= b.left - 0.5 && a.right <= b.right + 0.5 && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5;
      const overlap = (a: DOMRect, b: DOMRect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      const nodes = [...document.querySelectorAll('[data-testid=lineage-node]')];
      const boxes = nodes.map((n) => n.querySelector('.dag-box')!.getBoundingClientRect());
      return {
        labels: nodes.map((n, i) => {
          const label = n.querySelector('[data-testid=node-label]')!;
          const title = n.querySelector('title')!.textContent!;
          return {
            whole: title.includes(`: ${[...label.querySelectorAll('tspan')].map((t) => t.textContent).join('')}`),
            fits: inside(label.getBoundingClientRect(), boxes[i]!),
          };
        }),
        badges: [...document.querySelectorAll('[data-testid=node-badge]')].map((b) => ({
          text: b.querySelector('text')!.textContent,
          fits: inside(b.querySelector('text')!.getBoundingClientRect(), b.querySelector('rect')!.getBoundingClientRect()),
        })),
        edgeLabelsOnNodes: [...document.querySelectorAll('[data-testid=edge-label] rect')].filter((r) =>
          boxes.some((b) => overlap(r.getBoundingClientRect(), b)),
        ).length,
      };
    });
    expect(geometry.labels).toEqual(geometry.labels.map(() => ({ whole: true, fits: true })));
    expect(geometry.badges.map((b) => b.text).sort()).toEqual(['champion', 'production']);
    expect(geometry.badges.every((b) => b.fits)).toBe(true);
    expect(geometry.edgeLabelsOnNodes).toBe(0);
    await screenshot(page, 'lineage-long-labels');
    expect(errors).toEqual([]);
  });

  it('rolls an alias back from the UI, and a refused promotion shows the quarantined data and takes an override', async () => {
    const { page, errors } = await open(`/models/${model}`);
    const history = page.getByTestId('alias-history');
    await expect.poll(() => history.locator('li').count()).toBe(2);
    await page.locator('tr[data-alias=production]').getByRole('button', { name: 'Roll back…' }).click();
    await page.locator('input[name=rollback-reason]').fill('v2 drops recall on new users');
    await page.locator('tr[data-alias=production]').getByRole('button', { name: 'Roll back', exact: true }).click();
    await expect.poll(() => history.locator('li').count()).toBe(3);
    const newest = history.locator('li').first();
    expect(await newest.getAttribute('data-action')).toBe('ROLLBACK');
    expect(await newest.innerText()).toContain('v2 drops recall on new users');
    expect(await page.locator('tr[data-alias=production]').innerText()).toContain('v1');

    await page.locator('select[name=version]').selectOption('3');
    await page.getByRole('button', { name: /Move .* to v3/ }).click();
    const refused = page.getByTestId('promotion-refused');
    await refused.waitFor();
    expect(await refused.innerText()).toContain('duplicated rows from a replayed Kafka topic');
    await screenshot(page, 'models-refused');
    await page.locator('input[name=override-reason]').fill('hotfix for the outage; retrain tonight');
    await page.getByRole('button', { name: 'Promote anyway' }).click();
    await expect.poll(() => history.locator('li').count()).toBe(4);
    expect(await history.locator('li').first().innerText()).toContain('hotfix for the outage');
    // Wherever v3 appears, it says it was trained on quarantined data (and on which).
    const mark = page.locator('tr[data-alias=production] [data-testid=quarantine-mark]');
    await mark.waitFor();
    expect(await mark.getAttribute('title')).toMatch(/events-.*@sep/);
    expect(await page.locator('td[data-version="3"] [data-testid=quarantine-mark]').count()).toBe(1);
    expect(await page.locator('td[data-version="1"] [data-testid=quarantine-mark]').count()).toBe(0);
    expect(await history.locator('li').first().getByTestId('quarantine-mark').count()).toBe(1);
    await screenshot(page, 'models');
    await page.goto(`${server().url}/models`);
    await page.locator(`[data-alias=production]`, { hasText: 'production → v3' }).getByTestId('quarantine-mark').first().waitFor();
    expect(errors).toEqual([]);
  });

  it('shows the models downstream of a dataset version with their aliases now and then', async () => {
    const { page, errors } = await open(`/incident`);
    await page.locator('input[name=dataset]').fill((await datasetName(dvId))!);
    await page.locator('input[name=version]').fill('aug');
    await page.getByRole('button', { name: 'Show impact' }).first().click();
    const rows = page.getByTestId('impact').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain(`${model} v1`);
    await screenshot(page, 'incident');
    expect(errors).toEqual([]);
  });
});

async function datasetName(id: string) {
  const data = await server().client.data<{ node: { dataset: { name: string } } | null }, { id: string }>(
    `query($id: ID!) { node(id: $id) { ... on DatasetVersion { dataset { name } } } }`,
    { id },
  );
  return data.node?.dataset.name;
}

describe('GraphiQL', () => {
  it('renders with every request to the internet refused', async () => {
    const { page, blocked, errors } = await open('/graphql');
    await page.locator('.graphiql-container').first().waitFor({ timeout: 30_000 });
    await page.locator('.graphiql-query-editor, .graphiql-editor').first().waitFor();
    await screenshot(page, 'graphiql');
    expect(blocked).toEqual([]);
    expect(errors.filter((e) => !/worker|monaco/i.test(e))).toEqual([]);
  });
});
