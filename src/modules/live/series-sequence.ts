// Whether a subscriber has accounted for every committed point of each series it follows. Each
// live message says, per series, how many points the series holds once that write committed and
// how many of them it carries; a count that jumps past what the subscriber has seen means a write
// committed whose message never arrived (its replica died between commit and publish, or the
// broker lost it). Messages may arrive out of order across replicas, so a hole counts only once
// it has stayed open for a while (the subscription decides how long).

export class SeriesSequence {
  /** Per series: every point up to this count is accounted for. */
  private readonly known = new Map<string, number>();
  /** Per series: counts seen beyond `known`, as [from, to] ranges waiting for what lies between. */
  private readonly ahead = new Map<string, [number, number][]>();

  /** Starts (or raises) a series at a count read from the database. */
  settle(key: string, count: number): void {
    this.known.set(key, Math.max(this.known.get(key) ?? 0, count));
    this.absorb(key);
  }

  /** A message carried `carried` points of `key` and left the series at `after` points. */
  observe(key: string, carried: number, after: number): void {
    const from = after - carried;
    if (from <= (this.known.get(key) ?? 0)) {
      this.known.set(key, Math.max(this.known.get(key) ?? 0, after));
      this.absorb(key);
      return;
    }
    const ranges = this.ahead.get(key) ?? [];
    ranges.push([from, after]);
    this.ahead.set(key, ranges);
  }

  /** Series with points committed that no message has brought (yet). */
  holes(): string[] {
    return [...this.ahead.keys()];
  }

  private absorb(key: string): void {
    const ranges = this.ahead.get(key);
    if (!ranges) return;
    ranges.sort((a, b) => a[0] - b[0]);
    let known = this.known.get(key) ?? 0;
    while (ranges.length && ranges[0]![0] <= known) known = Math.max(known, ranges.shift()![1]);
    this.known.set(key, known);
    if (ranges.length === 0) this.ahead.delete(key);
  }
}
