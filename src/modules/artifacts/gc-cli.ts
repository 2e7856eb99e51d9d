// `npm run artifacts:gc -- [--older-than-hours 24] [--dry-run]`: removes artifact blobs no
// artifact (nor a chunk of an unexpired upload session) refers to, on the configured store, local
// or S3; forgets direct uploads that expired without being completed, with their staged bytes,
// and expired upload sessions; and on S3 removes what interrupted uploads left (staging objects,
// unfinished multipart uploads). Prints a JSON report.
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config.js';
import { openDatabase } from '../../db/database.js';
import { applyPendingMigrations } from '../../db/migrate.js';
import { createLogger } from '../../logger.js';
import { collectArtifactGarbage, forgetExpiredUploads } from './gc.js';
import { openArtifactStore } from './open-store.js';
import { sweepStaging } from './s3-sweep.js';
import { createS3Client } from './store-s3.js';

const { values } = parseArgs({ options: { 'older-than-hours': { type: 'string', default: '24' }, 'dry-run': { type: 'boolean', default: false } } });
const hours = Number(values['older-than-hours']);
if (!Number.isFinite(hours) || hours < 0) {
  console.error('--older-than-hours: must be a number of hours, 0 or more');
  process.exit(2);
}
const config = loadConfig();
const log = createLogger(config.logLevel, { service: 'runledger-artifacts-gc' });
const db = await openDatabase(config.database);
try {
  await applyPendingMigrations(db);
  const store = openArtifactStore(config.artifacts, log);
  const olderThan = new Date(Date.now() - hours * 3_600_000);
  const report = await collectArtifactGarbage(db, store, { olderThan, dryRun: values['dry-run'], log });
  const expiredUploads = values['dry-run'] ? 0 : await forgetExpiredUploads(db, store, olderThan);
  // What interrupted uploads left on S3 (a bucket lifecycle rule does the same).
  const s3 = config.artifacts.store;
  const staging =
    s3.kind === 's3' && !values['dry-run'] ? await sweepStaging({ client: createS3Client(s3), bucket: s3.bucket, prefix: s3.prefix }, olderThan) : null;
  console.log(JSON.stringify({ store: store.kind, olderThan: olderThan.toISOString(), ...report, expiredUploads, staging }, null, 2));
} finally {
  await db.close();
}
