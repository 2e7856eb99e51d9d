// Artifact garbage collection, on either store: removes blobs that no artifact row refers to.
// Young blobs are left alone (an upload writes its blob before its row), and each removal
// re-checks under the blob's advisory lock, which registrations reusing a blob also take.
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

/** Forgets direct uploads never completed that expired before `before`, and their staged bytes. */
export async function forgetExpiredUploads(db: Database, store: ArtifactStore, before: Date): Promise<number> {
  if (!store.direct) return 0;
  const stale = await db.prisma.artifactUpload.findMany({ where: { artifactId: null, expiresAt: { lt: before } }, take: 1000 });
  for (const row of stale) {
    await store.direct.discard(stagingName(row.token));
    await db.prisma.artifactUpload.delete({ where: { id: row.id } });
  }
  return stale.length;
}
