// Load generation helpers shared by the benchmarks.
import { percentile } from './progress.js';

export async function postJson<T>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const json = (await res.json()) as { data?: T; errors?: unknown };
  if (json.errors) throw new Error(JSON.stringify(json.errors).slice(0, 500));
  return (json.data ?? json) as T;
}

export interface LatencyStats {
  n: number;
  p50: number;
  p95: number;
  p99: number;
}

/** Runs `fn` `n` times one after another and reports latency percentiles in ms. */
export async function timeSequential(n: number, fn: (i: number) => Promise<unknown>, warmup = Math.min(10, n)): Promise<LatencyStats> {
  for (let i = 0; i < warmup; i += 1) await fn(i);
  const times: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { n, p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99) };
}

/** Keeps `concurrency` calls in flight for `seconds`; returns completed calls per second. */
export async function throughput(concurrency: number, seconds: number, fn: () => Promise<unknown>): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await fn();
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}
