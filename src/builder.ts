// The Pothos builder: plugins, scalars and shared conventions. Domain types live in modules/*.
import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import RelayPlugin from '@pothos/plugin-relay';
import SimpleObjectsPlugin from '@pothos/plugin-simple-objects';
import type { Context } from './context.js';
import { DateTimeScalar, JSONScalar, MetricValueScalar, SafeIntScalar } from './scalars.js';

export const builder = new SchemaBuilder<{
  Context: Context;
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
  plugins: [RelayPlugin, DataloaderPlugin, SimpleObjectsPlugin],
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: { description: 'Fetches any object by its global id.' },
    nodesQueryOptions: { description: 'Fetches several objects by their global ids, in order.' },
  },
});

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
