// The catalog across domains: one name-prefix search over datasets, jobs, training runs and
// registered models, and the namespaces jobs and datasets live in, each limited to what the
// caller may see (in SQL, by the projects they hold a role in).
import type { Database } from '../../db/database.js';
import { ValidationError } from '../../errors.js';
import type { Access } from '../auth/access.js';
import { readableProjects } from '../auth/policy.js';
import * as store from './store.js';
import { SEARCH_KINDS, type SearchHit, type SearchKind } from './store.js';

export { SEARCH_KINDS };
export type { SearchHit, SearchKind };

const MAX_HITS = 1000;

export function createCatalogService(db: Database) {
  const { sql } = db;
  return {
    /** Names starting with `prefix` (any case), of the kinds asked (all by default), at most `first`. */
    async search(caller: Access, options: { prefix: string; kinds?: readonly SearchKind[] | null; first: number }): Promise<SearchHit[]> {
      const prefix = options.prefix.trim();
      if (prefix.length === 0) throw new ValidationError('query', 'must not be empty: give the start of a name');
      if (prefix.length > 250) throw new ValidationError('query', 'must be at most 250 characters');
      if (!Number.isInteger(options.first) || options.first < 1 || options.first > MAX_HITS) {
        throw new ValidationError('first', `must be an integer from 1 to ${MAX_HITS}`);
      }
      const kinds = options.kinds?.length ? [...new Set(options.kinds)] : [...SEARCH_KINDS];
      return store.searchNames(sql, prefix, kinds, await readableProjects(caller), options.first);
    },

    /** Namespaces of jobs and datasets the caller may see (one, when `name` is given). */
    async namespaces(caller: Access, options: { name?: string | null; first: number; offset: number }) {
      return store.namespaces(sql, await readableProjects(caller), { name: options.name ?? null, limit: options.first, offset: options.offset });
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;
