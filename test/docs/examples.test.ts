// Runs every example of README.md, clients/python/README.md and docs/*.md against a server started
// in this process on an in-memory PGlite, one fresh server per page, the
// page's blocks in document order: ```sh/```bash with bash (set -eo pipefail), ```python (and
// ```python media) in one Python process per page with the client's virtualenv, so a block
// sees the names earlier blocks defined, as in a notebook, ```python mlflow with the pinned mlflow client's, ```graphql POSTed to /graphql, ```json event POSTed to
// /api/v1/lineage, ```http lines fetched. `localhost:4000` / `127.0.0.1:4000` in a block are
// rewritten to the started server. A page whose example stops working fails here. Pages that a
// suite of their own runs whole (RUN_ELSEWHERE) and the integrations and PyTorch blocks are checked to be
// read by that suite instead.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postEvent } from '../support/openlineage.js';
import { startServer, type TestServer, testConfig } from '../support/server.js';
import { type Block, docFiles, noRunReason, ROOT, RUN_BY_SUITE, RUN_ELSEWHERE, readBlocks } from './blocks.js';

const files = docFiles();
const blocks = files.flatMap(readBlocks);
const RUNS = new Set(['sh', 'python', 'python mlflow', 'graphql', 'json event', 'http']);

// The no-run blocks, listed once per run so their number stays visible.
const noRun = blocks.filter((b) => b.kind === 'no-run');
const EXPECTED_NO_RUN = 13;

// Runs the Python blocks of one page in one interpreter: each block's path arrives on stdin, is
// executed in the same namespace, and "ok" or the traceback (as JSON) goes back on fd 3.
const DRIVER = `import json, os, sys, traceback
ns = {"__name__": "__main__"}
done = os.fdopen(3, "w")
for line in sys.stdin:
    path = line.strip()
    try:
        exec(compile(open(path).read(), path, "exec"), ns)
        result = "ok"
    except BaseException:
        result = json.dumps(traceback.format_exc())
    sys.stdout.flush()
    sys.stderr.flush()
    done.write(result + "\\n")
    done.flush()
`;

/** One page's Python interpreter, fed blocks one at a time. */
class PythonSession {
  private child: ChildProcess;
  private results: AsyncIterator<string>;
  private out = '';
  private err = '';
  constructor(python: string, env: Record<string, string>, cwd: string, driver: string) {
    this.child = spawn(python, [driver], { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => (this.out += d));
    this.child.stderr!.on('data', (d) => (this.err += d));
    this.results = createInterface({ input: this.child.stdio[3] as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  }
  /** Runs one block; what it printed, and null or the traceback. */
  async run(script: string): Promise<{ failure: string | null; out: string; err: string }> {
    this.out = '';
    this.err = '';
    this.child.stdin!.write(`${script}\n`);
    const next = await this.results.next();
    const failure = next.done ? `the interpreter exited (${this.child.exitCode})` : next.value === 'ok' ? null : (JSON.parse(next.value) as string);
    return { failure, out: this.out, err: this.err };
  }
  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin!.end();
    await exited;
  }
}

let work = '';
let shimDir = '';
let python = '';
let mlflowPython = '';
let driver = '';

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
  driver = path.join(work, 'python-session.py');
  writeFileSync(driver, DRIVER);
}, 600_000);

/** The files the examples name as the user's own (data, weights, a model folder). */
function userFiles(cwd: string): void {
  mkdirSync(path.join(cwd, 'data'));
  writeFileSync(path.join(cwd, 'data/clicks.parquet'), 'PAR1 clicks PAR1');
  writeFileSync(path.join(cwd, 'model.pt'), Buffer.from([0, 1, 2, 3]));
  mkdirSync(path.join(cwd, 'hf-model'));
  writeFileSync(path.join(cwd, 'hf-model/config.json'), '{"hidden": 8}');
  writeFileSync(path.join(cwd, 'hf-model/model.safetensors'), Buffer.alloc(4096, 1));
}

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

