// The links MLflow clients print (<tracking-uri>/#/experiments/<id>/runs/<runId>, and
// /#/experiments/<id>) open the run and the project's runs in the dashboard. The ids come from
// MLflow's own REST protocol, as an MLflow client gets them.
import { describe, expect, it } from 'vitest';
import { uniqueName, useServer } from '../support/server.js';
import { offlinePage, useBrowser } from './browser.js';

const server = useServer();
const browser = useBrowser();

async function mlflow(path: string, body: unknown) {
  const res = await fetch(`${server().url}/api/2.0/mlflow/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe('MLflow UI links', () => {
  it('open the run and the experiment they name', async () => {
    const s = server();
    const experiment = uniqueName('churn-v2');
    const { experiment_id: experimentId } = (await mlflow('experiments/create', { name: experiment })) as { experiment_id: string };
    const created = (await mlflow('runs/create', { experiment_id: experimentId, run_name: 'mlflow-trained', start_time: Date.now() })) as {
      run: { info: { run_id: string } };
    };
    const runId = created.run.info.run_id;
    await mlflow('runs/log-metric', { run_id: runId, key: 'rmse', value: 0.42, timestamp: Date.now(), step: 1 });

    const { page, errors } = await offlinePage(browser());
    // As printed by mlflow: "View run mlflow-trained at: http://host/#/experiments/<id>/runs/<run_id>"
    await page.goto(`${s.url}/#/experiments/${experimentId}/runs/${runId}`);
    await page.waitForURL(/\/runs\/[^/#]+$/);
    await page.locator('.page-head h1', { hasText: 'mlflow-trained' }).waitFor();
    await page.locator('[data-testid=metric-chart][data-key=rmse]').waitFor();

    // "View experiment at: http://host/#/experiments/<id>"
    await page.goto(`${s.url}/#/experiments/${experimentId}`);
    await page.waitForURL(`**/projects/${encodeURIComponent(experiment)}/runs`);
    await expect.poll(() => page.locator('[data-testid=runs-row] .cell-name').allInnerTexts()).toEqual(['mlflow-trained']);

    // A run id this server never issued says so, and links to the experiment it names.
    await page.goto(`${s.url}/#/experiments/${experimentId}/runs/${'f'.repeat(32)}`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/No run with MLflow id f{32}/);
    expect(await alert.getByRole('link').innerText()).toContain(experiment);
    // Home stays home once the link is followed.
    await page.goto(`${s.url}/`);
    await page.getByRole('heading', { name: 'Projects' }).waitFor();
    expect(errors).toEqual([]);
  });
});
