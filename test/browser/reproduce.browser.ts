// The run page's Reproduce card shows the recipe `runledger reproduce` follows: the commit and
// repository, the captured diff (downloadable), the command line, seed, recorded variables,
// the lockfile and the input datasets with their digests, and the exact CLI command.
import { describe, expect, it } from 'vitest';
import { newProject, newRun } from '../support/factories.js';
import { newArtifact, newDatasetVersion } from '../support/registry-factories.js';
import { uniqueName, useServer } from '../support/server.js';
import { offlinePage, screenshot, useBrowser } from './browser.js';

const server = useServer();
const browser = useBrowser();

describe('the run page reproduce recipe', () => {
  it('shows what `runledger reproduce` would use, and the command to run it', async () => {
    const s = server();
    const project = await newProject(s.client, 'web-repro');
    const commit = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
    const run = await newRun(s.client, project, {
      name: 'bert base',
      seed: '1234',
      codeVersion: { repository: 'https://git.example.com/ml/churn.git', commit, branch: 'main', dirty: true },
      environment: {
        python: '3.11.7',
        command: ['/usr/bin/python3', 'train.py', '--lr', '0.01', "--note=it's"],
        cwd: '/home/me/churn/jobs',
        cwd_in_repo: 'jobs',
        env: { CUDA_VISIBLE_DEVICES: '0', PYTHONHASHSEED: '1234' },
      },
    });
    const diff = 'diff --git a/train.py b/train.py\n-lr = 0.1\n+lr = 0.01\n';
    await newArtifact(s, run.id, 'git.diff', 'CODE_DIFF', diff, 'text/x-diff');
    await newArtifact(s, run.id, 'requirements.txt', 'ENVIRONMENT', 'numpy==2.1.3\ntorch==2.9.1\n', 'text/plain');
    const dataset = uniqueName('clicks');
    const digest = 'c'.repeat(64);
    const dv = await newDatasetVersion(s.client, { project, dataset, version: 'v3', digest, sourceUri: 's3://bucket/clicks/v3.parquet' });
    await s.client.data('mutation($i: LogInputsInput!) { logInputs(input: $i) { datasetInputsWritten } }', {
      i: { runId: run.id, datasets: [{ datasetVersionId: dv.id, role: 'train' }] },
    });

    const { page, errors } = await offlinePage(browser());
    await page.goto(`${s.url}/runs/${run.id}`);
    const card = page.locator('section.reproduce');
    await card.waitFor();
    expect(await card.getByTestId('reproduce-command').innerText()).toBe(`runledger reproduce ${run.id} --dir reproduce-bert-base`);
    const text = await card.innerText();
    expect(text).toContain('https://git.example.com/ml/churn.git');
    expect(text).toContain(commit);
    expect(text).toMatch(/captured, \d+ B/);
    expect(await card.getByTestId('reproduce-cmdline').innerText()).toBe(`/usr/bin/python3 train.py --lr 0.01 '--note=it'"'"'s'`);
    expect(text).toMatch(/runs in\s+jobs/);
    expect(await card.getByTestId('reproduce-seed').innerText()).toBe('1234');
    expect((await card.getByTestId('reproduce-env').innerText()).split('\n')).toEqual(['CUDA_VISIBLE_DEVICES=0', 'PYTHONHASHSEED=1234']);
    const rows = await card.locator('[data-testid=reproduce-datasets] tbody tr').allInnerTexts();
    expect(rows).toEqual([`train\t${dataset}@v3\t${digest}\ts3://bucket/clicks/v3.parquet`]);

    // The diff and the lockfile download as stored.
    const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('link', { name: 'download git.diff' }).click()]);
    const { readFile } = await import('node:fs/promises');
    expect(await readFile((await download.path())!, 'utf8')).toBe(diff);
    const lock = card.getByRole('link', { name: /requirements\.txt/ });
    const res = await page.request.get(new URL((await lock.getAttribute('href'))!, s.url).toString());
    expect(await res.text()).toBe('numpy==2.1.3\ntorch==2.9.1\n');
    await screenshot(page, 'run-reproduce');

    // A run without a git commit says why there is nothing to reproduce from.
    const bare = await newRun(s.client, project, { name: 'no-git' });
    await page.goto(`${s.url}/runs/${bare.id}`);
    await page.locator('section.reproduce').waitFor();
    expect(await page.locator('section.reproduce').getByTestId('reproduce-command').innerText()).toMatch(/recorded no git commit/);
    expect(errors).toEqual([]);
  });
});
