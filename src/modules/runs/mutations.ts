// Mutations of the run lifecycle and tags. logBatch lives with the metrics.
import { builder } from '../../builder.js';
import { decodeId } from '../../ids.js';
import { KEY_RULE_TEXT } from '../../validation.js';
import { RunRef } from './schema.js';
import { pendingAuditFor } from '../audit/plugin.js';

export const TagInput = builder.inputType('TagInput', {
  fields: (t) => ({
    key: t.string({ required: true, description: KEY_RULE_TEXT }),
    value: t.string({ required: true, description: 'At most 8000 characters.' }),
  }),
});

const CodeVersionInput = builder.inputType('CodeVersionInput', {
  fields: (t) => ({
    repository: t.string({ required: true }),
    commit: t.string({ required: true, description: 'Hex commit sha (4 to 64 characters).' }),
    branch: t.string(),
    dirty: t.boolean({ description: 'Uncommitted changes in the working tree.' }),
    committedAt: t.field({
      type: 'DateTime',
      description:
        "When the commit was made (git's committer date), e.g. when importing history from another tracker. The first run that gives it sets CodeCommit.committedAt; a different one later is a CONFLICT.",
    }),
  }),
});

const StartRunInput = builder.inputType('StartRunInput', {
  fields: (t) => ({
    project: t.string({ required: true, description: 'Project name.' }),
    clientRunId: t.string({ description: 'Retry key: a second startRun with the same key returns the first run.' }),
    name: t.string(),
    user: t.string({
      description:
        'Who the run is for. Only a global admin (or the local user with authentication off) may name someone else, to import ' +
        "history; the run then records the admin in recordedBy. From anyone else it is ignored: a run is recorded for the token's user.",
    }),
    notes: t.string(),
    group: t.string({ description: 'Sweep or ablation group.' }),
    parentRunId: t.id({ description: 'Parent run in the same project.' }),
    startedAt: t.field({ type: 'DateTime', description: 'Defaults to now.' }),
    environment: t.field({ type: 'JSON', description: 'Runtime versions, packages, hardware (hardware.gpus: count or list), hostname.' }),
    seed: t.string(),
    codeVersion: t.field({ type: CodeVersionInput }),
    tags: t.field({ type: [TagInput] }),
  }),
});

const StartRunPayload = builder.simpleObject('StartRunPayload', {
  fields: (t) => ({
    run: t.field({ type: RunRef }),
    created: t.boolean({ description: 'False when clientRunId matched an existing run.' }),
  }),
});

const FinalStatus = builder.enumType('FinalRunStatus', { values: ['FINISHED', 'FAILED', 'KILLED'] as const, description: 'How a run ended.' });

const FinishRunInput = builder.inputType('FinishRunInput', {
  fields: (t) => ({
    runId: t.id({ required: true }),
    status: t.field({ type: FinalStatus, defaultValue: 'FINISHED' }),
    endedAt: t.field({ type: 'DateTime', description: 'Defaults to now.' }),
  }),
});

const SetTagsInput = builder.inputType('SetTagsInput', {
  fields: (t) => ({
    runId: t.id({ required: true }),
    tags: t.field({ type: [TagInput], description: 'Tags to add or overwrite.' }),
    remove: t.stringList({ description: 'Tag keys to delete.' }),
  }),
});

const RunIdInput = builder.inputType('RunIdInput', { fields: (t) => ({ runId: t.id({ required: true }) }) });

const UpdateRunInput = builder.inputType('UpdateRunInput', {
  fields: (t) => ({ runId: t.id({ required: true }), name: t.string(), notes: t.string() }),
});

const ResumeRunPayload = builder.simpleObject('ResumeRunPayload', {
  fields: (t) => ({
    run: t.field({ type: RunRef }),
    resumed: t.boolean({ description: 'False when the run was already RUNNING (nothing changed).' }),
  }),
});

const RunPayload = builder.simpleObject('RunPayload', {
  description: 'The run after the change.',
  fields: (t) => ({ run: t.field({ type: RunRef }) }),
});

builder.mutationFields((t) => ({
  startRun: t.field({
    type: StartRunPayload,
    description: 'Starts a run in a project. Retry-safe with clientRunId.',
    args: { input: t.arg({ type: StartRunInput, required: true }) },
    resolve: (_root, { input }, ctx, info) =>
      ctx.services.runs.start(
        ctx.access,
        { ...input, parentRunId: input.parentRunId ? decodeId('Run', String(input.parentRunId), 'input.parentRunId') : null },
        { audit: pendingAuditFor(ctx, info, 'Run') },
      ),
  }),
  finishRun: t.field({
    type: RunPayload,
    description: 'Ends a run. Repeating it with the same status changes nothing.',
    args: { input: t.arg({ type: FinishRunInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const runId = decodeId('Run', String(input.runId), 'input.runId');
      return { run: await ctx.services.runs.finish(ctx.access, { ...input, runId }) };
    },
  }),
  resumeRun: t.field({
    type: ResumeRunPayload,
    description:
      'Continues a run that ended KILLED or FAILED (a preempted or crashed job): RUNNING again, its points kept, so logging goes on at the next step. ' +
      'A FINISHED run is final (CONFLICT); resuming a RUNNING run changes nothing. Recorded in the audit log like every mutation.',
    args: { input: t.arg({ type: RunIdInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ctx.services.runs.resume(ctx.access, decodeId('Run', String(input.runId), 'input.runId')),
  }),
  setTags: t.field({
    type: RunPayload,
    description: 'Adds, overwrites or removes tags (tags are mutable, params are not).',
    args: { input: t.arg({ type: SetTagsInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const runId = decodeId('Run', String(input.runId), 'input.runId');
      return { run: await ctx.services.runs.setTags(ctx.access, { ...input, runId }) };
    },
  }),
  updateRun: t.field({
    type: RunPayload,
    description: 'Renames a run or edits its notes.',
    args: { input: t.arg({ type: UpdateRunInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const runId = decodeId('Run', String(input.runId), 'input.runId');
      return { run: await ctx.services.runs.update(ctx.access, { ...input, runId }) };
    },
  }),
  deleteRun: t.field({
    type: RunPayload,
    description: 'Soft-deletes a run: hidden from search, kept for restoreRun.',
    args: { input: t.arg({ type: RunIdInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const runId = decodeId('Run', String(input.runId), 'input.runId');
      return { run: await ctx.services.runs.delete(ctx.access, runId) };
    },
  }),
  restoreRun: t.field({
    type: RunPayload,
    description: 'Brings back a soft-deleted run.',
    args: { input: t.arg({ type: RunIdInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const runId = decodeId('Run', String(input.runId), 'input.runId');
      return { run: await ctx.services.runs.restore(ctx.access, runId) };
    },
  }),
}));
