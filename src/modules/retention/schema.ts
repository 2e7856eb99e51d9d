// GraphQL of retention: a project's policy, its dry-run reports (plans), and applying one.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { builder } from '../../builder.js';
import { decodeId } from '../../ids.js';
import { ProjectRef } from '../projects/schema.js';
import type { RetentionPlan, RetentionPolicy, RetentionReport } from './service.js';

const RetentionPolicyRef = builder.objectRef<RetentionPolicy>('RetentionPolicy');
RetentionPolicyRef.implement({
  description:
    "How long a project's runs are kept. Runs a registered model version's lineage needs, and pinned runs (tag runledger.pinned=true), are always kept.",
  fields: (t) => ({
    deleteRunsAfterDays: t.exposeInt('deleteRunsAfterDays', { nullable: true, description: 'Runs started longer ago are soft-deleted; null: kept.' }),
    graceDays: t.exposeInt('graceDays', { description: 'Soft-deleted runs (by retention or by anyone) are purged this long after deletion.' }),
    downsampleAfterDays: t.exposeInt('downsampleAfterDays', {
      nullable: true,
      description: "Runs that ended longer ago keep only their metric history's rollup extremes (every rollup read stays exact); null: never.",
    }),
  }),
});

const RetentionPlanRef = builder.objectRef<RetentionPlan>('RetentionPlan');
RetentionPlanRef.implement({
  description: 'A dry-run report of what retention would remove, and, once applied, what it did.',
  fields: (t) => ({
    id: t.id({ description: 'Global id, for applyRetention.', resolve: (p) => encodeGlobalID('RetentionPlan', p.id) }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    createdBy: t.exposeString('createdBy', { nullable: true }),
    report: t.field({
      type: 'JSON',
      description: 'What would go: runs to soft-delete, purge and downsample, blobs to delete, with totals (runs, points, bytes).',
      resolve: (p) => p.report,
    }),
    runsToDelete: t.int({ resolve: (p) => (p.report as unknown as RetentionReport).totals.runsToDelete }),
    runsToPurge: t.int({ resolve: (p) => (p.report as unknown as RetentionReport).totals.runsToPurge }),
    runsToDownsample: t.int({ resolve: (p) => (p.report as unknown as RetentionReport).totals.runsToDownsample }),
    pointsToRemove: t.field({ type: 'SafeInt', resolve: (p) => (p.report as unknown as RetentionReport).totals.pointsToRemove }),
    bytesToFree: t.field({ type: 'SafeInt', resolve: (p) => (p.report as unknown as RetentionReport).totals.bytesToFree }),
    appliedAt: t.expose('appliedAt', { type: 'DateTime', nullable: true }),
    appliedBy: t.exposeString('appliedBy', { nullable: true }),
    result: t.field({ type: 'JSON', nullable: true, description: 'What applying it removed (and what it skipped, no longer due).', resolve: (p) => p.result }),
  }),
});

builder.objectFields(ProjectRef, (t) => ({
  retentionPolicy: t.field({ type: RetentionPolicyRef, resolve: (p, _a, ctx) => ctx.services.retention.policy(ctx.access, p) }),
  retentionPlans: t.field({
    type: [RetentionPlanRef],
    description: 'Retention reports of this project, newest first (ADMIN).',
    args: { first: t.arg.int({ defaultValue: 20 }) },
    resolve: (p, args, ctx) => ctx.services.retention.plans(ctx.access, p, Math.min(Math.max(args.first ?? 20, 0), 100)),
  }),
}));

const SetRetentionPolicyInput = builder.inputType('SetRetentionPolicyInput', {
  fields: (t) => ({
    project: t.string({ required: true }),
    deleteRunsAfterDays: t.int({ description: 'Leave out (or null) to keep runs.' }),
    graceDays: t.int({ description: 'Default 14; 0 purges at the next pass.' }),
    downsampleAfterDays: t.int({ description: 'Leave out (or null) to keep full metric history.' }),
  }),
});

builder.mutationFields((t) => ({
  setRetentionPolicy: t.field({
    type: RetentionPolicyRef,
    description: "Sets a project's retention policy (ADMIN). Nothing is removed until a plan is made and applied.",
    args: { input: t.arg({ type: SetRetentionPolicyInput, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.services.retention.setPolicy(ctx.access, input),
  }),
  planRetention: t.field({
    type: RetentionPlanRef,
    description:
      'Makes the dry-run report of retention for a project now (ADMIN): what would be soft-deleted, purged, downsampled and freed. Nothing is removed.',
    args: { input: t.arg({ type: builder.inputType('PlanRetentionInput', { fields: (f) => ({ project: f.string({ required: true }) }) }), required: true }) },
    resolve: (_r, { input }, ctx) => ctx.services.retention.plan(ctx.access, input.project),
  }),
  applyRetention: t.field({
    type: RetentionPlanRef,
    description:
      'Carries out a retention plan made within the last day (ADMIN), once: no more than it lists, only what is still due, never a run a registered model needs. Each removal is written to the audit log.',
    args: { input: t.arg({ type: builder.inputType('ApplyRetentionInput', { fields: (f) => ({ plan: f.id({ required: true }) }) }), required: true }) },
    resolve: (_r, { input }, ctx) => ctx.services.retention.apply(ctx.access, decodeId('RetentionPlan', String(input.plan), 'input.plan')),
  }),
}));
