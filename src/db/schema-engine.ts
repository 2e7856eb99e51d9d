// Prisma's schema engine compiled to WebAssembly: creates and applies migrations offline,
// through a driver adapter, so no native engine has to be downloaded.
import { readFile, readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';
import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg';

const require = createRequire(import.meta.url);
let wasmReady: Promise<void> | undefined;

// Node 20 cannot import .wasm modules, so the bindings are wired to the instance by hand.
function loadWasm(): Promise<void> {
  wasmReady ??= (async () => {
    // The package exports no path to its .wasm file; it sits beside the entry module.
    const wasmPath = path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm')), 'schema_engine_bg.wasm');
    const bytes = await readFile(wasmPath);
    const { instance } = await WebAssembly.instantiate(bytes, {
      './schema_engine_bg.js': bindings as unknown as WebAssembly.ModuleImports,
    });
    bindings.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start?: () => void }).__wbindgen_start?.();
  })();
  return wasmReady;
}

export async function openSchemaEngine(adapterFactory: SqlMigrationAwareDriverAdapterFactory, schemaText?: string): Promise<SchemaEngine> {
  await loadWasm();
  const datamodels: [string, string][] | undefined = schemaText ? [['schema.prisma', schemaText]] : undefined;
  const log = () => {};
  return bindings.SchemaEngine.new({ datamodels }, log, bindMigrationAwareSqlAdapterFactory(wholeScripts(adapterFactory)));
}

type Adapter = Awaited<ReturnType<SqlMigrationAwareDriverAdapterFactory['connect']>>;

// @prisma/adapter-pg runs a migration script by splitting it on every ";", which breaks any
// statement with a ";" inside (a plpgsql trigger function). node-postgres runs a whole
// multi-statement script in one simple query, as psql would, so scripts go there instead.
function wholeScripts(factory: SqlMigrationAwareDriverAdapterFactory): SqlMigrationAwareDriverAdapterFactory {
  if (factory.adapterName !== '@prisma/adapter-pg') return factory;
  const wrap = (adapter: Adapter): Adapter => {
    const driver = (adapter as { underlyingDriver?: () => { query?: (sql: string) => Promise<unknown> } }).underlyingDriver?.();
    if (!driver?.query) return adapter;
    const wrapped = Object.create(adapter) as Adapter;
    wrapped.executeScript = async (script: string) => {
      try {
        await driver.query!(script);
      } catch (error) {
        (adapter as unknown as { onError(e: unknown): never }).onError(error);
      }
    };
    return wrapped;
  };
  const wrappedFactory = Object.create(factory) as SqlMigrationAwareDriverAdapterFactory;
  wrappedFactory.connect = async () => wrap(await factory.connect());
  wrappedFactory.connectToShadowDb = async () => wrap(await factory.connectToShadowDb());
  return wrappedFactory;
}

export const migrationsDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../prisma/migrations');
export const schemaPath = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../prisma/schema.prisma');

export async function readMigrationList(baseDir = migrationsDir): Promise<MigrationList> {
  const lockPath = path.join(baseDir, 'migration_lock.toml');
  const lockContent = await readFile(lockPath, 'utf8').catch(() => null);
  const entries = await readdir(baseDir).catch(() => [] as string[]);
  const dirs: string[] = [];
  for (const entry of entries.sort()) {
    if ((await stat(path.join(baseDir, entry))).isDirectory()) dirs.push(entry);
  }
  const migrationDirectories = await Promise.all(
    dirs.map(async (dir) => {
      const file = path.join(baseDir, dir, 'migration.sql');
      const content = await readFile(file, 'utf8').then(
        (value) => ({ tag: 'ok' as const, value }),
        (error: Error) => ({ tag: 'error' as const, value: error.message }),
      );
      return { path: dir, migrationFile: { path: 'migration.sql', content } };
    }),
  );
  return {
    baseDir,
    lockfile: { path: 'migration_lock.toml', content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

export const noFilters = { externalTables: [] as string[], externalEnums: [] as string[] };
