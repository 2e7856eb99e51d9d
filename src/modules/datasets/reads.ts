// Which dataset version a read stands for, whatever order the events about it arrived in.
// A pipeline run or training run that reads a dataset names a version, or none ("the version
// current when I read it"). Each read is kept (dataset_reads); its INPUT_TO edge is derived from
// the reads and the versions known, and derived again for every read a new version could
// change. So a consumer whose events arrive before its producer's COMPLETE is re-linked to the
// producer's version when that arrives, and replaying the events in any order ends the same.
import type { SqlQueryable } from '../../db/sql.js';
import type { EdgeRecorder, EdgeRetractor } from '../lineage/store.js';
import { UNVERSIONED } from '../pipelines/rules.js';
import { lineageDigest } from './digest.js';
import * as store from './reads-store.js';
import type { DatasetKey, Reader, ReadInput, ReadRow } from './reads-store.js';

export type { DatasetKey, Reader, ReadInput };

const REASON = 'the read was derived again: the version it stands for changed as events arrived';

export interface VersionRecorded {
  datasetId: number;
  label: string;
  /** When the version is now dated. */
  createdAt: Date;
  /** When it was dated before this write; null when it is new. */
  previousCreatedAt: Date | null;
}

export function createDatasetReads(deps: { recordEdges: EdgeRecorder; retractEdges: EdgeRetractor }) {
  const { recordEdges, retractEdges } = deps;

  /** The versions a reader's reads of one dataset stand for, each with the earliest read time. */
  async function desiredLinks(tx: SqlQueryable, reader: Reader, reads: readonly ReadRow[], dataset: store.DatasetRow, key: DatasetKey) {
    const wanted = new Map<number, { at: Date; role: string }>();
    const readable = reads.filter((r) => r.actorUserId === null);
    for (const r of reads.filter((r) => r.actorUserId !== null)) {
      if (await store.userMaySee(tx, r.actorUserId!, dataset.projectId)) readable.push(r);
    }
    const named = readable.filter((r) => r.version !== '');
    if (named.length) {
      // A named version wins over "whatever was current": the reader said which one it read.
      // One not recorded yet waits for it (readersToRecheck finds this read when it appears).
      const found = new Map((await store.versionsByLabels(tx, dataset.id, [...new Set(named.map((r) => r.version))])).map((v) => [v.version, v.id]));
      for (const r of named) {
        const id = found.get(r.version);
        if (id !== undefined) keepEarliest(wanted, id, r);
      }
      return wanted;
    }
    const current = readable.filter((r) => r.version === '');
    if (current.length === 0) return wanted;
    const first = current.reduce((a, b) => (b.readAt < a.readAt ? b : a));
    const version = await store.versionAt(tx, dataset.id, first.readAt);
    // Before any version is known, a pipeline run that may write the dataset reads its
    // placeholder, so the read is a node of the graph until the producing run shows up.
    const id =
      version?.id ??
      (reader.type === 'PipelineRun' && current.some((r) => r.mayWrite)
        ? await store.ensurePlaceholder(tx, dataset.id, lineageDigest(key.namespace, key.name, UNVERSIONED), first.readAt)
        : null);
    if (id !== null) keepEarliest(wanted, id, first);
    return wanted;
  }

  /** Makes the reader's INPUT_TO edges from this dataset's versions what its reads stand for now. */
  async function derive(tx: SqlQueryable, reader: Reader, key: DatasetKey, now: Date): Promise<void> {
    const dataset = await store.datasetByKey(tx, key);
    if (!dataset) return;
    const reads = await store.readsOf(tx, reader, key);
    const wanted = await desiredLinks(tx, reader, reads, dataset, key);
    const links = await store.linksOf(tx, reader, dataset.id);
    const logged =
      reader.type === 'Run'
        ? await store.loggedInputs(
            tx,
            reader.id,
            links.map((l) => l.versionId),
          )
        : new Set<number>();
    const stale = links.filter((l) => !wanted.has(l.versionId) && !logged.has(l.versionId));
    await retractEdges(
      tx,
      stale.map((l) => l.edgeId),
      REASON,
      now,
    );
    for (const [versionId, { at, role }] of wanted) {
      await recordEdges(tx, [{ from: { type: 'DatasetVersion', id: versionId }, to: reader, kind: 'INPUT_TO', role: role || null }], at);
    }
    await store.dropLonePlaceholders(
      tx,
      stale.map((l) => l.versionId),
    );
  }

  return {
    /** Locks the datasets an operation reads or versions, for the rest of its transaction (call first). */
    lock: (tx: SqlQueryable, keys: readonly DatasetKey[]) => store.lockKeys(tx, keys),

    /** Keeps a read and derives the reader's edge from that dataset. */
    async record(tx: SqlQueryable, read: ReadInput, now: Date): Promise<void> {
      await store.upsertRead(tx, read, now);
      await derive(tx, read.reader, read, now);
    },

    /**
     * A version of the dataset was recorded, or dated earlier: derives again the reads it can
     * change (those at no named version from its date up to the next version's, and those
     * naming it).
     */
    async versionRecorded(tx: SqlQueryable, key: DatasetKey, change: VersionRecorded, now: Date): Promise<void> {
      if (change.label === UNVERSIONED) return;
      if (change.previousCreatedAt && change.previousCreatedAt.getTime() === change.createdAt.getTime()) return;
      const to = change.previousCreatedAt ?? change.createdAt;
      for (const reader of await store.readersToRecheck(tx, key, change.datasetId, change.createdAt, to, change.label)) {
        await derive(tx, reader, key, now);
      }
    },
  };
}

export type DatasetReads = ReturnType<typeof createDatasetReads>;

function keepEarliest(wanted: Map<number, { at: Date; role: string }>, versionId: number, read: ReadRow) {
  const seen = wanted.get(versionId);
  if (!seen || read.readAt < seen.at || (read.readAt.getTime() === seen.at.getTime() && read.role < seen.role)) {
    wanted.set(versionId, { at: read.readAt, role: read.role });
  }
}
