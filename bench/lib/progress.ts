// A one-line progress bar on stderr, no dependency.
export function progressBar(label: string, total: number) {
  const started = performance.now();
  let last = 0;
  return {
    update(done: number, extra = '') {
      const now = performance.now();
      if (now - last < 200 && done < total) return;
      last = now;
      const ratio = total ? Math.min(1, done / total) : 1;
      const filled = Math.round(ratio * 30);
      const elapsed = (now - started) / 1000;
      const eta = ratio > 0 ? elapsed / ratio - elapsed : 0;
      process.stderr.write(
        `\r${label} [${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${done}/${total} ${extra} ETA ${eta.toFixed(0)}s   `,
      );
      if (done >= total) process.stderr.write('\n');
    },
  };
}

/** A small deterministic PRNG (mulberry32): the same seed gives the same data on every machine. */
export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
