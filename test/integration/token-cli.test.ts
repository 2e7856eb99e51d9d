// `npm run token:create -- --admin` bootstraps a fresh deployment: it prints a token that a
// server with authentication on accepts as a global admin.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startServer, testConfig, uniqueName } from '../support/server.js';

const run = promisify(execFile);

describe('token:create', () => {
  it('prints an admin token that the server accepts, offline against the configured database', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'runledger-cli-'));
    const user = uniqueName('root');
    const env: Record<string, string> = { ...(process.env as Record<string, string>), RUNLEDGER_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    if (process.env.TEST_DATABASE_URL) env.DATABASE_URL = process.env.TEST_DATABASE_URL;
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        ['--import', 'tsx', 'src/modules/auth/token-cli.ts', '--admin', '--user', user, '--expires', '30d'],
        { env },
      );
      const secret = stdout.trim();
      expect(secret).toMatch(/^rl_[A-Za-z0-9_-]{43}$/);
      expect(stderr).toMatch(/shown only once/);

      const config = testConfig({ RUNLEDGER_AUTH: 'on' });
      const server = await startServer(config.database.kind === 'pglite' ? { ...config, database: { kind: 'pglite', dataDir } } : config);
      try {
        const { viewer } = await server.withToken(secret).data<{ viewer: { name: string; isAdmin: boolean } }, object>('{ viewer { name isAdmin } }', {});
        expect(viewer).toEqual({ name: user, isAdmin: true });
        expect((await server.client.request('{ viewer { name } }')).status).toBe(401);
      } finally {
        await server.app.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
