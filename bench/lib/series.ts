// Points grouped per key as columns: the shape of LogBatchInput.series.
export function asSeries(points: readonly { key: string; value: number; step: number }[]) {
  const byKey = new Map<string, { key: string; steps: number[]; values: number[] }>();
  for (const p of points) {
    let s = byKey.get(p.key);
    if (!s) byKey.set(p.key, (s = { key: p.key, steps: [], values: [] }));
    s.steps.push(p.step);
    s.values.push(p.value);
  }
  return [...byKey.values()];
}
