import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 has CommonJS and ESM builds; Node loads the CommonJS one for Pothos and yoga,
    // so tests must too, or schema objects come from "another module or realm".
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    // Tests that start processes or drive thousands of requests take 20-30 s at load 15-20 on
    // these shared 2-core machines; a timeout at twice that failed CI runs on load alone.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
