// Runs every example of README.md, clients/python/README.md and docs/*.md against a server started
// in this process on an in-memory PGlite, one fresh server per page, the
// page's blocks in document order: ```sh/```bash with bash (set -eo pipefail), ```python with
// the Python client's virtualenv, ```python mlflow with the pinned mlflow client's, ```graphql POSTed to /graphql, ```json event POSTed to
// /api/v1/lineage, ```http lines fetched. `localhost:4000` / `127.0.0.1:4000` in a block are
// rewritten to the started server. A page whose example stops working fails here.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postEvent } from '../support/openlineage.js';
import { startServer, type TestServer, testConfig } from '../support/server.js';
import { type Block, docFiles, noRunReason, ROOT, readBlocks } from './blocks.js';

const files = docFiles();
const blocks = files.flatMap(readBlocks);
const RUNS = new Set(['sh', 'python', 'python mlflow', 'graphql', 'json event', 'http']);

// The no-run blocks, listed once per run so their number stays visible.
const noRun = blocks.filter((b) => b.kind === 'no-run');
const EXPECTED_NO_RUN = 12;

let work = '';
let shimDir = '';
let python = '';
let mlflowPython = '';

/** A cached virtualenv of pinned requirements (scripts/pyenv), its python. */
function pyenv(name: string, requirements: string): string {
  const venv = execFileSync(path.join(ROOT, 'scripts/pyenv'), [name, requirements], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return path.join(venv.trim(), 'bin/python');
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'runledger-docs-'));
  shimDir = path.join(work, 'bin');
  execFileSync('mkdir', ['-p', shimDir]);
  // The client's virtualenv (pinned requirements, cached; built on first use). The client itself
  // comes from this checkout through PYTHONPATH, so a stale installed copy is never what runs.
  python = pyenv('pyclient', 'clients/python/tests/requirements.txt');
  // The MLflow client the Python suites test against (test/python/mlflow), for ```python mlflow.
  if (blocks.some((b) => b.kind === 'python mlflow')) mlflowPython = pyenv('mlflow3', 'test/python/mlflow/requirements-3.txt');
  // What `pip install ./clients/python` puts on PATH.
  writeFileSync(path.join(shimDir, 'runledger'), `#!/bin/sh\nexec "${python}" -m runledger "$@"\n`);
  chmodSync(path.join(shimDir, 'runledger'), 0o755);
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function rewrite(text: string, server: TestServer): string {
  const hostPort = new URL(server.url).host;
  return text.replace(/\b(localhost|127\.0\.0\.1):4000\b/g, hostPort);
}

