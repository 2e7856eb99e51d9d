// GraphQL of the catalog: `search(query)`, one name-prefix search across datasets, jobs,
// training runs and registered models.
import { brandWithType } from '@pothos/core';
import { builder } from '../../builder.js';
import { datasetLoader } from '../datasets/loaders.js';
import { DatasetRef } from '../datasets/schema.js';
import { jobLoader } from '../pipelines/job-loaders.js';
import { JobRef } from '../pipelines/jobs-schema.js';
import { modelLoader } from '../registry/loaders.js';
import { RegisteredModelRef } from '../registry/schema.js';
import { runLoader } from '../runs/loaders.js';
import { RunRef } from '../runs/schema.js';
import { SEARCH_KINDS, type SearchHit } from './service.js';

const SearchKindEnum = builder.enumType('SearchResultKind', {
  description: 'What a search result is.',
  values: SEARCH_KINDS,
});

const SearchNodeRef = builder.unionType('SearchNode', {
  description: 'The object a search result names.',
  types: [DatasetRef, JobRef, RunRef, RegisteredModelRef],
});

const SearchHitRef = builder.objectRef<SearchHit>('SearchResult');

builder.objectType(SearchHitRef, {
  description: 'One name that starts with what was searched for.',
  fields: (t) => ({
    kind: t.field({ type: SearchKindEnum, resolve: (h) => h.kind }),
    name: t.exposeString('name'),
    namespace: t.exposeString('namespace', { nullable: true, description: 'The OpenLineage namespace of a dataset or job; null for runs and models.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it last changed (datasets and models: when created).' }),
    node: t.field({
      type: SearchNodeRef,
      nullable: true,
      resolve: async (h, _a, ctx) => {
        const loaded =
          h.kind === 'DATASET'
            ? await datasetLoader(ctx).load(h.id)
            : h.kind === 'JOB'
              ? await jobLoader(ctx).load(h.id)
              : h.kind === 'RUN'
                ? await runLoader(ctx).load(h.id)
                : await modelLoader(ctx).load(h.id);
        if (!loaded) return null;
        const type = { DATASET: DatasetRef, JOB: JobRef, RUN: RunRef, MODEL: RegisteredModelRef }[h.kind].name;
        brandWithType(loaded, type as Parameters<typeof brandWithType>[1]);
        return loaded;
      },
    }),
  }),
});

builder.queryField('search', (t) =>
  t.field({
    type: [SearchHitRef],
    description:
      'Datasets, jobs, training runs and registered models whose name starts with `query` (any case), of projects the caller may see, by name. ' +
      'One query for a search box: `kinds` narrows it.',
    args: {
      query: t.arg.string({ required: true, description: 'The start of a name, e.g. "clicks" or "daily_".' }),
      kinds: t.arg({ type: [SearchKindEnum], description: 'Only these kinds (all when omitted).' }),
      first: t.arg.int({ defaultValue: 20, description: 'At most this many results (1 to 1000).' }),
    },
    resolve: (_root, args, ctx) => ctx.services.catalog.search(ctx.access, { prefix: args.query, kinds: args.kinds ?? null, first: args.first ?? 20 }),
  }),
);
