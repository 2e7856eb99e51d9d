// MLflow's experiments/search with a LIKE built to make a backtracking RegExp try every
// placement (`%c%c%c%c%c%c%c%c%d` over a 250-character name): it answers, and the server keeps
// serving /healthz meanwhile. The server runs in its own process, so a blocked event loop there
// cannot stall this test's clock; the generous timeouts only turn a hang into a failure (the
// cost itself is measured in comparisons, in test/unit/like.test.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startProcess } from '../support/process.js';

let dataDir: string;
let proc: ServerProcess;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'runledger-redos-'));
  proc = await startProcess({ RUNLEDGER_DATA_DIR: dataDir });
}, 120_000);
afterAll(async () => {
  proc?.child.kill('SIGTERM');
  // A server stuck in a RegExp cannot stop gracefully.
  const killer = setTimeout(() => proc?.child.kill('SIGKILL'), 10_000);
  await proc?.exited;
  clearTimeout(killer);
  await rm(dataDir, { recursive: true, force: true });
});

const HANG = 20_000;

async function search(filter: string) {
  const res = await fetch(`${proc.url}/api/2.0/mlflow/experiments/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ filter, max_results: 10 }),
    signal: AbortSignal.timeout(HANG),
  });
  return { status: res.status, body: (await res.json()) as { experiments?: { name: string }[]; message?: string } };
}

describe('LIKE in experiments/search', () => {
  it('matches a hostile pattern over long names without blocking the server', { timeout: 60_000 }, async () => {
    const prefix = `c${Date.now().toString(36)}`;
    for (const name of [prefix.padEnd(250, 'c'), `${prefix.padEnd(249, 'c')}d`]) {
      const res = await fetch(`${proc.url}/api/2.0/mlflow/experiments/create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      expect(res.status).toBe(200);
    }
    const [health, { status, body }] = await Promise.all([
      fetch(`${proc.url}/healthz`, { signal: AbortSignal.timeout(HANG) }),
      search(`name LIKE '${prefix}%c%c%c%c%c%c%c%c%d'`),
    ]);
    expect(health.status).toBe(200);
    expect(status).toBe(200);
    expect(body.experiments?.map((e) => e.name)).toEqual([`${prefix.padEnd(249, 'c')}d`]);
    // ILIKE and `_` too; and a pattern ending in a backslash is refused, naming the filter (the
    // MLflow grammar reads \' as an escaped quote, so the string is unterminated).
    expect((await search(`name ILIKE '${prefix.toUpperCase()}%C_D'`)).body.experiments).toHaveLength(1);
    expect(await search(`name LIKE '${prefix}\\'`)).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/^filter: .*(lone backslash|unterminated string)/) },
    });
  });
});
