// Root query fields for finding, comparing and aggregating runs.
import { parseMlflowRunId } from './mlflow-id.js';
import { forwardConnection } from '../../connections.js';
import { builder, SortDirection } from '../../builder.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { decodeId } from '../../ids.js';
import { paramsLoader, runLoader } from './loaders.js';
import { RunConnection, RunRef, RunViewEnum } from './schema.js';
import { ProjectRef } from '../projects/schema.js';
import { requireForwardPaging } from '../../validation.js';
import type { Context } from '../../context.js';
import type { SearchRunsInput } from './search.js';
import { summaryLoader } from '../metrics/loaders.js';

export const RunOrder = builder.inputType('RunOrder', {
  description: 'One sort key: `metrics.X` (latest value), `params.X`, `tags.X` or `attributes.X`.',
  fields: (t) => ({
    field: t.string({ required: true, description: 'e.g. "metrics.val_auc" or "attributes.started_at".' }),
    direction: t.field({ type: SortDirection, defaultValue: 'ASC' }),
  }),
});

const searchArgs = builder.args((t) => ({
  filter: t.string({
    description: "MLflow search syntax plus `or`, `not`, parentheses and IN: e.g. `metrics.auc > 0.9 and (params.opt = 'adam' or tags.team IN ('a','b'))`.",
  }),
  orderBy: t.field({ type: [RunOrder], description: 'Sort keys; default `attributes.started_at DESC`. Missing values sort last.' }),
  view: t.field({ type: RunViewEnum, defaultValue: 'ACTIVE_ONLY' }),
}));

async function runPage(ctx: Context, input: SearchRunsInput & { last?: number | null; before?: string | null }) {
  requireForwardPaging(input);
  const page = await ctx.services.search.search(ctx.access, input);
  const edges = page.runs.map(({ run, cursor }) => ({ node: run, cursor }));
  for (const { run } of page.runs) runLoader(ctx).prime(run.id, run);
  return { ...forwardConnection(edges, page.hasNextPage, input.after), totalCount: page.totalCount };
}

builder.objectField(ProjectRef, 'runs', (t) =>
  t.connection(
    {
      type: RunRef,
      description: 'Runs of this project matching a filter, in the order asked.',
      args: searchArgs,
      resolve: (project, args, ctx) => runPage(ctx, { ...args, project: project.name, orderBy: args.orderBy ?? null }),
    },
    RunConnection,
  ),
);

const RunKeys = builder.simpleObject('RunKeys', {
  description: "The keys a project's runs logged, by name: what a runs table offers as columns.",
  fields: (t) => ({
    metrics: t.stringList({ description: 'Metric keys.' }),
    params: t.stringList({ description: 'Param keys.' }),
    tags: t.stringList({ description: 'Tag keys.' }),
  }),
});

builder.objectField(ProjectRef, 'runKeys', (t) =>
  t.field({
    type: RunKeys,
    description: "Metric, param and tag keys logged by the project's most recent active runs (by start time), whatever any one run logged.",
    args: { recentRuns: t.arg.int({ description: 'How many of the most recent runs to read, 1 to 10,000 (default 1,000).' }) },
    resolve: (project, args, ctx) => ctx.services.search.keys(ctx.access, project, args.recentRuns),
  }),
);

const ComparedParam = builder.simpleObject('ComparedParam', {
  description: 'One param across the compared runs.',
  fields: (t) => ({
    key: t.string(),
    values: t.stringList({ nullable: { list: false, items: true }, description: 'Per run, in the order of `runs`; null where the run lacks it.' }),
    differs: t.boolean({ description: 'True when the runs do not all have the same value.' }),
  }),
});

const ComparedMetric = builder.simpleObject('ComparedMetric', {
  description: 'The latest value of one metric across the compared runs.',
  fields: (t) => ({
    key: t.string(),
    values: t.field({ type: ['MetricValue'], nullable: { list: false, items: true }, description: 'Per run; null where the run lacks it.' }),
    differs: t.boolean(),
  }),
});

const RunComparison = builder.simpleObject('RunComparison', {
  description: 'Runs side by side: params (with the differing ones marked) and latest metrics.',
  fields: (t) => ({
    runs: t.field({ type: [RunRef] }),
    params: t.field({ type: [ComparedParam] }),
    metrics: t.field({ type: [ComparedMetric] }),
  }),
});

const RunGroup = builder.simpleObject('RunGroup', {
  description: 'Runs sharing one value of the groupBy field.',
  fields: (t) => ({
    key: t.string({ nullable: true, description: 'The value; null groups runs that lack the field.' }),
    runCount: t.int(),
    totalDurationSeconds: t.float({ description: 'Sum of wall time; running runs count until now.' }),
    gpuHours: t.float({ description: 'Sum of duration x GPU count, in hours.' }),
    running: t.int(),
    finished: t.int(),
    failed: t.int(),
    killed: t.int(),
  }),
});

