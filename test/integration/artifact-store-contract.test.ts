// The ArtifactStore contract on the local directory always, and on S3-compatible storage when
// TEST_S3_ENDPOINT names a server (scripts/services up s3; .ci/run checks that it ran).
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { createFsArtifactStore } from '../../src/modules/artifacts/store-fs.js';
import { createS3ArtifactStore } from '../../src/modules/artifacts/store-s3.js';
import { artifactStoreContract } from '../support/artifact-store-contract.js';
import { keysUnder, removePrefix, s3Client, s3SkipReason, testS3 } from '../support/s3.js';
import { uniqueName } from '../support/server.js';

artifactStoreContract('local directory', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runledger-store-'));
  return {
    store: createFsArtifactStore(dir),
    // The local store writes whole files; its "part" is whatever the source yields.
    partBytes: 5 * 1024 * 1024,
    leftovers: async () => (await readdir(path.join(dir, 'tmp')).catch(() => [])).length,
    close: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

if (s3SkipReason) console.warn(`ArtifactStore contract on S3 not run: ${s3SkipReason}`);
artifactStoreContract(
  'S3',
  async () => {
    const s3 = testS3()!;
    const client = s3Client(s3);
    const prefix = `${uniqueName('contract')}/`;
    const partBytes = 5 * 1024 * 1024;
    return {
      // Small copy parts, so the multipart copy path (used above 5 GiB) runs too.
      store: createS3ArtifactStore({ client, bucket: s3.bucket, prefix, partBytes, copyPartBytes: 16 * 1024 * 1024, direct: true }),
      partBytes,
      leftovers: async () =>
        (await keysUnder(client, s3.bucket, `${prefix}tmp/`)).length +
        ((await client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: prefix }))).Uploads ?? []).length,
      close: async () => {
        await removePrefix(client, s3.bucket, prefix);
        client.destroy();
      },
    };
  },
  s3SkipReason,
);
