// GraphQL types of metrics: summaries and history on Run, and the logBatch mutation.
import { builder } from '../../builder.js';
import { decodeId } from '../../ids.js';
import { RunRef } from '../runs/schema.js';
import { TagInput } from '../runs/mutations.js';
import { runHistoriesLoader, summaryLoader } from './loaders.js';
import { runLoader } from '../runs/loaders.js';
import { columnsOf, type MetricSeries as MetricSeriesRow } from './service.js';
import { selectsAny } from '../../graphql-selection.js';

/** The fields of MetricSeries that carry the points' times. */
const TIME_FIELDS = new Set(['points', 'timestamps', 'timestampsMs']);

const MetricSummary = builder.simpleObject('MetricSummary', {
  description: 'One metric of a run: its latest value (highest step, then latest timestamp), extremes and point count.',
  fields: (t) => ({
    key: t.string(),
    last: t.field({ type: 'MetricValue' }),
    lastStep: t.field({ type: 'SafeInt' }),
    lastTimestamp: t.field({ type: 'DateTime' }),
    min: t.field({ type: 'MetricValue', nullable: true, description: 'Smallest value, NaN excluded.' }),
    max: t.field({ type: 'MetricValue', nullable: true, description: 'Largest value, NaN excluded.' }),
    count: t.int({ description: 'Points logged.' }),
  }),
});

const MetricPoint = builder.simpleObject('MetricPoint', {
  fields: (t) => ({
    step: t.field({ type: 'SafeInt' }),
    timestamp: t.field({ type: 'DateTime' }),
    value: t.field({ type: 'MetricValue' }),
  }),
});

const MetricSeries = builder.simpleObject('MetricSeries', {
  description: 'A metric series, downsampled when longer than maxPoints: each bucket keeps its lowest and highest point.',
  fields: (t) => ({
    key: t.string(),
    totalPoints: t.int({ description: 'Points in the requested step range before downsampling.' }),
    sampled: t.boolean({ description: 'True when points were dropped to fit maxPoints.' }),
    bucketSteps: t.int({
      nullable: true,
      description: 'When sampled: each bucket spans this many steps (aligned to multiples of it) and contributes its lowest and highest point.',
    }),
    points: t.field({ type: [MetricPoint], description: 'In step order.' }),
  }),
});

// The same points as parallel lists: a long series costs three list completions instead of an
// object and three fields per point (a 100,000-point read is mostly that per-point work).
builder.objectFields(MetricSeries, (t) => ({
  steps: t.field({
    type: ['SafeInt'],
    description:
      'The steps of `points`, in the same order: with `values` and `timestamps`, the points as parallel lists (the i-th of each make one point), cheaper to send and read for long series.',
    resolve: (s) => columnsOf(s as MetricSeriesRow).steps,
  }),
  values: t.field({
    type: ['MetricValue'],
    description: 'The values of `points`, in the same order as `steps`.',
    resolve: (s) => columnsOf(s as MetricSeriesRow).values,
  }),
  timestamps: t.field({
    type: ['DateTime'],
    description: 'The timestamps of `points`, in the same order as `steps`.',
    resolve: (s) => s.points.map((p) => p.timestamp),
  }),
  timestampsMs: t.floatList({
    description: 'The same instants as `timestamps`, as milliseconds since the Unix epoch: half the bytes of the ISO strings, and no date parsing.',
    resolve: (s) => columnsOf(s as MetricSeriesRow).times,
  }),
}));

// Each series carries the run it belongs to (histories of many runs come back in one list).
builder.objectField(MetricSeries, 'run', (t) =>
  t.field({
    type: RunRef,
    description: 'The run whose series this is.',
    resolve: async (s, _a, ctx) => (await runLoader(ctx).load((s as unknown as { runId: number }).runId))!,
  }),
);

function toSummary(s: { key: string; lastValue: number; lastStep: number; lastTimestamp: Date; min: number | null; max: number | null; count: number }) {
  return { key: s.key, last: s.lastValue, lastStep: s.lastStep, lastTimestamp: s.lastTimestamp, min: s.min, max: s.max, count: s.count };
}

builder.objectFields(RunRef, (t) => ({
  metrics: t.field({
    type: [MetricSummary],
    description: 'Every metric of the run, by key.',
    resolve: async (r, _a, ctx) => (await summaryLoader(ctx).load(r)).map(toSummary),
  }),
  metric: t.field({
    type: MetricSummary,
    nullable: true,
    args: { key: t.arg.string({ required: true }) },
    resolve: async (r, { key }, ctx) => {
      const found = (await summaryLoader(ctx).load(r)).find((m) => m.key === key);
      return found ? toSummary(found) : null;
    },
  }),
  metricHistory: t.field({
    type: MetricSeries,
    description: 'The points of one metric, at most maxPoints of them; the global min and max are always kept.',
    args: {
      key: t.arg.string({ required: true }),
      maxPoints: t.arg.int({
        defaultValue: 1000,
        description:
          '2 to 100000. A series this long or shorter comes whole; a longer one is sampled into buckets of equal steps, two points each (the lowest and the highest), filling between half of maxPoints and maxPoints.',
      }),
      fromStep: t.arg({ type: 'SafeInt' }),
      toStep: t.arg({ type: 'SafeInt' }),
    },
    resolve: (r, args, ctx) => ctx.services.metrics.history(ctx.access, r, args),
  }),
  metricHistories: t.field({
    type: [MetricSeries],
    description:
      'Several metrics of the run at once (every metric it logged when `keys` is left out), each whole and downsampled to at most ' +
      'maxPoints as metricHistory does, by key. One read for every run of the request asking the same keys.',
    args: {
      keys: t.arg.stringList({ description: 'At most 50 metric keys; a key the run never logged gives an empty series.' }),
      maxPoints: t.arg.int({ defaultValue: 500, description: '2 to 5000 per series; series x maxPoints at most 1,000,000.' }),
    },
    resolve: (r, args, ctx) => runHistoriesLoader(ctx, args.keys ?? null, args.maxPoints ?? null).load(r),
  }),
}));

