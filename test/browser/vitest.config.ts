// The browser tests: real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) against started servers. Outside vitest's default include, so `npm test`
// runs on machines without Chromium; `npm run test:browser` runs these.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  resolve: { alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }] },
  test: {
    include: ['test/browser/**/*.browser.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // Pages wait on servers and a browser sharing a busy machine: a condition may take seconds
    // to hold (the default of expect.poll is 1 s). Waiting longer makes no failing check pass.
    expect: { poll: { timeout: 10_000 } },
  },
});
