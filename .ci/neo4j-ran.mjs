// node .ci/neo4j-ran.mjs VITEST_JSON_REPORT
// Fails unless the suites that need a real Neo4j ran (passed, none skipped) in the report, and
// prints them, so CI's output shows the contract suite ran against the server.
import { requireSuitesRan } from './suites-ran.mjs';

requireSuitesRan(
  process.argv[2],
  [
    { file: 'test/integration/lineage-contract.test.ts', block: 'LineageGraph contract: Neo4j' },
    { file: 'test/faults/neo4j-outage.test.ts', block: 'a real Neo4j killed with SIGKILL while runs and datasets are logged' },
  ],
  'Neo4j',
);
