// What live updates look like on the pub/sub: compact JSON, NaN and ±Infinity as strings.

export interface WirePoint {
  k: string;
  s: number;
  t: number;
  v: number | string;
}

export interface WireMetricBatch {
  runId: number;
  committedAt: number;
  /** The points a committed write inserted; empty on a count-only message (see `counts`). */
  points: WirePoint[];
  /**
   * [key, points the series holds once this write committed], for every series the message
   * concerns: the per-series sequence a subscriber checks for batches it never received.
   */
  counts?: [string, number][];
}

export type RunChange = 'CREATED' | 'UPDATED' | 'FINISHED' | 'RESUMED' | 'TAGS_CHANGED' | 'DELETED' | 'RESTORED';

export interface WireRunChange {
  runId: number;
  change: RunChange;
}

export const encodeValue = (v: number): number | string => (Number.isFinite(v) ? v : String(v));
export const decodeValue = (v: number | string): number => (typeof v === 'number' ? v : Number(v));

export const metricsChannel = (runId: number) => `metrics:run:${runId}`;
export const runsChannel = (projectId: number) => `runs:project:${projectId}`;
