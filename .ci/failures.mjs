// node .ci/failures.mjs VITEST_JSON_REPORT...
// Prints, last in the CI log, every test that failed in the given vitest JSON reports with the
// first lines of its error: CI shows only the tail of its output, and a failure scrolled out of
// it cannot be diagnosed.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const MESSAGE_LINES = 12;

for (const path of process.argv.slice(2)) {
  if (!existsSync(path)) continue;
  const report = JSON.parse(readFileSync(path, 'utf8'));
  for (const file of report.testResults ?? []) {
    const name = relative(process.cwd(), file.name);
    const failed = (file.assertionResults ?? []).filter((test) => test.status === 'failed');
    if (failed.length === 0 && file.status === 'failed') {
      console.log(`FAILED ${name} (the file itself): ${firstLines(file.message ?? '')}`);
    }
    for (const test of failed) {
      console.log(`FAILED ${name} > ${test.fullName}`);
      for (const message of test.failureMessages ?? []) console.log(indent(firstLines(message)));
    }
  }
}

function firstLines(text) {
  return text.split('\n').slice(0, MESSAGE_LINES).join('\n');
}

function indent(text) {
  return text.replace(/^/gm, '    ');
}
