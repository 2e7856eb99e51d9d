// Editing runs from the dashboard: notes and tags on the run page, deleting and restoring a run
// there and from the runs table, each checked against the API afterwards.
import { describe, expect, it } from 'vitest';
import { newProject, newRun } from '../support/factories.js';
import { useServer } from '../support/server.js';
import { offlinePage, screenshot, useBrowser } from './browser.js';

const server = useServer();
const browser = useBrowser();

async function stored(id: string) {
  const data = await server().client.data<{ run: { notes: string | null; deletedAt: string | null; tags: { key: string; value: string }[] } }, unknown>(
    'query($id: ID!) { run(id: $id) { notes deletedAt tags { key value } } }',
    { id },
  );
  return data.run;
}

describe('editing a run', () => {
  it('edits notes and tags on the run page', async () => {
    const s = server();
    const project = await newProject(s.client, 'web-edit');
    const run = await newRun(s.client, project, { name: 'to-edit', notes: 'first try', tags: [{ key: 'team', value: 'recs' }] });
    const { page, errors } = await offlinePage(browser());
    await page.goto(`${s.url}/runs/${run.id}`);
    await page.getByTestId('notes').getByText('first try').waitFor();

    await page.getByRole('button', { name: 'Edit notes' }).click();
    await page.locator('textarea[name=notes]').fill('lr too high;\nretry with 1e-4');
    await page.getByRole('button', { name: 'Save notes' }).click();
    await page.getByTestId('notes').getByText('retry with 1e-4').waitFor();
    expect((await stored(run.id)).notes).toBe('lr too high;\nretry with 1e-4');

    await page.locator('input[name=tag-key]').fill('stage');
    await page.locator('input[name=tag-value]').fill('review');
    await page.getByRole('button', { name: 'Add tag' }).click();
    await page.locator('[data-tag=stage]').waitFor();
    await page.getByRole('button', { name: 'edit tag team' }).click();
    await page.locator('input[name=tag-edit]').fill('ads');
    await page.getByTestId('tags').getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.locator('[data-tag=team] .tag-text').innerText()).toBe('ads');
    await screenshot(page, 'run-edit');
    await page.getByRole('button', { name: 'remove tag stage' }).click();
    await expect.poll(() => page.locator('[data-tag=stage]').count()).toBe(0);
    expect((await stored(run.id)).tags).toEqual([{ key: 'team', value: 'ads' }]);
    expect(errors).toEqual([]);
  });

  it('deletes a run from its page and restores it from the runs table', async () => {
    const s = server();
    const project = await newProject(s.client, 'web-delete');
    const keep = await newRun(s.client, project, { name: 'keeper' });
    const run = await newRun(s.client, project, { name: 'mistake' });
    const { page, errors } = await offlinePage(browser());
    await page.goto(`${s.url}/runs/${run.id}`);
    await page.getByTestId('delete-run').click();
    await page.getByRole('button', { name: 'Really delete?' }).click();
    await page.getByTestId('restore-run').waitFor();
    await page.locator('.page-head .badge', { hasText: 'deleted' }).waitFor();
    expect((await stored(run.id)).deletedAt).not.toBeNull();

    await page.goto(`${s.url}/projects/${project}/runs`);
    const names = () => page.locator('[data-testid=runs-row] .cell-name').allInnerTexts();
    await expect.poll(names).toEqual(['keeper']);
    await page.getByTestId('show-deleted').check();
    await expect.poll(names).toEqual(['mistake']);
    await page.locator(`[data-run-id="${run.id}"] input[type=checkbox]`).check();
    await page.getByTestId('restore-runs').click();
    await expect.poll(names).toEqual([]);
    expect((await stored(run.id)).deletedAt).toBeNull();
    await page.getByTestId('show-deleted').uncheck();
    await expect.poll(names).toEqual(['mistake', 'keeper']);

    // Deleting from the table asks once more, then the run leaves the active list.
    await page.locator(`[data-run-id="${keep.id}"] input[type=checkbox]`).check();
    await page.getByTestId('delete-runs').click();
    await page.getByTestId('delete-runs').click();
    await expect.poll(names).toEqual(['mistake']);
    expect((await stored(keep.id)).deletedAt).not.toBeNull();
    expect(errors).toEqual([]);
  });
});
