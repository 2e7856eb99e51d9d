// GraphQL of the compliance export: the bundle of a model version as JSON and as an HTML model card.
import { builder } from '../../builder.js';
import { renderModelCard } from './model-card.js';

const ComplianceExport = builder.simpleObject('ComplianceExport', {
  description: 'Everything a reviewer needs about one model version, as the caller may see it.',
  fields: (t) => ({
    json: t.field({
      type: 'JSON',
      description:
        'The bundle: version, run (params, metrics, environment, seed), code commit and diff, input dataset versions with digests and coverage, upstream lineage, promotion rule results, promotion requests with approvals, alias history.',
    }),
    html: t.string({ description: 'The same as a self-contained HTML model card (no scripts, no external requests).' }),
  }),
});

builder.queryFields((t) => ({
  complianceExport: t.field({
    type: ComplianceExport,
    description:
      'The compliance bundle of a model version (VIEWER of its model and run). `alias` names the alias whose promotion rules are evaluated now (default production).',
    args: { model: t.arg.string({ required: true }), version: t.arg.int({ required: true }), alias: t.arg.string() },
    resolve: async (_r, args, ctx) => {
      const bundle = await ctx.services.compliance.exportBundle(ctx.access, args.model, args.version, args.alias ?? 'production');
      return { json: bundle, html: renderModelCard(bundle) };
    },
  }),
}));
