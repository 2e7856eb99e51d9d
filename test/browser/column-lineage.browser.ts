// The lineage view's column lineage in real headless Chromium: an OpenLineage event with a
// columnLineage facet is posted to a started server, then the output dataset's version is
// opened, a field picked, and its input fields, transformations and writing job are shown.
import { describe, expect, it } from 'vitest';
import { newRunId, postEvent, runEvent } from '../support/openlineage.js';
import { uniqueName, useServer } from '../support/server.js';
import { offlinePage, screenshot, useBrowser } from './browser.js';

const server = useServer();
const browser = useBrowser();
const FACET = (name: string) => ({ _producer: 'https://github.com/runledger/tests', _schemaURL: `https://openlineage.io/spec/facets/1-0-1/${name}.json` });

const input = (namespace: string, name: string, field: string, subtype: string, description = '') => ({
  namespace,
  name,
  field,
  transformations: [{ type: subtype === 'JOIN' ? 'INDIRECT' : 'DIRECT', subtype, description, masking: subtype === 'TRANSFORMATION' }],
});

describe('column lineage in the lineage view', () => {
  it('lists the fields of a dataset version, and draws where a picked field comes from, through which job', async () => {
    const s = server();
    const jobs = uniqueName('airflow');
    const wh = `postgres://${uniqueName('warehouse')}:5432`;
    const base = {
      runId: newRunId(),
      job: { namespace: jobs, name: 'orders.daily_revenue' },
      inputs: [
        { namespace: wh, name: 'raw.orders', version: 'd1' },
        { namespace: wh, name: 'raw.customers', version: 'd1' },
      ],
    };
    const columnLineage = {
      columnLineage: {
        ...FACET('ColumnLineageDatasetFacet'),
        fields: {
          revenue: { inputFields: [input(wh, 'raw.orders', 'amount', 'AGGREGATION', 'sum(amount)'), input(wh, 'raw.customers', 'id', 'JOIN')] },
          customer_email: { inputFields: [input(wh, 'raw.customers', 'email', 'TRANSFORMATION', 'sha256(email)')] },
        },
      },
    };
    for (const [eventType, eventTime, facets] of [
      ['START', '2026-11-01T02:00:00Z', {}],
      ['COMPLETE', '2026-11-01T02:05:00Z', columnLineage],
    ] as const) {
      const res = await postEvent(
        s.url,
        runEvent({ ...base, eventType, eventTime, outputs: [{ namespace: wh, name: 'mart.daily_revenue', version: 'd1', facets }] }),
      );
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const { dataset } = await s.client.data<{ dataset: { version: { id: string } } }, Record<string, unknown>>(
      'query($ns: String!) { dataset(namespace: $ns, name: "mart.daily_revenue") { version(version: "d1") { id } } }',
      { ns: wh },
    );

    const { page, blocked, errors } = await offlinePage(browser());
    await page.goto(`${s.url}/lineage/${dataset.version.id}`);
    const fields = page.getByTestId('column-fields').getByRole('button');
    await expect.poll(() => fields.allInnerTexts()).toEqual(['customer_email', 'revenue']);

    await fields.filter({ hasText: 'revenue' }).click();
    const graph = page.getByTestId('column-lineage');
    const nodes = graph.getByTestId('lineage-node');
    // Each node is one field, its id the field's [namespace, dataset, field].
    await expect
      .poll(() => nodes.evaluateAll((els) => els.map((e) => JSON.parse(e.getAttribute('data-node-id')!)).sort()))
      .toEqual([
        [wh, 'mart.daily_revenue', 'revenue'],
        [wh, 'raw.customers', 'id'],
        [wh, 'raw.orders', 'amount'],
      ]);
    expect(await graph.locator('[data-node-type=FIELD][data-marks=""].start').count()).toBe(1);
    // Left to right: inputs left of the field they feed.
    const x = async (name: string, field: string) => (await graph.locator(`[data-node-id='${JSON.stringify([wh, name, field])}']`).boundingBox())!.x;
    expect(await x('raw.orders', 'amount')).toBeLessThan(await x('mart.daily_revenue', 'revenue'));
    expect(await graph.getByTestId('edge-label').allTextContents()).toEqual(expect.arrayContaining(['aggregation', 'join']));
    const rows = graph.getByTestId('column-edge');
    await expect
      .poll(() => rows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent).join(' | ')).sort()))
      .toEqual([
        'raw.customers.id | mart.daily_revenue.revenue | orders.daily_revenue | INDIRECT / JOIN | none',
        'raw.orders.amount | mart.daily_revenue.revenue | orders.daily_revenue | DIRECT / AGGREGATION | sum(amount)',
      ]);
    await screenshot(page, 'column-lineage');

    // Another field, then upstream only: the masking hash shows.
    await fields.filter({ hasText: 'customer_email' }).click();
    await page.getByRole('group', { name: 'column lineage direction' }).getByRole('button', { name: '← upstream' }).click();
    await expect
      .poll(() => rows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent).join(' | '))))
      .toEqual(['raw.customers.email | mart.daily_revenue.customer_email | orders.daily_revenue | DIRECT / TRANSFORMATION · masked | sha256(email)']);
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
  });
});
