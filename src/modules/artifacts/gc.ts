// Artifact garbage collection, on either store: removes blobs that no artifact row (nor a chunk
// of an unexpired upload session) refers to. Young blobs are left alone (an upload writes its
// blob before its row), and each removal re-checks under the blob's advisory lock, which
// registrations reusing a blob and recorded chunks also take.
import type { Database } from '../../db/database.js';
import type { Logger } from '../../logger.js';
import { lockBlob } from './blob-lock-store.js';
import { referencedDigests } from './records.js';
import { stagingName } from './direct.js';
import type { ArtifactStore, ListedBlob } from './store.js';

export interface GarbageReport {
  scanned: number;
  /** Written after `olderThan`: not considered. */
  young: number;
  referenced: number;
  /** Removed, or that would be with dryRun. */
  removed: number;
  removedBytes: number;
  dryRun: boolean;
}

const BATCH = 500;

/**
 * Deletes a blob when, under its lock, no artifact refers to it; false when one does. The one way
 * bytes leave the store (this collector and retention both use it): a registration reusing the
 * same bytes takes the same lock and either sees the blob gone (and retries) or has its row seen
 * here (and the blob stays).
 */
export async function removeUnreferencedBlob(db: Database, store: ArtifactStore, digest: string): Promise<boolean> {
  return db.prisma.$transaction(async (tx) => {
    await lockBlob(tx, digest);
    if (await tx.artifact.findFirst({ where: { digest }, select: { id: true } })) return false;
    // A chunk of a live upload session holds its bytes too (recorded under the same lock).
    if (await tx.artifactUploadChunk.findFirst({ where: { digest, session: { expiresAt: { gt: new Date() } } }, select: { digest: true } })) return false;
    await store.delete(digest);
    return true;
  });
}

export async function collectArtifactGarbage(
  db: Database,
  store: ArtifactStore,
  options: { olderThan: Date; dryRun?: boolean; log?: Logger },
): Promise<GarbageReport> {
  const report: GarbageReport = { scanned: 0, young: 0, referenced: 0, removed: 0, removedBytes: 0, dryRun: options.dryRun ?? false };

  async function sweep(batch: ListedBlob[]): Promise<void> {
    const referenced = await referencedDigests(
      db.sql,
      batch.map((b) => b.digest),
    );
    for (const blob of batch) {
      if (referenced.has(blob.digest)) {
        report.referenced += 1;
        continue;
      }
      if (report.dryRun) {
        report.removed += 1;
        report.removedBytes += blob.sizeBytes;
        continue;
      }
      const removed = await removeUnreferencedBlob(db, store, blob.digest);
      if (removed) {
        report.removed += 1;
        report.removedBytes += blob.sizeBytes;
        options.log?.info('artifact blob collected', { digest: blob.digest, sizeBytes: blob.sizeBytes });
      } else {
        report.referenced += 1;
      }
    }
  }

  let batch: ListedBlob[] = [];
  for await (const blob of store.list()) {
    report.scanned += 1;
    if (blob.storedAt >= options.olderThan) {
      report.young += 1;
      continue;
    }
    batch.push(blob);
    if (batch.length >= BATCH) {
      await sweep(batch);
      batch = [];
    }
  }
  if (batch.length) await sweep(batch);
  return report;
}

/**
 * Forgets direct uploads never completed that expired before `before`, with their staged bytes,
 * and upload sessions (completed or not) that expired before then, with their chunk rows: their
 * chunks' blobs become ordinary unreferenced blobs for the collector (never deleted here, since
 * the same bytes may be an artifact's). Answers how many uploads and sessions were forgotten.
 */
export async function forgetExpiredUploads(db: Database, store: ArtifactStore, before: Date): Promise<number> {
  let forgotten = 0;
  if (store.direct) {
    const stale = await db.prisma.artifactUpload.findMany({ where: { artifactId: null, expiresAt: { lt: before } }, take: 1000 });
    for (const row of stale) {
      await store.direct.discard(stagingName(row.token));
      await db.prisma.artifactUpload.delete({ where: { id: row.id } });
    }
    forgotten += stale.length;
  }
  const sessions = await db.prisma.artifactUploadSession.deleteMany({ where: { expiresAt: { lt: before } } });
  return forgotten + sessions.count;
}
