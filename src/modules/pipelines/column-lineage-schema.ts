// GraphQL of field-level lineage (the columnLineage facet): `columnLineage(namespace, name,
// field, direction, depth)` and Dataset.columnLineage, plus the dataset's own facets.
import { builder } from '../../builder.js';
import type { Context } from '../../context.js';
import { DatasetRef } from '../datasets/schema.js';
import { LineageDirectionEnum } from '../lineage/schema.js';
import type { ColumnEdgeRow } from './column-lineage-store.js';
import { facetValues } from './rules.js';
import { MAX_COLUMN_DEPTH } from './service.js';

interface FieldRef {
  namespace: string;
  name: string;
  field: string;
}

const DatasetFieldRef = builder.objectRef<FieldRef>('DatasetField');
const ColumnLineageEdgeRef = builder.objectRef<ColumnEdgeRow>('ColumnLineageEdge');
const ColumnLineageRef = builder.objectRef<{ edges: ColumnEdgeRow[] }>('ColumnLineage');

builder.objectType(DatasetFieldRef, {
  description: 'A field (column) of a dataset, named by the dataset’s namespace and name and the field’s name.',
  fields: (t) => ({
    namespace: t.exposeString('namespace'),
    name: t.exposeString('name', { description: 'The dataset’s name.' }),
    field: t.exposeString('field'),
    dataset: t.field({
      type: DatasetRef,
      nullable: true,
      description: 'The dataset, when it is known and the caller may see it (an input may be known only by name).',
      resolve: (f, _a, ctx) => ctx.services.datasets.get(ctx.access, f.name, f.namespace),
    }),
  }),
});

builder.objectType(ColumnLineageEdgeRef, {
  description: 'One field made from another: `to` comes from `from`, as a columnLineage facet said.',
  fields: (t) => ({
    from: t.field({
      type: DatasetFieldRef,
      description: 'The input field.',
      resolve: (e) => ({ namespace: e.inputNamespace, name: e.inputName, field: e.inputField }),
    }),
    to: t.field({
      type: DatasetFieldRef,
      description: 'The output field.',
      resolve: (e) => ({ namespace: e.outputNamespace, name: e.outputName, field: e.outputField }),
    }),
    depth: t.exposeInt('depth', { description: 'Hops from the field asked about (1: its own edges).' }),
    transformationType: t.string({ nullable: true, description: 'DIRECT or INDIRECT.', resolve: (e) => e.transformationType || null }),
    transformationSubtype: t.string({
      nullable: true,
      description: 'IDENTITY, TRANSFORMATION, AGGREGATION (direct), or JOIN, FILTER, GROUP_BY, SORT, WINDOW, CONDITIONAL (indirect).',
      resolve: (e) => e.transformationSubtype || null,
    }),
    transformationDescription: t.exposeString('transformationDescription', { nullable: true }),
    masking: t.exposeBoolean('masking', { description: 'Whether the transformation masks the data (e.g. a hash).' }),
  }),
});

builder.objectType(ColumnLineageRef, {
  description: 'Field-level lineage around a dataset field: the edges walked and the fields they join.',
  fields: (t) => ({
    edges: t.field({ type: [ColumnLineageEdgeRef], resolve: (g) => g.edges }),
    fields: t.field({
      type: [DatasetFieldRef],
      description: 'Every field the edges join, each once.',
      resolve: (g) => {
        const all = new Map<string, FieldRef>();
        for (const e of g.edges) {
          for (const f of [
            { namespace: e.inputNamespace, name: e.inputName, field: e.inputField },
            { namespace: e.outputNamespace, name: e.outputName, field: e.outputField },
          ]) {
            all.set(JSON.stringify([f.namespace, f.name, f.field]), f);
          }
        }
        return [...all.values()];
      },
    }),
  }),
});

const FIELD_ARG = { description: 'One field; every field of the dataset when omitted.' };
const DIRECTION_ARG = {
  type: LineageDirectionEnum,
  defaultValue: 'BOTH',
  description: 'UPSTREAM: where it comes from; DOWNSTREAM: what comes from it.',
} as const;
const DEPTH_ARG = { defaultValue: 5, description: `Hops to walk, 1 to ${MAX_COLUMN_DEPTH}.` };

async function walk(ctx: Context, key: { namespace: string; name: string }, a: { field?: string | null; direction?: string | null; depth?: number | null }) {
  const direction = (a.direction ?? 'BOTH') as 'UPSTREAM' | 'DOWNSTREAM' | 'BOTH';
  return { edges: await ctx.services.pipelines.columnLineage(ctx.access, { ...key, field: a.field ?? null }, direction, a.depth ?? 5) };
}

builder.queryField('columnLineage', (t) =>
  t.field({
    type: ColumnLineageRef,
    description:
      'Field-level lineage of a dataset the caller may see (NOT_FOUND otherwise), from columnLineage facets: where a field comes from, what comes from it, or both, ' +
      'through datasets the caller may see only.',
    args: {
      namespace: t.arg.string({ required: true }),
      name: t.arg.string({ required: true }),
      field: t.arg.string(FIELD_ARG),
      direction: t.arg(DIRECTION_ARG),
      depth: t.arg.int(DEPTH_ARG),
    },
    resolve: (_root, a, ctx) => walk(ctx, { namespace: a.namespace, name: a.name }, a),
  }),
);

builder.objectFields(DatasetRef, (t) => ({
  facets: t.field({
    type: 'JSON',
    nullable: true,
    description:
      'Facets of the dataset itself (sent with no version: documentation, schema of an input, symlinks, ...), each from the latest event; null when none.',
    resolve: (d) => facetValues(d.facets),
  }),
  columnLineage: t.field({
    type: ColumnLineageRef,
    description: 'Field-level lineage around this dataset (see Query.columnLineage).',
    args: { field: t.arg.string(FIELD_ARG), direction: t.arg(DIRECTION_ARG), depth: t.arg.int(DEPTH_ARG) },
    resolve: (d, a, ctx) => walk(ctx, d, a),
  }),
}));
