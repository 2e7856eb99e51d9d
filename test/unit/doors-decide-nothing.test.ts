// Front doors translate and pass the caller; the services decide who may do what. This reads the
// doors' sources and fails on any access decision made in one (see ARCHITECTURE.md, "The core
// owns the rules"), so a new route cannot quietly re-implement a check.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { doorFiles, root } from '../support/source-files.js';

// What deciding looks like: asking Access directly, reading the unchecked internals of a
// service, or reading rows through the authentication core.
const DECISIONS: { what: string; pattern: RegExp }[] = [
  {
    what: 'asks Access directly',
    pattern: /\b(access|caller)\.(authorize|canRead|filterVisible|visibleProjectIds|roleIn|requireAdmin|requireUser|isAdmin|principal|userId)\b/,
  },
  { what: 'reads a service’s unchecked internals', pattern: /\.internal\b/ },
  { what: 'uses the authentication core (only the edge may)', pattern: /services\.auth\.(?!authenticate\b|rolesOf\b)/ },
  { what: 'imports a store (SQL) module', pattern: /^import (?!type )[^;]*from '[^']*\/(store|records|batch-store)\.js'/ },
];

describe('front doors', () => {
  const files = doorFiles();

  it('are found (the list is not empty by accident)', () => {
    expect(files).toContain('src/http/mlflow/registry.ts');
    expect(files).toContain('src/modules/runs/mutations.ts');
    expect(files).toContain('src/modules/artifacts/http.ts');
    expect(files.length).toBeGreaterThan(30);
  });

  it('make no access decision: they pass the caller and map the answer', () => {
    const found: string[] = [];
    for (const file of files) {
      const lines = readFileSync(path.join(root, file), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (/^\s*(\/\/|\*)/.test(line)) return;
        for (const rule of DECISIONS) if (rule.pattern.test(line)) found.push(`${file}:${i + 1} ${rule.what}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });

  it('catches a door that asks Access itself (the check can fail)', () => {
    const line = "  if (!(await call.access.canRead(run.projectId))) throw doesNotExist('x');";
    expect(DECISIONS.some((rule) => rule.pattern.test(line))).toBe(true);
  });
});
