// The filesystem ArtifactStore against the retention part of the store contract.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createFsArtifactStore } from '../../src/modules/artifacts/store-fs.js';
import { artifactStoreRetentionContract } from '../support/artifact-store-contract.js';

artifactStoreRetentionContract('the filesystem store', async () => createFsArtifactStore(mkdtempSync(path.join(tmpdir(), 'runledger-store-contract-'))));
