// node .ci/neo4j-ran.mjs VITEST_JSON_REPORT
// Fails unless the suites that need a real Neo4j ran (passed, none skipped) in the report, and
// prints them, so CI's output shows the contract suite ran against the server.
import { readFileSync } from 'node:fs';

// file (relative to the repository) and the describe block whose tests must all have passed.
const REQUIRED = [
  { file: 'test/integration/lineage-contract.test.ts', block: 'LineageGraph contract: Neo4j' },
  { file: 'test/faults/neo4j-outage.test.ts', block: 'a real Neo4j killed with SIGKILL while runs and datasets are logged' },
];

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let ok = true;
for (const { file, block } of REQUIRED) {
  const result = report.testResults.find((r) => r.name.endsWith(`/${file}`));
  const tests = (result?.assertionResults ?? []).filter((t) => t.ancestorTitles.includes(block));
  const passed = tests.filter((t) => t.status === 'passed');
  const other = tests.filter((t) => t.status !== 'passed');
  console.log(`${file} > ${block}: ${passed.length} passed, ${other.length} not passed`);
  for (const t of tests) console.log(`  ${t.status === 'passed' ? 'ran' : t.status.toUpperCase()}  ${t.title}`);
  if (passed.length === 0 || other.length > 0) ok = false;
}
if (!ok) {
  console.log('The Neo4j suites above must run and pass against the server scripts/services started.');
  process.exit(1);
}
