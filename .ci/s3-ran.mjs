// node .ci/s3-ran.mjs VITEST_JSON_REPORT
// Fails unless the suites that need the S3-compatible store (and the two-replica test on the
// shared PostgreSQL, Redis, S3 and Neo4j) ran and passed in the report, rather than skipped.
import { requireSuitesRan } from './suites-ran.mjs';

requireSuitesRan(
  process.argv[2],
  [
    { file: 'test/integration/artifact-store-contract.test.ts', block: 'ArtifactStore contract: S3' },
    { file: 'test/integration/artifact-store-contract.test.ts', block: 'ArtifactStore contract: local directory' },
    { file: 'test/integration/artifacts-s3.test.ts', block: 'artifacts in S3, through every door' },
    { file: 'test/integration/artifact-gc.test.ts', block: 'artifact garbage collection: S3' },
    { file: 'test/faults/s3-outage.test.ts', block: 'a real object store killed with SIGKILL in the middle of an upload' },
    { file: 'test/faults/replicas.test.ts', block: 'two runledger replicas on shared PostgreSQL, Redis, S3 and Neo4j' },
  ],
  'S3 and replica',
);
