// The Pothos builder: plugins, scalars and shared conventions. Domain types live in modules/*.
import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import RelayPlugin, { decodeGlobalID } from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import SimpleObjectsPlugin from '@pothos/plugin-simple-objects';
import type { Context } from './context.js';
import { projectAccess } from './modules/projects/policy.js';
import { ForbiddenError, NotFoundError, ValidationError } from './errors.js';
import { DateTimeScalar, JSONScalar, MetricValueScalar, SafeIntScalar } from './scalars.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  // readProject(id): a type-level backstop on every object that belongs to a project. The
  // services already decide what a caller reads (loaders only get what they allow); this asks
  // the projects policy again as objects are resolved, so no field can hand out another's.
  AuthScopes: { readProject: number };
  DefaultInputFieldRequiredness: false;
  // Fields are non-null unless they say otherwise: clients get precise generated types.
  DefaultFieldNullability: false;
  Scalars: {
    ID: { Input: string; Output: string | number };
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    MetricValue: { Input: number; Output: number };
    SafeInt: { Input: number; Output: number };
    File: { Input: File; Output: never };
  };
}>({
  // Relay first so scopes see decoded ids; scope-auth before the plugins that wrap resolvers.
  plugins: [RelayPlugin, ScopeAuthPlugin, DataloaderPlugin, SimpleObjectsPlugin],
  scopeAuth: {
    // Subscriptions are checked once when they start, not only per event.
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      readProject: (projectId: number) => projectAccess.canSee(ctx.access, { id: projectId }),
    }),
    // An object of an invisible project answers NOT_FOUND, like a missing one; a field the
    // caller may see but not use answers FORBIDDEN.
    unauthorizedError: (_parent, _ctx, info, result) =>
      JSON.stringify(result.failure).includes('readProject')
        ? new NotFoundError(info.parentType.name, 'this object')
        : new ForbiddenError(`${info.parentType.name}.${info.fieldName}: ${result.message}`),
  },
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: { description: 'Fetches any object by its global id.' },
    nodesQueryOptions: { description: 'Fetches several objects by their global ids, in order.' },
    // A malformed id is the caller's mistake, not a server error.
    decodeGlobalID: (globalID) => {
      let decoded: { typename: string; id: string };
      try {
        decoded = decodeGlobalID(globalID);
      } catch {
        throw new ValidationError('id', `${JSON.stringify(globalID.slice(0, 100))} is not a global id returned by this API`);
      }
      // node(id)/nodes(ids) load only Node types; another type's id (e.g. an ApiToken's) is refused here.
      if (!isNodeType(decoded.typename))
        throw new ValidationError('id', `${JSON.stringify(globalID.slice(0, 100))} is not the id of an object node(id) can fetch`);
      return decoded;
    },
  },
});

/** Whether `typename` is an object type implementing Node (read once the schema is built). */
function isNodeType(typename: string): boolean {
  try {
    const config = builder.configStore.getTypeConfig(typename);
    return config.kind === 'Object' && (config.interfaces ?? []).some((ref) => builder.configStore.getTypeConfig(ref).name === 'Node');
  } catch {
    return false; // not a type of this schema
  }
}

builder.addScalarType('DateTime', DateTimeScalar);
builder.addScalarType('JSON', JSONScalar);
builder.addScalarType('MetricValue', MetricValueScalar);
builder.addScalarType('SafeInt', SafeIntScalar);

builder.queryType({ description: 'Reads: runs, projects and everything linked to them.' });
builder.mutationType({ description: 'Writes: each takes one `input` and returns a payload.' });

export const SortDirection = builder.enumType('SortDirection', {
  description: 'Sort order; missing values always sort last.',
  values: { ASC: { value: 'ASC' }, DESC: { value: 'DESC' } } as const,
});
