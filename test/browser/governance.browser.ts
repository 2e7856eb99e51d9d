// Promotion requests in the dashboard, with authentication on: a move of a protected alias from
// the model page files a request and says where it waits; the approver finds it under
// Promotions, sees the rule, its progress and the promotion rule results, and approves with a
// comment (the alias moves) or rejects; the requester can only withdraw their own.
import { describe, expect, it } from 'vitest';
import { ProtectAliasDocument, RequestPromotionDocument, SetApproverGroupDocument } from '../generated/graphql.js';
import { governedProject, versionFrom } from '../support/governance.js';
import { testConfig, useServer } from '../support/server.js';
import { offlinePage, screenshot, useBrowser } from './browser.js';

const server = useServer(() => testConfig({ RUNLEDGER_AUTH: 'on' }));
const browser = useBrowser();

describe('promotion requests in the dashboard', () => {
  it('are filed from the model page, listed for their approver, and approved or rejected with a comment', async () => {
    const s = server();
    const g = await governedProject(s);
    const v1 = await versionFrom(s, g.requester, g.project, g.model, { metrics: { val_auc: 0.84 } });
    const v2 = await versionFrom(s, g.requester, g.project, g.model, { metrics: { val_auc: 0.86 } });
    await g.owner.client.data(SetApproverGroupDocument, { input: { project: g.project, name: 'ml-lead', members: [g.leads[0].name] } });
    await g.owner.client.data(ProtectAliasDocument, { input: { project: g.project, alias: 'production', requirements: [{ count: 1, groups: ['ml-lead'] }] } });

    // The requester moves production from the model page: refused, naming the request.
    const asker = await offlinePage(browser(), { token: g.requester.secret });
    await asker.page.goto(`${s.url}/models/${g.model}`);
    await asker.page.locator('select[name=version]').selectOption(String(v1));
    const aliasInput = asker.page.locator('input[name=alias]');
    if (await aliasInput.count()) await aliasInput.fill('production');
    await asker.page.getByRole('button', { name: /Move .* to v/ }).click();
    const refusal = asker.page.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.innerText()).toMatch(/is protected: moving it needs approval from 1 of group ml-lead\. Promotion request \d+ was filed/);
    const number = Number(/Promotion request (\d+)/.exec(await refusal.innerText())![1]);

    // Their own request: they may only withdraw it.
    await asker.page.goto(`${s.url}/promotions/${number}`);
    await asker.page.getByRole('button', { name: 'Cancel request' }).waitFor();
    expect(await asker.page.getByRole('button', { name: 'Approve' }).count()).toBe(0);

    // The approver finds it waiting, opens it, and approves with a comment.
    const lead = await offlinePage(browser(), { token: g.leads[0].secret });
    await lead.page.goto(`${s.url}/`);
    await lead.page.getByRole('link', { name: 'Promotions' }).click();
    const waiting = lead.page.getByTestId('waiting').locator(`tr[data-request="${number}"]`);
    await waiting.waitFor();
    expect(await waiting.innerText()).toContain(g.requester.name);
    await screenshot(lead.page, 'promotions');
    await waiting.getByRole('link', { name: `#${number}` }).click();
    await lead.page.waitForURL(`**/promotions/${number}`);
    expect(await lead.page.getByTestId('progress').innerText()).toContain('1 of group ml-lead: nobody yet');
    expect(await lead.page.getByTestId('gate-results').innerText()).toContain('no quarantined data upstream');
    await lead.page.locator('textarea[name=comment]').fill('offline AUC holds on the holdout');
    await screenshot(lead.page, 'promotion-request');
    await lead.page.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => lead.page.locator('[data-status]').first().getAttribute('data-status')).toBe('APPROVED');
    expect(await lead.page.getByTestId('decisions').innerText()).toContain('offline AUC holds on the holdout');
    const { registeredModel } = await g.viewer.client.data<{ registeredModel: { alias: { version: number } } }, object>(
      'query($m: String!) { registeredModel(name: $m) { alias(name: "production") { version } } }',
      { m: g.model },
    );
    expect(registeredModel.alias.version).toBe(v1);

    // A second request is rejected: the comment is required first.
    const { requestPromotion } = await g.requester.client.data(RequestPromotionDocument, {
      input: { model: g.model, version: v2, alias: 'production', reason: 'v2 is newer' },
    });
    await lead.page.goto(`${s.url}/promotions/${requestPromotion.request!.number}`);
    const reject = lead.page.getByRole('button', { name: 'Reject' });
    await reject.waitFor();
    expect(await reject.isDisabled()).toBe(true);
    await lead.page.locator('textarea[name=comment]').fill('no bias report for v2');
    await reject.click();
    await expect.poll(() => lead.page.locator('[data-status]').first().getAttribute('data-status')).toBe('REJECTED');
    expect(lead.errors.filter((e) => !/40[134]/.test(e))).toEqual([]);
    expect(asker.blocked).toEqual([]);
  });
});
