// The real process: `npm start`'s entry point drains in-flight requests and live subscriptions on
// SIGTERM and exits 0.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { LogBatchDocument, MetricHistoryDocument, MetricLoggedDocument } from '../generated/graphql.js';
import { GraphQLClient } from '../support/client.js';
import { logPoints, newProject, newRun } from '../support/factories.js';
import { subscribeWs, wsClient } from '../support/live.js';
import { startProcess } from '../support/process.js';

describe('the server process', () => {
  it('finishes an in-flight batch and ends subscriptions on SIGTERM, exits 0, and the batch is there after a restart', { timeout: 240_000 }, async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'runledger-proc-'));
    const env = { RUNLEDGER_DATA_DIR: dataDir };
    try {
      const first = await startProcess(env);
      const client = new GraphQLClient(`${first.url}/graphql`);
      const run = await newRun(client, await newProject(client, 'sigterm'));
      // A dashboard following the run, live before the signal.
      await logPoints(client, run.id, [{ key: 'marker', value: 1, step: 0 }]);
      const watcher = wsClient(first.url);
      const live = subscribeWs(watcher, MetricLoggedDocument, { runId: run.id, sinceStep: 0 });
      await live.until((r) => r.some((x) => x.data?.metricLogged.points.length));
      const metrics = Array.from({ length: 10_000 }, (_, step) => ({ key: 'loss', value: step, step }));
      // The body goes out in two parts with SIGTERM between them, so the request is
      // certainly in flight (headers read, body pending) when the signal arrives.
      const body = new TextEncoder().encode(JSON.stringify({ query: print(LogBatchDocument), variables: { input: { runId: run.id, metrics } } }));
      let sendRest!: () => void;
      const restSent = new Promise<void>((resolve) => (sendRest = resolve));
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(body.subarray(0, 1000));
          await restSent;
          controller.enqueue(body.subarray(1000));
          controller.close();
        },
      });
      const inFlight = fetch(`${first.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      await new Promise((r) => setTimeout(r, 300));
      first.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      sendRest();
      const result = (await (await inFlight).json()) as { data: { logBatch: { pointsWritten: number } } };
      expect(result.data.logBatch.pointsWritten).toBe(10_000);
      // The subscription was completed by the server, not cut off, and its last batch says
      // where to resume (points committed during the drain did not reach it).
      await live.done;
      const last = live.results.at(-1)?.data?.metricLogged;
      expect(last).toMatchObject({ dropped: true, resumeFromStep: 0 });
      await watcher.dispose();
      expect(await first.exited).toBe(0);

      const second = await startProcess(env);
      try {
        const again = new GraphQLClient(`${second.url}/graphql`);
        const { run: read } = await again.data(MetricHistoryDocument, { id: run.id, key: 'loss', maxPoints: 10 });
        expect(read?.metricHistory.totalPoints).toBe(10_000);
        // Resuming on the new process from resumeFromStep gets everything the drain did not deliver.
        const resumedWatcher = wsClient(second.url);
        const resumed = subscribeWs(resumedWatcher, MetricLoggedDocument, { runId: run.id, sinceStep: 0 });
        await resumed.until((r) => r.flatMap((x) => x.data?.metricLogged.points ?? []).length === 10_001);
        resumed.stop();
        await resumedWatcher.dispose();
      } finally {
        second.child.kill('SIGTERM');
        expect(await second.exited).toBe(0);
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
