// The pages this server serves keep working under their content security policies, in real
// Chromium and offline: the dashboard (its own files only) and GraphiQL (its inlined scripts,
// allowed by hash) load and run a query, with no policy violation; neither can be framed.
import { describe, expect, it } from 'vitest';
import { newProject } from '../support/factories.js';
import { useServer } from '../support/server.js';
import { offlinePage, screenshot, useBrowser } from './browser.js';

const server = useServer();
const browser = useBrowser();

/** Collects every CSP violation a page reports. */
async function watchViolations(page: import('playwright-core').Page) {
  await page.addInitScript(() => {
    (window as unknown as { violations: string[] }).violations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { violations: string[] }).violations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  return () => page.evaluate(() => (window as unknown as { violations: string[] }).violations);
}

describe('content security policies in Chromium', () => {
  it('let the dashboard run with no violation', async () => {
    const project = await newProject(server().client, 'csp');
    const { page, errors, blocked, context } = await offlinePage(browser());
    const violations = await watchViolations(page);
    const response = await page.goto(`${server().url}/`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByRole('link', { name: project }).click();
    await page.waitForURL(`**/projects/${project}/runs`);
    expect(await violations()).toEqual([]);
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    await context.close();
  });

  it('let GraphiQL load offline and run a query, with its inline scripts allowed by hash', async () => {
    const { page, errors, blocked, context } = await offlinePage(browser());
    const violations = await watchViolations(page);
    const response = await page.goto(`${server().url}/graphql`);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'sha256-[^']+'/);
    // The query editor (Monaco): click its text, select everything, type over it.
    const editor = page.locator('.graphiql-query-editor .view-lines').first();
    await editor.waitFor();
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText('{ __typename }');
    // Whatever the editor closed by itself sits after the cursor: drop it.
    await page.keyboard.press('Shift+ControlOrMeta+End');
    await page.keyboard.press('Delete');
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(() => page.locator('.graphiql-response').innerText(), { timeout: 20_000 }).toMatch(/"__typename":\s*"Query"/);
    await screenshot(page, 'graphiql-csp');
    expect(await violations()).toEqual([]);
    expect(errors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
    expect(blocked).toEqual([]);
    await context.close();
  });

  it('refuse to be framed, even by a page of their own origin', async () => {
    const { page, context } = await offlinePage(browser());
    // The dashboard's own policy allows same-origin frames: only the framed page can refuse.
    await page.goto(`${server().url}/`);
    for (const path of ['/', '/graphql']) {
      const framed = await page.evaluate(async (src) => {
        const frame = document.createElement('iframe');
        frame.src = src;
        document.body.append(frame);
        await new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
        try {
          return frame.contentDocument?.body?.innerHTML.length ?? 'inaccessible';
        } catch {
          return 'inaccessible';
        }
      }, `${server().url}${path}`);
      // A refused frame shows Chromium's error page (another origin), never the app.
      expect(framed, path).toBe('inaccessible');
    }
    await context.close();
  });
});
