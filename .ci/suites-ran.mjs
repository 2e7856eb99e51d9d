// Shared by .ci/neo4j-ran.mjs and .ci/s3-ran.mjs: fails unless the named suites ran (passed, none
// skipped) in a vitest JSON report, and prints them, so CI's output shows they ran against the
// servers scripts/services started rather than skipping for want of one.
import { readFileSync } from 'node:fs';

/** required: [{ file (relative to the repository), block (a describe title whose tests must all pass) }] */
export function requireSuitesRan(reportFile, required, what) {
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  let ok = true;
  for (const { file, block } of required) {
    const result = report.testResults.find((r) => r.name.endsWith(`/${file}`));
    const tests = (result?.assertionResults ?? []).filter((t) => t.ancestorTitles.includes(block));
    const passed = tests.filter((t) => t.status === 'passed');
    const other = tests.filter((t) => t.status !== 'passed');
    console.log(`${file} > ${block}: ${passed.length} passed, ${other.length} not passed`);
    for (const t of tests) console.log(`  ${t.status === 'passed' ? 'ran' : t.status.toUpperCase()}  ${t.title}`);
    if (passed.length === 0 || other.length > 0) ok = false;
  }
  if (!ok) {
    console.log(`The ${what} suites above must run and pass against the servers scripts/services started.`);
    process.exit(1);
  }
}