function pageEnv(server: TestServer, cwd: string): Record<string, string> {
  return {
    RUNLEDGER_URL: server.url,
    RUNLEDGER_SPOOL_DIR: path.join(cwd, '.spool'),
    RUNLEDGER_CONFIG: path.join(cwd, '.config.json'),
    // finish() sends everything before returning, so a shell block right after reads it all.
    RUNLEDGER_FINISH_WAIT: 'all',
    PYTHONPATH: path.join(ROOT, 'clients/python'),
    PATH: `${shimDir}:${process.env.PATH}`,
  };
}

async function execute(block: Block, server: TestServer, cwd: string, session: () => PythonSession): Promise<void> {
  const where = `${block.file}:${block.line}`;
  const env = pageEnv(server, cwd);
  if (block.kind === 'sh') {
    const r = await run('bash', ['-c', `set -eo pipefail\n${rewrite(block.text, server)}`], env, cwd);
    expect(r.code, `${where} exited ${r.code}\n${block.text}\nstdout: ${r.out}\nstderr: ${r.err}`).toBe(0);
    // GraphQL answers 200 with errors, MLflow's REST API names an error_code: neither is a success.
    expect(r.out, `${where} printed an error\n${block.text}`).not.toMatch(/"errors"\s*:|"error_code"\s*:/);
  } else if (block.kind === 'python') {
    const script = path.join(cwd, `example-${block.line}.py`);
    writeFileSync(script, rewrite(block.text, server));
    const r = await session().run(script);
    expect(r.failure, `${where} failed\n${block.text}\nstdout: ${r.out}\nstderr: ${r.err}`).toBeNull();
  } else if (block.kind === 'python mlflow') {
    const script = path.join(cwd, `example-${block.line}.py`);
    writeFileSync(script, rewrite(block.text, server));
    const r = await run(mlflowPython, [script], { ...env, MLFLOW_TRACKING_URI: server.url }, cwd);
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
    const counts = Object.fromEntries([...RUNS, 'no-run', 'not-code', 'integrations', 'torch'].map((k) => [k, blocks.filter((b) => b.kind === k).length]));
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

  it('leaves to another suite only pages and blocks that suite reads', () => {
    for (const [page, suite] of Object.entries(RUN_ELSEWHERE)) {
      expect(readFileSync(path.join(ROOT, suite), 'utf8'), `${suite} runs ${page}`).toContain(page.replace('docs/', ''));
    }
    for (const [kind, { info, suite }] of Object.entries(RUN_BY_SUITE)) {
      const text = readFileSync(path.join(ROOT, suite), 'utf8');
      for (const block of blocks.filter((b) => b.kind === kind)) {
        expect(text, `${block.file}:${block.line} is run by ${suite}`).toContain(path.basename(block.file));
        expect(text).toContain(`\`\`\`${info}`);
      }
    }
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
    let pythonSession: PythonSession | undefined;
    beforeAll(async () => {
      // Always a fresh in-memory PGlite, also when TEST_DATABASE_URL is set: the pages are written
      // for a new server, and fixed names (project churn, model recommender) must start empty.
      server = await startServer({ ...testConfig(), database: { kind: 'pglite', dataDir: null } });
      cwd = mkdtempSync(path.join(work, 'page-'));
      userFiles(cwd);
    });
    afterAll(async () => {
      await pythonSession?.close();
      await server?.app.stop();
      const dir = server?.app.config.artifacts.dir;
      if (dir && path.basename(dir).startsWith('runledger-artifacts-')) rmSync(dir, { recursive: true, force: true });
    });

    it(`runs its ${own.length} examples in order`, async () => {
      const session = () => {
        pythonSession ??= new PythonSession(python, pageEnv(server!, cwd), cwd, driver);
        return pythonSession;
      };
      for (const block of own) await execute(block, server!, cwd, session);
    }, 600_000);
  });
}
