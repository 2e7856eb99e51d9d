// What the metricLogged subscribers of one replica share: each published message decoded once
// (with the batches built from it), and each run's series totals read once per short window.
import type { Database } from '../../db/database.js';
import type { LivePoint, MetricBatch } from './metric-stream.js';
import { type SeriesTotal, seriesTotals } from './store.js';
import { decodeValue, type WireMetricBatch } from './wire.js';

/** Reads of a run's series totals closer together than this share one query. */
const TOTALS_SHARE_MS = 250;

export function createSharedReads(db: Database) {
  // Per published message: its points decoded once for every local subscriber, and the
  // batches built from them (by resumeFromStep). Weak, so they go with the message.
  const decoded = new WeakMap<object, LivePoint[]>();
  const shared = new WeakMap<LivePoint[], Map<number, MetricBatch>>();
  function decode(msg: WireMetricBatch): LivePoint[] {
    let points = decoded.get(msg);
    if (!points) {
      points = msg.points.map((p) => ({ key: p.k, step: p.s, timestamp: new Date(p.t), value: decodeValue(p.v) }));
      decoded.set(msg, points);
      shared.set(points, new Map());
    }
    return points;
  }

  // Subscribers of one run on this replica share each read of its series' totals.
  const totalsReads = new Map<number, { at: number; read: Promise<SeriesTotal[]> }>();
  function totals(runId: number): Promise<SeriesTotal[]> {
    const recent = totalsReads.get(runId);
    if (recent && Date.now() - recent.at < TOTALS_SHARE_MS) return recent.read;
    const read = seriesTotals(db.sql, runId);
    totalsReads.set(runId, { at: Date.now(), read });
    read.finally(() => setTimeout(() => totalsReads.get(runId)?.read === read && totalsReads.delete(runId), TOTALS_SHARE_MS).unref()).catch(() => {});
    return read;
  }

  return { decode, shared: (points: LivePoint[]) => shared.get(points), totals };
}
