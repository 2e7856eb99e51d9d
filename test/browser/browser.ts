// Chromium for the browser tests, with every request that leaves the machine refused, so a
// page that needs a CDN fails here the way it would offline.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
export const OUTPUT = fileURLToPath(new URL('./output', import.meta.url));
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Offline {
  page: Page;
  context: BrowserContext;
  /** URLs the page tried to fetch from anywhere but this machine. */
  blocked: string[];
  /** Uncaught errors and console errors of the page. */
  errors: string[];
}

/** Launches Chromium once for the calling test file, with `extraArgs` (e.g. --host-resolver-rules). */
export function useBrowser(extraArgs: readonly string[] = []): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, ...extraArgs], headless: true });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('browser not started');
    return browser;
  };
}

export async function offlinePage(browser: Browser, options: { token?: string } = {}): Promise<Offline> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, deviceScaleFactor: 1, timezoneId: 'UTC', locale: 'en-GB' });
  if (options.token) {
    await context.addInitScript((token) => localStorage.setItem('runledger.token', token), options.token);
  }
  const blocked: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const { hostname, protocol } = new URL(route.request().url());
    if (protocol === 'data:' || protocol === 'blob:' || hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]') return route.continue();
    blocked.push(route.request().url());
    return route.abort('internetdisconnected');
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    // A refused request (401 before signing in) is an expected console error, not a bug.
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text());
  });
  return { page, context, blocked, errors };
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(OUTPUT, { recursive: true });
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`) });
}
