// The layers, checked over the source: doors import services, services import stores and ports,
// never the reverse; raw SQL lives only in store files; nothing imports itself round in a circle
// at runtime; only src/config.ts reads the environment. Each rule also shows it can fail, on a
// line written to break it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  doorFiles,
  filesUnder,
  importCycles,
  isOperatorTool,
  isStoreFile,
  reachable,
  root,
  type RuntimeImport,
  runtimeImports,
  SQL_BUILDERS,
} from '../support/source-files.js';

const sources = filesUnder('src');
const reaches = reachable(sources.flatMap((f) => runtimeImports(f)));
/** Service factories and the domain logic around them: module files that are neither doors nor stores. */
const isService = (file: string) =>
  file.startsWith('src/modules/') && !isStoreFile(file) && !doors.has(file) && !SQL_BUILDERS.has(file) && !isOperatorTool(file);
const doors = new Set(doorFiles());
const imports = sources.flatMap((f) => runtimeImports(f));
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const where = (i: RuntimeImport) => `${i.from}:${i.line} imports ${i.to}`;

/** What raw SQL looks like in TypeScript: a query call, Prisma's raw escape hatches, or a statement in a string. */
const RAW_SQL = [
  /\.query(<[^>]*>)?\(/,
  /\.\$(queryRaw|executeRaw)(Unsafe)?\b/,
  /[`'"]\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH [a-z_]+ AS)\s/,
  /[`'"]\s*(LOCK TABLE|SET LOCAL|SELECT pg_advisory)/,
];

function sqlLines(file: string, text: string): string[] {
  return text.split('\n').flatMap((line, i) => (!/^\s*(\/\/|\*)/.test(line) && RAW_SQL.some((p) => p.test(line)) ? [`${file}:${i + 1} ${line.trim()}`] : []));
}

// Operator entry points and the process's own start-up may read the environment too: they are
// not layers, they set the process up (NODE_ENV must be set before graphql-js loads).
const ENV_READERS = new Set(['src/config.ts', 'src/node-env.ts']);
const envLines = (file: string, text: string) =>
  text.split('\n').flatMap((line, i) => (/\bprocess\.env\b/.test(line) && !/^\s*(\/\/|\*)/.test(line) ? [`${file}:${i + 1}`] : []));

describe('layers', () => {
  it('reads the source tree (the lists are not empty by accident)', () => {
    expect(sources.length).toBeGreaterThan(150);
    expect(imports.length).toBeGreaterThan(500);
    expect(sources.filter(isStoreFile)).toContain('src/modules/runs/store.ts');
  });

  it('front doors import no store at runtime', () => {
    expect(imports.filter((i) => doors.has(i.from) && isStoreFile(i.to)).map(where)).toEqual([]);
  });

  it('stores import no door, and no helper that reaches a service factory', () => {
    const factory = (file: string) => /(^|\/)([a-z-]+-)?service\.ts$/.test(file) || doors.has(file);
    const upward = imports.filter((i) => isStoreFile(i.from) && [...reaches(i.to)].some(factory));
    expect(upward.map(where)).toEqual([]);
  });

  it('the SQL builders are imported by stores only', () => {
    expect(imports.filter((i) => SQL_BUILDERS.has(i.to) && !isStoreFile(i.from) && !SQL_BUILDERS.has(i.from)).map(where)).toEqual([]);
  });

  it('services import no door at runtime', () => {
    expect(imports.filter((i) => isService(i.from) && doors.has(i.to)).map(where)).toEqual([]);
  });

  it('raw SQL is written only in store files', () => {
    expect(sources.filter((f) => !isStoreFile(f) && !SQL_BUILDERS.has(f)).flatMap((f) => sqlLines(f, read(f)))).toEqual([]);
  });

  it('has no runtime import cycle', () => {
    expect(importCycles(imports)).toEqual([]);
  });

  it('reads process.env only in src/config.ts', () => {
    expect(sources.filter((f) => !ENV_READERS.has(f)).flatMap((f) => envLines(f, read(f)))).toEqual([]);
  });
});

describe('the layer checks can fail', () => {
  it('on a door importing a store', () => {
    const found = runtimeImports('src/http/mlflow/runs.ts', "import { runsByIds } from '../../modules/runs/store.js';\n");
    expect(found.filter((i) => isStoreFile(i.to))).toHaveLength(1);
    expect(runtimeImports('src/http/mlflow/runs.ts', "import type { Row } from '../../modules/runs/store.js';\n")).toEqual([]);
  });

  it('on SQL in a service', () => {
    expect(sqlLines('src/modules/runs/service.ts', "  await db.sql.query('SELECT 1 FROM runs WHERE id = $1', [id]);")).toHaveLength(1);
    expect(sqlLines('src/modules/runs/service.ts', '  const rows = await prisma.$queryRaw`SELECT 1`;')).toHaveLength(1);
  });

  it('on a cycle', () => {
    const edge = (from: string, to: string) => ({ from, to, line: 1 });
    expect(importCycles([edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('c', 'd')])).toEqual([['a', 'b', 'c']]);
  });

  it('on process.env outside config', () => {
    expect(envLines('src/modules/live/service.ts', 'const ms = Number(process.env.RECONCILE_MS);')).toHaveLength(1);
  });
});
