// Builds the dashboard (web/) into web/dist with Vite. Runs from postinstall and before
// `npm start`; skips when web/dist is newer than every source, so a start costs nothing.
// `--force` always builds. Without Vite (npm ci --omit=dev) it says so and leaves the server
// to serve the API alone. The dashboard's typed operations (web/src/generated, not committed)
// are generated first when missing or older than web/src/operations or the schema.
import { spawnSync } from 'node:child_process';
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

const repo = path.join(root, '..');
const generated = path.join(root, 'src', 'generated', 'graphql.ts');
const codegenBin = path.join(repo, 'node_modules', '.bin', 'graphql-codegen');
const operationsChanged = () =>
  Math.max(
    newest(path.join(root, 'src', 'operations')),
    statSync(path.join(repo, 'schema', 'schema.graphql')).mtimeMs,
    statSync(path.join(repo, 'codegen.ts')).mtimeMs,
  );
if (existsSync(codegenBin) && (!existsSync(generated) || statSync(generated).mtimeMs < operationsChanged())) {
  // An operation that does not match the schema stops here, naming it.
  const result = spawnSync(codegenBin, ['--config', 'codegen.ts'], { cwd: repo, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
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
