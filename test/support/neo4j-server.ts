// A Neo4j of the test's own (tools/neo4j/start), on a free port with its own data directory,
// so a test can kill -9 it without touching the shared one `scripts/services up` started.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { deadPort } from './tcp-proxy.js';

const run = promisify(execFile);
const launcher = path.resolve(import.meta.dirname, '../../tools/neo4j/start');

export interface OwnNeo4j {
  readonly uri: string;
  readonly password: string;
  pid: number;
  /** Starts it (again, on the same port and data): resolves once it answers. */
  start(): Promise<void>;
  /** SIGKILL: no shutdown, no flush, as when the machine or the JVM dies. */
  kill9(): void;
  /** SIGTERM and the data directory removed. */
  dispose(): Promise<void>;
}

export async function ownNeo4j(password = 'own-neo4j-pass'): Promise<OwnNeo4j> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'runledger-neo4j-'));
  const port = await deadPort();
  const env = { ...process.env, NEO4J_PASSWORD: password, NEO4J_HEAP: '512m', NEO4J_PAGECACHE: '64m', NEO4J_TX_MEMORY: '128m' };
  const self: OwnNeo4j = {
    uri: `bolt://127.0.0.1:${port}`,
    password,
    pid: 0,
    async start() {
      const { stdout } = await run(launcher, [home, `127.0.0.1:${port}`], { env, timeout: 600_000 });
      self.pid = Number(stdout.trim().split('\n').at(-1));
    },
    kill9() {
      process.kill(self.pid, 'SIGKILL');
    },
    async dispose() {
      try {
        process.kill(self.pid, 'SIGTERM');
        for (let i = 0; i < 120; i += 1) {
          process.kill(self.pid, 0);
          await new Promise((r) => setTimeout(r, 500));
        }
      } catch {
        // gone
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
  return self;
}
