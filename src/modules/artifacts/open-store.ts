// Builds the ArtifactStore the configuration names: the local directory, or S3-compatible object storage.
import type { ArtifactsConfig } from '../../config.js';
import type { Logger } from '../../logger.js';
import type { ArtifactStore } from './store.js';
import { createFsArtifactStore } from './store-fs.js';
import { createS3ArtifactStore, createS3Client } from './store-s3.js';

export function openArtifactStore(config: ArtifactsConfig, log?: Logger): ArtifactStore {
  const store = config.store;
  if (store.kind === 'fs') return createFsArtifactStore(config.dir, log);
  const client = createS3Client(store);
  const presignClient = store.publicEndpoint ? createS3Client({ ...store, endpoint: store.publicEndpoint }) : undefined;
  return createS3ArtifactStore({ client, presignClient, bucket: store.bucket, prefix: store.prefix, partBytes: store.partBytes, direct: config.direct, log });
}
