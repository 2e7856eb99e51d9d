// Starts `npm start`'s entry point (src/server.ts) as a child process, for tests about the
// process itself: signals, exit codes, and requests that must not kill it.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The test's environment, pointed at the test database (or none: the embedded one) unless `extra` names one. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!extra.DATABASE_URL) {
    delete env.DATABASE_URL;
    if (process.env.TEST_DATABASE_URL) env.DATABASE_URL = process.env.TEST_DATABASE_URL;
  }
  return env;
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  port: number;
  exited: Promise<number | null>;
  /** Everything the process wrote to stdout (its JSON log lines). */
  output: () => string;
}

export async function startProcess(env: Record<string, string>, options: { logLevel?: string } = {}): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: childEnv({ ...env, PORT: String(port), LOG_LEVEL: options.logLevel ?? 'warn' }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 900; i += 1) {
    if (
      await fetch(`${url}/healthz`)
        .then((r) => r.ok)
        .catch(() => false)
    )
      return { child, url, port, exited, output: () => output };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`server process did not become healthy; it wrote: ${output.slice(-2000)}`);
}
