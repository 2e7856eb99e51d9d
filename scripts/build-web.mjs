// Builds the dashboard (web/) into web/dist with Vite. Runs from postinstall and before
// `npm start`; skips when web/dist is newer than every source, so a start costs nothing.
// `--force` always builds. Without Vite (npm ci --omit=dev) it says so and leaves the server
// to serve the API alone.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'web');
const dist = path.join(root, 'dist', 'index.html');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
}

const force = process.argv.includes('--force');
if (!force && existsSync(dist) && statSync(dist).mtimeMs >= newest(root)) process.exit(0);

let vite;
try {
  createRequire(import.meta.url).resolve('vite');
  vite = await import('vite');
} catch {
  console.warn('runledger: vite is not installed (dev dependencies omitted?); the dashboard is not built');
  process.exit(0);
}
await vite.build({ configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' });
console.log('runledger: dashboard built into web/dist');
