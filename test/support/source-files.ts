// The source tree read as layers, for the tests that keep the layering honest: which files are
// front doors, which are stores, and the runtime imports between them.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const root = path.resolve(import.meta.dirname, '../..');

export function filesUnder(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .filter((f) => !f.startsWith('src/generated/'))
    .sort();
}

/** Door files: HTTP doors, GraphQL schema modules and their per-request loaders, the WebSocket door. */
export function doorFiles(): string[] {
  const modules = filesUnder('src/modules').filter((f) =>
    /(^|\/)(schema|[a-z-]+-schema|loaders|[a-z-]+-loaders|mutations|queries|http|[a-z-]+-http|websocket|plugin)\.ts$/.test(f),
  );
  return [...filesUnder('src/http'), ...modules, 'src/builder.ts', 'src/loaders.ts', 'src/context.ts'].filter((f) => !isOperatorTool(f)).sort();
}

/** Command-line tools an operator runs (`*-cli.ts`): entry points that wire the layers, not doors. */
export function isOperatorTool(file: string): boolean {
  return file.endsWith('-cli.ts');
}

/**
 * Store files hold SQL and stored bytes: `store.ts`, `<name>-store.ts`, `store-<kind>.ts` (the
 * artifact store's adapters), `records.ts`, and the database plumbing under src/db.
 */
export function isStoreFile(file: string): boolean {
  const base = path.basename(file);
  if (DRIVER_ERRORS.has(file)) return false;
  return file.startsWith('src/db/') || /^(store|[a-z-]+-store|store-[a-z0-9]+|records)\.ts$/.test(base);
}

/** How the database driver's errors read (an outage, a unique violation): every layer asks. */
const DRIVER_ERRORS = new Set(['src/db/errors.ts', 'src/db/unavailable.ts']);
/** Files that build SQL text for the stores (the run filter's compiler, and the MLflow searches' conditions compiler): SQL, imported only by stores. */
/** Files that build SQL text for the stores (the filter language's compiler): SQL, imported only by stores. */
export const SQL_BUILDERS = new Set(['src/modules/runs/filter/compile.ts', 'src/modules/search/compile.ts']);

/** The files each file reaches through runtime imports, itself included. */
export function reachable(imports: readonly RuntimeImport[]): (file: string) => Set<string> {
  const edges = new Map<string, string[]>();
  for (const i of imports) edges.set(i.from, [...(edges.get(i.from) ?? []), i.to]);
  const memo = new Map<string, Set<string>>();
  return (start) => {
    const cached = memo.get(start);
    if (cached) return cached;
    const seen = new Set([start]);
    const todo = [start];
    while (todo.length) for (const to of edges.get(todo.pop()!) ?? []) if (!seen.has(to)) todo.push(to), seen.add(to);
    memo.set(start, seen);
    return seen;
  };
}

export interface RuntimeImport {
  from: string;
  to: string;
  line: number;
}

/** Imports that exist at runtime (type-only imports and `import type` are erased), resolved to files. */
export function runtimeImports(file: string, text = readFileSync(path.join(root, file), 'utf8')): RuntimeImport[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const found: RuntimeImport[] = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue;
    if (ts.isImportDeclaration(statement) && isTypeOnlyImport(statement)) continue;
    if (ts.isExportDeclaration(statement) && statement.isTypeOnly) continue;
    const target = path.normalize(path.join(path.dirname(file), specifier.text.replace(/\.js$/, '.ts')));
    found.push({ from: file, to: target, line: source.getLineAndCharacterOfPosition(statement.getStart(source)).line + 1 });
  }
  return found;
}

function isTypeOnlyImport(statement: ts.ImportDeclaration): boolean {
  const clause = statement.importClause;
  if (!clause) return false; // a side-effect import runs
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return !!bindings && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

/** Strongly connected groups of more than one file (or a file importing itself): import cycles. */
export function importCycles(imports: readonly RuntimeImport[]): string[][] {
  const edges = new Map<string, string[]>();
  for (const i of imports) edges.set(i.from, [...(edges.get(i.from) ?? []), i.to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of edges.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== node);
    if (group.length > 1 || (edges.get(node) ?? []).includes(node)) cycles.push(group.sort());
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return cycles;
}
