// Reads facts the service aggregates on out of a run's free-form environment JSON.

/**
 * The GPU count of a run, from the first of: `hardware.gpu_count`, `hardware.gpus` (a count or
 * a list of devices), `gpu_count`, `gpus`. Anything else counts as no GPU.
 */
export function gpuCountOf(environment: unknown): number {
  if (!environment || typeof environment !== 'object') return 0;
  const env = environment as Record<string, unknown>;
  const hardware = env.hardware && typeof env.hardware === 'object' ? (env.hardware as Record<string, unknown>) : {};
  for (const candidate of [hardware.gpu_count, hardware.gpus, env.gpu_count, env.gpus]) {
    if (Array.isArray(candidate)) return candidate.length;
    if (typeof candidate === 'number' && Number.isInteger(candidate) && candidate >= 0 && candidate < 100_000) return candidate;
  }
  return 0;
}