const MetricGoal = builder.enumType('MetricGoal', { values: ['MAXIMIZE', 'MINIMIZE'] as const, description: 'Which end of a metric is best.' });

const ParamValueStats = builder.simpleObject('ParamValueStats', {
  description: 'One value a param took, how often, and the best result it gave.',
  fields: (t) => ({
    value: t.string(),
    runCount: t.int(),
    bestMetric: t.field({ type: 'MetricValue', nullable: true, description: 'Best latest value of `metric` among these runs.' }),
    bestRun: t.field({ type: RunRef, nullable: true }),
  }),
});

function sameValues(values: readonly (string | number | null)[]): boolean {
  return values.every((v) => Object.is(v, values[0]));
}

builder.queryFields((t) => ({
  run: t.field({
    type: RunRef,
    nullable: true,
    description: 'A run by id (deleted runs included, with deletedAt set).',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => runLoader(ctx).load(decodeId('Run', String(args.id), 'id')),
  }),
  mlflowRun: t.field({
    type: RunRef,
    nullable: true,
    description:
      'The run behind an MLflow run id (Run.mlflowRunId: 32 hex characters, as in the <server>/#/experiments/<id>/runs/<runId> links MLflow clients print), or null when there is none or the caller may not see it.',
    args: { id: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => {
      const id = parseMlflowRunId(args.id);
      return id === null ? null : runLoader(ctx).load(id);
    },
  }),
  runs: t.connection(
    {
      type: RunRef,
      description: 'Runs of a project matching a filter, in the order asked.',
      args: { project: t.arg.string({ required: true, description: 'Project name.' }), ...searchArgs },
      resolve: (_root, args, ctx) => runPage(ctx, { ...args, orderBy: args.orderBy ?? null }),
    },
    RunConnection,
  ),
  compareRuns: t.field({
    type: RunComparison,
    description: 'Params side by side with differences marked, and latest metrics, for 2 to 100 runs.',
    args: { ids: t.arg.idList({ required: true }) },
    resolve: async (_root, args, ctx) => {
      if (args.ids.length < 1 || args.ids.length > 100) throw new ValidationError('ids', 'give 1 to 100 run ids');
      const ids = args.ids.map((id, i) => decodeId('Run', String(id), `ids[${i}]`));
      const runs = await Promise.all(
        ids.map(async (id) => {
          const run = await runLoader(ctx).load(id);
          if (!run) throw new NotFoundError('Run', id);
          return run;
        }),
      );
      const [params, summaries] = await Promise.all([paramsLoader(ctx).loadMany(runs), summaryLoader(ctx).loadMany(runs)]);
      const paramMaps = params.map((list) => new Map((list as { key: string; value: string }[]).map((p) => [p.key, p.value])));
      const metricMaps = summaries.map((list) => new Map((list as { key: string; lastValue: number }[]).map((m) => [m.key, m.lastValue])));
      const paramKeys = [...new Set(paramMaps.flatMap((m) => [...m.keys()]))].sort();
      const metricKeys = [...new Set(metricMaps.flatMap((m) => [...m.keys()]))].sort();
      return {
        runs,
        params: paramKeys.map((key) => {
          const values = paramMaps.map((m) => m.get(key) ?? null);
          return { key, values, differs: !sameValues(values) };
        }),
        metrics: metricKeys.map((key) => {
          const values = metricMaps.map((m) => m.get(key) ?? null);
          return { key, values, differs: !sameValues(values) };
        }),
      };
    },
  }),
  runGroups: t.field({
    type: [RunGroup],
    description: 'Run count, duration and GPU-hours per user, status, tag or param value, most GPU-hours first.',
    args: {
      project: t.arg.string({ required: true }),
      filter: t.arg.string(),
      groupBy: t.arg.string({ required: true, description: '"attributes.user", "attributes.status", "tags.X" or "params.X".' }),
      first: t.arg.int({ description: 'At most this many groups (default 100).' }),
    },
    resolve: (_root, args, ctx) => ctx.services.search.groups(ctx.access, args),
  }),
  paramValues: t.field({
    type: [ParamValueStats],
    description: 'The values a param took among matching runs, how often, and the best `metric` per value.',
    args: {
      project: t.arg.string({ required: true }),
      filter: t.arg.string(),
      key: t.arg.string({ required: true, description: 'The param key.' }),
      metric: t.arg.string({ description: 'Metric key whose best latest value is reported per param value.' }),
      goal: t.arg({ type: MetricGoal, defaultValue: 'MAXIMIZE' }),
      first: t.arg.int(),
    },
    resolve: async (_root, args, ctx) => {
      const rows = await ctx.services.search.paramValues(ctx.access, args);
      return Promise.all(
        rows.map(async (row) => ({
          value: row.value,
          runCount: row.runCount,
          bestMetric: row.bestValue,
          bestRun: row.bestRunId === null ? null : await runLoader(ctx).load(row.bestRunId),
        })),
      );
    },
  }),
}));
