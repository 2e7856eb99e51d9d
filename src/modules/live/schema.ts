// GraphQL subscriptions: metricLogged (points as they commit, with replay) and runUpdated.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { builder } from '../../builder.js';
import { decodeId } from '../../ids.js';
import { Loaders } from '../../loaders.js';
import { RunRef } from '../runs/schema.js';
import { AccessEnded } from './access-watch.js';

/** The last event of a subscription whose caller lost access becomes its authorization error. */
function unlessAccessEnded<T>(event: T | AccessEnded): T {
  if (event instanceof AccessEnded) throw event.error;
  return event;
}

builder.subscriptionType({
  description:
    'Live updates over graphql-ws (WebSocket) or server-sent events on /graphql. A subscription never misses a committed ' +
    'metric point silently: it either delivers it or ends with a dropped batch saying where to resume, and ' +
    'metricLogged(sinceStep) replays from the database from there. runUpdated ends when live delivery was interrupted.',
});

const MetricBatchPoint = builder.simpleObject('MetricBatchPoint', {
  description: 'One metric point; (key, step, timestamp) is its identity.',
  fields: (t) => ({
    key: t.string(),
    step: t.field({ type: 'SafeInt' }),
    timestamp: t.field({ type: 'DateTime' }),
    value: t.field({ type: 'MetricValue' }),
  }),
});

const MetricBatch = builder.simpleObject('MetricBatch', {
  description:
    'Points of one run. Replayed batches come first, in (step, timestamp, key) order; live batches follow in commit order, ' +
    'each sent only after the logBatch that wrote it committed.',
  fields: (t) => ({
    runId: t.id({ description: 'Global id of the run.' }),
    points: t.field({ type: [MetricBatchPoint], description: 'Empty only on a dropped batch.' }),
    replay: t.boolean({ description: 'True when the points were read back from the database because of sinceStep.' }),
    committedAt: t.field({ type: 'DateTime', nullable: true, description: 'When the batch committed; null for replayed points.' }),
    resumeFromStep: t.field({
      type: 'SafeInt',
      description:
        'Where to pick up after a disconnect: discard your points with step >= resumeFromStep and subscribe again with ' +
        'sinceStep = resumeFromStep. On ordinary batches it is the highest step received so far (exact when steps are ' +
        'logged in increasing order); on a dropped batch, the lowest step not delivered.',
    }),
    dropped: t.boolean({
      description:
        'True on the last batch of a subscription that could not keep up (more pending points than the server keeps per ' +
        'subscription), whose live feed was interrupted (Redis connection lost), that learned of committed points whose ' +
        "batch never reached it (its replica died between commit and publish: every batch carries each series' count, and " +
        'the server compares them with the database every few seconds), or whose server is shutting down. Points not ' +
        'delivered are dropped and the subscription ends; resubscribe (to any replica) with sinceStep = resumeFromStep to ' +
        'get them from the database. Live delivery is therefore at least once from what is committed.',
    }),
  }),
});

builder.subscriptionFields((t) => ({
  metricLogged: t.field({
    type: MetricBatch,
    description:
      'Metric points of a run as they are committed. With sinceStep, first replays the stored points with step >= sinceStep, ' +
      'then continues live with no gap and no duplicate at the seam. A subscriber that falls behind gets a final batch with ' +
      'dropped = true and resumeFromStep; at most maxKeysPerSubscription keys (LIMIT_EXCEEDED otherwise).',
    args: {
      runId: t.arg.id({ required: true }),
      keys: t.arg.stringList({ description: 'Only these metric keys; all keys when omitted.' }),
      sinceStep: t.arg({
        type: 'SafeInt',
        description: 'Replay stored points with step >= sinceStep before going live (live points below it are skipped too); live only when omitted.',
      }),
    },
    subscribe: (_root, args, ctx) =>
      ctx.services.live.metricLogged(ctx.access, { runId: decodeId('Run', String(args.runId), 'runId'), keys: args.keys, sinceStep: args.sinceStep }),
    resolve: (event) => {
      const batch = unlessAccessEnded(event);
      return { ...batch, runId: encodeGlobalID('Run', batch.runId) };
    },
  }),
  runUpdated: t.field({
    type: RunRef,
    description:
      'Runs of a project as they are created, change status, finish, get tags changed, are renamed, deleted or restored. ' +
      'Each event carries the run as stored at that moment; bursts for one run are coalesced. The stream ends if live ' +
      'delivery was interrupted: refetch and subscribe again.',
    args: { project: t.arg.string({ required: true, description: 'Project name.' }) },
    subscribe: (_root, args, ctx) => ctx.services.live.runUpdated(ctx.access, args.project),
    resolve: (event, _args, ctx) => {
      const run = unlessAccessEnded(event);
      // One subscription context lives for many events: fresh loaders, so no event sees another's cache.
      ctx.loaders = new Loaders(ctx.services);
      return run;
    },
  }),
}));
