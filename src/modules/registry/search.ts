// Searching registered models and model versions with MLflow's grammar (name, tags, and for
// versions run_id, source_path, version_number; =, !=, LIKE, ILIKE, IN), its orderings and offset pages.
import type { Database } from '../../db/database.js';
import { ValidationError } from '../../errors.js';
import type { ModelVersion, RegisteredModel } from '../../generated/prisma/client.js';
import type { Access } from '../auth/access.js';
import { readableProjects } from '../auth/policy.js';
import { type ConditionSpec, parseConditions } from '../search/conditions.js';
import { searchModels, searchVersions } from './store.js';

export interface RegistrySearchInput {
  filter?: string | null;
  orderBy?: readonly { field: string; direction: 'ASC' | 'DESC' }[] | null;
  first: number;
  offset: number;
}

const MODEL_FILTER: ConditionSpec = {
  what: 'registered models',
  attributes: { name: 'string', creation_timestamp: 'number', last_updated_timestamp: 'number' },
  aliases: { timestamp: 'last_updated_timestamp', creation_time: 'creation_timestamp', last_updated_time: 'last_updated_timestamp' },
  lists: ['name'],
  kinds: ['tag'],
};

const VERSION_FILTER: ConditionSpec = {
  what: 'model versions',
  attributes: {
    name: 'string',
    version_number: 'number',
    run_id: 'string',
    source_path: 'string',
    creation_timestamp: 'number',
    last_updated_timestamp: 'number',
  },
  aliases: { version: 'version_number', source: 'source_path', timestamp: 'last_updated_timestamp' },
  lists: ['name', 'run_id'],
  kinds: ['tag'],
};

function order(input: RegistrySearchInput, spec: ConditionSpec, fields: readonly string[]) {
  const seen = new Set<string>();
  return (input.orderBy ?? []).map((o, i) => {
    const field = spec.aliases?.[o.field] ?? o.field;
    if (!fields.includes(field)) throw new ValidationError(`order_by[${i}]`, `must be one of ${fields.join(', ')} (got ${JSON.stringify(o.field)})`);
    if (seen.has(field)) throw new ValidationError(`order_by[${i}]`, `names ${field} twice`);
    seen.add(field);
    return { field, direction: o.direction };
  });
}

export function createRegistrySearch(db: Database) {
  return {
    /** Registered models the caller may see that match, by the order asked then name, a page at an offset. */
    async searchModels(caller: Access, input: RegistrySearchInput): Promise<{ models: RegisteredModel[]; hasNextPage: boolean }> {
      const conditions = parseConditions(input.filter, MODEL_FILTER);
      const rows = await searchModels(db.sql, {
        projectIds: await readableProjects(caller),
        conditions,
        order: order(input, MODEL_FILTER, ['name', 'creation_timestamp', 'last_updated_timestamp']),
        limit: input.first + 1,
        offset: input.offset,
      });
      return { models: rows.slice(0, input.first), hasNextPage: rows.length > input.first };
    },

    /** Model versions the caller may see that match, by the order asked then name and newest version, a page at an offset. */
    async searchVersions(caller: Access, input: RegistrySearchInput): Promise<{ versions: ModelVersion[]; hasNextPage: boolean }> {
      const conditions = parseConditions(input.filter, VERSION_FILTER);
      const rows = await searchVersions(db.sql, {
        projectIds: await readableProjects(caller),
        conditions,
        order: order(input, VERSION_FILTER, ['name', 'version_number', 'creation_timestamp', 'last_updated_timestamp', 'run_id']),
        limit: input.first + 1,
        offset: input.offset,
      });
      return { versions: rows.slice(0, input.first), hasNextPage: rows.length > input.first };
    },
  };
}