builder.queryField('metricHistories', (t) =>
  t.field({
    type: [MetricSeries],
    description:
      'The same metrics of many runs, for charts that overlay runs (a panel grid): one series per run and key, run by run in the ' +
      'order of runIds, then in the order of keys, each whole and downsampled to at most maxPoints (each bucket keeps its lowest ' +
      'and highest point); a key a run never logged gives an empty series. A fixed number of SQL statements however many series.',
    args: {
      runIds: t.arg.idList({ required: true, description: '1 to 100 runs, each visible to the caller.' }),
      keys: t.arg.stringList({ required: true, description: '1 to 50 metric keys.' }),
      maxPoints: t.arg.int({ defaultValue: 500, description: '2 to 5000 per series; runs x keys x maxPoints at most 1,000,000.' }),
      significantDigits: t.arg.int({
        description: 'Rounds values to this many significant digits (1 to 17), enough for a chart and fewer bytes to send; full precision when left out.',
      }),
    },
    resolve: (_root, args, ctx, info) =>
      ctx.services.metrics.histories(ctx.access, {
        runIds: args.runIds.map((id, i) => decodeId('Run', String(id), `runIds[${i}]`)),
        refs: args.runIds.map(String),
        keys: args.keys,
        maxPoints: args.maxPoints,
        significantDigits: args.significantDigits,
        // A panel grid selects no times until its x axis is time: two of a read's seven columns.
        times: selectsAny(info, TIME_FIELDS),
      }),
  }),
);

export const ParamInput = builder.inputType('ParamInput', {
  fields: (t) => ({
    key: t.string({ required: true }),
    value: t.string({ required: true, description: 'At most 6000 characters. Immutable once logged.' }),
  }),
});

const MetricPointInput = builder.inputType('MetricPointInput', {
  fields: (t) => ({
    key: t.string({ required: true }),
    value: t.field({ type: 'MetricValue', required: true }),
    step: t.field({ type: 'SafeInt', description: 'Defaults to 0.' }),
    timestamp: t.field({ type: 'DateTime', description: 'Defaults to the time of the request. Part of the point identity.' }),
  }),
});

const MetricSeriesInput = builder.inputType('MetricSeriesInput', {
  description:
    'Points of one key as parallel lists (the i-th step, value and timestamp make one point): ' +
    'smaller to send and cheaper to parse than one object per point, for clients that buffer.',
  fields: (t) => ({
    key: t.string({ required: true }),
    steps: t.field({ type: ['SafeInt'], required: true }),
    values: t.field({ type: ['MetricValue'], required: true, description: 'One per step.' }),
    timestamps: t.field({ type: ['DateTime'], description: 'One per step; each defaults to the time of the request. Part of the point identity.' }),
  }),
});

const LogBatchInput = builder.inputType('LogBatchInput', {
  fields: (t) => ({
    runId: t.id({ required: true }),
    batchId: t.string({ description: 'Retry key: a repeated call with the same batchId writes nothing and returns the first answer.' }),
    params: t.field({ type: [ParamInput] }),
    metrics: t.field({ type: [MetricPointInput], description: 'At most 10,000 points, counting those in series.' }),
    series: t.field({ type: [MetricSeriesInput], description: 'Points by key, as columns; the same points as `metrics` would carry.' }),
    tags: t.field({ type: [TagInput] }),
  }),
});

const LogBatchPayload = builder.simpleObject('LogBatchPayload', {
  fields: (t) => ({
    runId: t.id({ description: 'Global id of the run written to.' }),
    paramsWritten: t.int({ description: 'New params (repeats of an existing value are not counted).' }),
    tagsWritten: t.int(),
    pointsWritten: t.int(),
    pointsSkipped: t.int({ description: 'Points already stored with the same run, key, step and timestamp.' }),
    replayed: t.boolean({ description: 'True when batchId matched an earlier call: nothing was written this time.' }),
  }),
});

builder.mutationFields((t) => ({
  logBatch: t.field({
    type: LogBatchPayload,
    description: 'Logs params, metric points and tags in one transaction: all of it is written, or none.',
    args: { input: t.arg({ type: LogBatchInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const runId = decodeId('Run', String(input.runId), 'input.runId');
      const result = await ctx.services.metrics.logBatch(ctx.access, { ...input, runId });
      return { ...result, runId: input.runId };
    },
  }),
}));

// Loaded only when a client asks for it: the ingest hot path usually selects counts alone.
builder.objectField(LogBatchPayload, 'run', (t) =>
  t.field({
    type: RunRef,
    resolve: async (payload, _args, ctx) => (await runLoader(ctx).load(decodeId('Run', String(payload.runId), 'runId')))!,
  }),
);
