// Runs the browser tests (test/browser) in Debian's Chromium. Installs it with apt when it
// is missing and we are root (as in CI); otherwise skips, saying why.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';
const run = (cmd, args, env = process.env) => spawnSync(cmd, args, { stdio: 'inherit', env }).status ?? 1;

if (!existsSync(CHROMIUM)) {
  if (process.getuid?.() === 0) {
    console.log('test:browser: installing chromium from Debian (apt-get install -y chromium)');
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', 'chromium'], { ...process.env, DEBIAN_FRONTEND: 'noninteractive' });
  }
  if (!existsSync(CHROMIUM)) {
    console.log(`test:browser: SKIPPED: ${CHROMIUM} is missing and cannot be installed here (not root); run apt-get install chromium`);
    process.exit(0);
  }
}
if (run('node', ['scripts/build-web.mjs']) !== 0) process.exit(1);
// Each server of these tests starts on an empty embedded database: pages list what exists
// (every project, every run), so what other suites left in a shared PostgreSQL would decide
// what is on screen. The vitest suite is what covers PostgreSQL.
const { TEST_DATABASE_URL: _db, DATABASE_URL: _url, ...env } = process.env;
process.exit(run('npx', ['vitest', 'run', '--config', 'test/browser/vitest.config.ts', ...process.argv.slice(2)], env));