function run(cmd: string, args: string[], env: Record<string, string>, cwd: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

async function execute(block: Block, server: TestServer, cwd: string): Promise<void> {
  const where = `${block.file}:${block.line}`;
  const env = {
    RUNLEDGER_URL: server.url,
    RUNLEDGER_SPOOL_DIR: path.join(cwd, '.spool'),
    RUNLEDGER_CONFIG: path.join(cwd, '.config.json'),
    PYTHONPATH: path.join(ROOT, 'clients/python'),
    PATH: `${shimDir}:${process.env.PATH}`,
  };
  if (block.kind === 'sh') {
    const r = await run('bash', ['-c', `set -eo pipefail\n${rewrite(block.text, server)}`], env, cwd);
    expect(r.code, `${where} exited ${r.code}\n${block.text}\nstdout: ${r.out}\nstderr: ${r.err}`).toBe(0);
    // GraphQL answers 200 with errors, MLflow's REST API names an error_code: neither is a success.
    expect(r.out, `${where} printed an error\n${block.text}`).not.toMatch(/"errors"\s*:|"error_code"\s*:/);
  } else if (block.kind === 'python' || block.kind === 'python mlflow') {
    const script = path.join(cwd, `example-${block.line}.py`);
    writeFileSync(script, rewrite(block.text, server));
    const mlflow = block.kind === 'python mlflow';
    const r = await run(mlflow ? mlflowPython : python, [script], mlflow ? { ...env, MLFLOW_TRACKING_URI: server.url } : env, cwd);
    expect(r.code, `${where} exited ${r.code}\n${block.text}\nstdout: ${r.out}\nstderr: ${r.err}`).toBe(0);
  } else if (block.kind === 'graphql') {
    const result = await server.client.request<unknown, Record<string, never>>(block.text);
    expect(result.errors, `${where}\n${block.text}`).toBeUndefined();
  } else if (block.kind === 'json event') {
    const res = await postEvent(server.url, JSON.parse(block.text));
    expect(res.status, `${where}: ${JSON.stringify(res.body)}`).toBe(201);
  } else if (block.kind === 'http') {
    for (const line of block.text.trim().split('\n')) {
      const [method, target] = line.split(' ');
      const res = await fetch(`${server.url}${target}`, { method });
      expect(res.status, `${where} ${line}: ${await res.clone().text()}`).toBe(200);
      await res.arrayBuffer();
    }
  }
}

describe('docs examples', () => {
  it('finds examples of every language in the docs', () => {
    const counts = Object.fromEntries([...RUNS, 'no-run', 'not-code'].map((k) => [k, blocks.filter((b) => b.kind === k).length]));
    console.log(`docs examples: ${JSON.stringify(counts)}`);
    expect(counts.sh).toBeGreaterThan(5);
    expect(counts.python).toBeGreaterThan(3);
    expect(counts.graphql).toBeGreaterThan(5);
  });

  it('marks no-run only blocks that cannot run in a test, and says how many', () => {
    console.log(`docs examples not run (${noRun.length}):\n${noRun.map((b) => `  ${b.file}:${b.line} (${noRunReason(b)})`).join('\n')}`);
    for (const block of noRun) expect(noRunReason(block), `${block.file}:${block.line} is marked no-run but runs nothing unrunnable`).not.toBeNull();
    expect(noRun.length).toBe(EXPECTED_NO_RUN);
  });

  it('links only to files that exist', () => {
    const broken = files.flatMap((file) => {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      return [...text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)]
        .map((m) => m[1]!)
        .filter((target) => !/^[a-z]+:/.test(target) && !existsSync(path.resolve(ROOT, path.dirname(file), target)))
        .map((target) => `${file}: ${target}`);
    });
    expect(broken).toEqual([]);
  });

  it('names only npm scripts that package.json defines', () => {
    const scripts = Object.keys(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts);
    const named = files.flatMap((file) => [...readFileSync(path.join(ROOT, file), 'utf8').matchAll(/npm run ([a-z][\w:-]*)/g)].map((m) => `${file}: ${m[1]}`));
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((n) => !scripts.includes(n.slice(n.lastIndexOf(' ') + 1)))).toEqual([]);
  });

  it('documents every variable the configuration reads', () => {
    const source = readFileSync(path.join(ROOT, 'src/config.ts'), 'utf8');
    const schema = source.slice(source.indexOf('const envSchema = z.object({'), source.indexOf('\n});', source.indexOf('const envSchema')));
    const names = [...schema.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(30);
    const page = readFileSync(path.join(ROOT, 'docs/configuration.md'), 'utf8');
    expect(names.filter((n) => !page.includes(`\`${n}\``))).toEqual([]);
  });
});

for (const file of files) {
  const own = blocks.filter((b) => b.file === file && RUNS.has(b.kind));
  if (own.length === 0) continue;
  describe(file, () => {
    let server: TestServer | undefined;
    let cwd = '';
    beforeAll(async () => {
      // Always a fresh in-memory PGlite, also when TEST_DATABASE_URL is set: the pages are written
      // for a new server, and fixed names (project churn, model recommender) must start empty.
      server = await startServer({ ...testConfig(), database: { kind: 'pglite', dataDir: null } });
      cwd = mkdtempSync(path.join(work, 'page-'));
    });
    afterAll(async () => {
      await server?.app.stop();
      const dir = server?.app.config.artifacts.dir;
      if (dir && path.basename(dir).startsWith('runledger-artifacts-')) rmSync(dir, { recursive: true, force: true });
    });

    it(`runs its ${own.length} examples in order`, async () => {
      for (const block of own) await execute(block, server!, cwd);
    }, 600_000);
  });
}
