// Per-request DataLoaders, created on first use: one query per kind of data per tick, and
// results returned in key order.
import { brandWithType } from '@pothos/core';
import DataLoader from 'dataloader';
import type { Services } from './services.js';

function groupBy<T, K>(rows: readonly T[], keyOf: (row: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/** A loader of one record per id; a missing id loads as null. */
export function byId<T>(load: (ids: readonly number[]) => Promise<T[]>, idOf: (row: T) => number, options?: DataLoader.Options<number, T | null>) {
  return new DataLoader<number, T | null>(async (ids) => {
    const rows = new Map((await load(ids)).map((row) => [idOf(row), row]));
    return ids.map((id) => rows.get(id) ?? null);
  }, options);
}

/** A loader of every record that belongs to an owner id, e.g. the params of a run. */
export function manyByOwner<T>(load: (ids: readonly number[]) => Promise<T[]>, ownerOf: (row: T) => number) {
  return new DataLoader<number, T[]>(async (ids) => {
    const groups = groupBy(await load(ids), ownerOf);
    return ids.map((id) => groups.get(id) ?? []);
  });
}

/**
 * A loader of every record that belongs to a parent row the request already read (the params
 * of a run): services are handed the parents themselves, so they check them without a lookup.
 */
export function manyByParent<P extends { id: number }, T>(load: (parents: readonly P[]) => Promise<T[]>, ownerOf: (row: T) => number) {
  return new DataLoader<P, T[], number>(
    async (parents) => {
      const groups = groupBy(await load(parents), ownerOf);
      return parents.map((p) => groups.get(p.id) ?? []);
    },
    { cacheKeyFn: (parent) => parent.id },
  );
}

/** Node ids as database keys: anything that is not a positive safe integer cannot exist. */
export function numericIds(ids: readonly (string | number | bigint)[]): (number | null)[] {
  return ids.map((id) => {
    const n = Number(id);
    return Number.isSafeInteger(n) && n > 0 && n <= 2_147_483_647 ? n : null;
  });
}

export class Loaders {
  private readonly made = new Map<string, unknown>();

  constructor(readonly services: Services) {}

  /** Returns the loader called `name`, creating it with `make` the first time this request asks. */
  get<L>(name: string, make: (services: Services) => L): L {
    let loader = this.made.get(name) as L | undefined;
    if (!loader) {
      loader = make(this.services);
      this.made.set(name, loader);
    }
    return loader;
  }
}

/** The ids of what `DataLoader.loadMany` found: misses (null) and errors left out. */
export function foundIds(loaded: readonly ({ id: number } | Error | null)[]): Set<number> {
  return new Set(loaded.flatMap((row) => (row && !(row instanceof Error) ? [row.id] : [])));
}

/**
 * A node type's `loadMany`: ids that cannot exist load as null instead of reaching SQL. Each
 * object is branded with its type here, as it loads: Pothos brands only after the whole batch,
 * and a second `node(id)` of the same id in one request (served from Pothos's request cache)
 * could otherwise reach the Node interface's type resolution first, unbranded, and fail.
 */
export async function loadNodes<T>(loader: DataLoader<number, T | null>, ids: readonly (string | number | bigint)[], typename: string): Promise<(T | null)[]> {
  const rows = await Promise.all(numericIds(ids).map((id) => (id === null ? null : loader.load(id))));
  // The name, as Pothos brands with it: a brand is set once and cannot be changed.
  for (const row of rows) brandWithType(row, typename as Parameters<typeof brandWithType>[1]);
  return rows;
}
