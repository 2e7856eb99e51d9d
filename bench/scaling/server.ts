// The server as its own process, started the way `npm start` and bench/peers/peers.py start it
// (tsx src/server.ts), so its memory is measured apart from the load generator. tsx runs the
// server in a child node process: the pid to watch is that child's, not the wrapper's.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function parentOf(pid: string): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
  } catch {
    return null; // ended between listing and reading
  }
}

/** The deepest process under `root` (itself included) whose command line runs src/server.ts. */
export function serverPid(root: number): number {
  const cmdline = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      return [];
    }
  };
  let current = root;
  for (;;) {
    const child = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p) && parentOf(p) === current)
      .map(Number)
      .find((pid) => cmdline(pid).some((a) => a.endsWith('src/server.ts')));
    if (child === undefined) return current;
    current = child;
  }
}

/** Resident memory of a process in MiB, from /proc (VmRSS, or VmHWM for the peak). */
export function memoryMiB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  if (!line) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(line.split(/\s+/)[1]) / 1024;
}

export interface ServerProcess {
  url: string;
  /** The node process running the server. */
  pid: number;
  log: string;
  stop(): Promise<void>;
}

export async function startServer(databaseUrl: string): Promise<ServerProcess> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runledger-scaling-'));
  const log = path.join(dir, 'server.log');
  const fd = openSync(log, 'w');
  const port = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATABASE_POOL_SIZE: '16',
    RUNLEDGER_ARTIFACT_DIR: path.join(dir, 'artifacts'),
  };
  // detached: a process group of its own, so stopping it reaches tsx's child too.
  const proc = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/server.ts'], { cwd: ROOT, env, stdio: ['ignore', fd, fd], detached: true });
  let exited: number | null = null;
  const done = new Promise<void>((resolve) => proc.on('exit', (code) => ((exited = code ?? -1), resolve())));
  const stop = async () => {
    if (exited !== null) return;
    process.kill(-proc.pid!, 'SIGTERM');
    const timer = setTimeout(() => process.kill(-proc.pid!, 'SIGKILL'), 30_000);
    await done;
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i += 1) {
    if (exited !== null) throw new Error(`the server exited (${exited}) before answering; see ${log}:\n${readFileSync(log, 'utf8').slice(-2000)}`);
    if (i > 600) {
      await stop();
      throw new Error(`the server did not answer ${url}/healthz within 120 s; see ${log}`);
    }
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, pid: serverPid(proc.pid!), log, stop };
}
