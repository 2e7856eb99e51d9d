// GraphQL of promotion requests: reading them (one, a list, those the caller may act on), filing
// one, approving, rejecting and cancelling, and the request behind each alias move.
import { builder } from '../../builder.js';
import { forwardConnection, numberCursor, numberPageArgs } from '../../connections.js';
import type { Context } from '../../context.js';
import { byId, loadNodes, manyByParent } from '../../loaders.js';
import { parseGateResults } from '../governance/gate-rules.js';
import { ApprovalRequirementRef, GateResultRef } from '../governance/schema.js';
import { ProjectRef } from '../projects/schema.js';
import { modelLoader, modelVersionLoader } from './loaders.js';
import { AliasEventRef, AliasOverrideInput, ModelVersionRef, RegisteredModelRef } from './schema.js';
import { type PromotionDecision, type PromotionRequest, statusOf } from './service.js';

export const promotionRequestLoader = (ctx: Context) =>
  ctx.loaders.get('promotionRequest', (s) =>
    byId(
      (ids) => s.registry.promotions.visibleByIds(ctx.access, ids),
      (r) => r.id,
    ),
  );

const decisionsLoader = (ctx: Context) =>
  ctx.loaders.get('promotionDecisions', (s) =>
    manyByParent(
      (requests: readonly PromotionRequest[]) => s.registry.promotions.decisionsOf(ctx.access, requests),
      (d) => d.requestId,
    ),
  );

const StatusEnum = builder.enumType('PromotionStatus', {
  description: 'Where a promotion request stands.',
  values: {
    PENDING: { description: 'Waiting for approvals.' },
    APPROVED: { description: 'Its rule was met and the alias moved.' },
    REJECTED: { description: 'An approver rejected it.' },
    CANCELLED: { description: 'Its requester (or a project admin) withdrew it.' },
    EXPIRED: { description: 'Not decided in time.' },
  },
});

const DecisionEnum = builder.enumType('PromotionDecisionKind', { values: ['APPROVE', 'REJECT', 'CANCEL'] as const });

const DecisionRef = builder.objectRef<PromotionDecision>('PromotionDecision');
DecisionRef.implement({
  description: 'One approval, rejection or cancellation (append-only).',
  fields: (t) => ({
    who: t.exposeString('actor'),
    decision: t.field({ type: DecisionEnum, resolve: (d) => d.decision as 'APPROVE' | 'REJECT' | 'CANCEL' }),
    comment: t.exposeString('comment', { nullable: true }),
    groups: t.exposeStringList('groups', { description: 'The approver groups they were in when deciding.' }),
    at: t.expose('at', { type: 'DateTime' }),
  }),
});

const ProgressRef = builder.simpleObject('ApprovalProgress', {
  description: 'One requirement of the rule, and who has counted for it so far.',
  fields: (t) => ({
    requirement: t.field({ type: ApprovalRequirementRef }),
    approvedBy: t.stringList(),
    missing: t.int({ description: 'Approvals still needed for it.' }),
  }),
});

export const PromotionRequestRef = builder.objectRef<PromotionRequest>('PromotionRequest');

const versionOf = (ctx: Context, id: number | null) => (id === null ? null : modelVersionLoader(ctx).load(id));

builder.node(PromotionRequestRef, {
  description: 'A move of a protected alias waiting for (or decided by) its approvals.',
  id: { resolve: (r) => r.id },
  authScopes: async (r, ctx) => ({ readProject: (await modelLoader(ctx).load(r.modelId))?.projectId ?? 0 }),
  loadMany: (ids, ctx) => loadNodes(promotionRequestLoader(ctx), ids, PromotionRequestRef.name),
  fields: (t) => ({
    number: t.exposeInt('id', { description: 'The number people use: `runledger approve <number>`, /promotions/<number>.' }),
    url: t.string({ description: 'Its page on the dashboard.', resolve: (r, _a, ctx) => ctx.services.registry.promotions.link(r.id) }),
    model: t.field({ type: RegisteredModelRef, resolve: async (r, _a, ctx) => (await modelLoader(ctx).load(r.modelId))! }),
    alias: t.exposeString('alias'),
    action: t.string({ description: 'SET, ROLLBACK or REMOVE.', resolve: (r) => r.action }),
    from: t.field({
      type: ModelVersionRef,
      nullable: true,
      description: 'What the alias held when it was asked.',
      resolve: (r, _a, ctx) => versionOf(ctx, r.fromVersionId),
    }),
    to: t.field({
      type: ModelVersionRef,
      nullable: true,
      description: 'Where it is to point; null for a removal.',
      resolve: (r, _a, ctx) => versionOf(ctx, r.toVersionId),
    }),
    requestedBy: t.exposeString('requestedBy'),
    reason: t.exposeString('reason'),
    override: t.exposeString('overrideReason', { nullable: true, description: 'Why failed promotion rules were overridden, when they were.' }),
    status: t.field({ type: StatusEnum, resolve: (r) => statusOf(r) }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    decidedAt: t.expose('decidedAt', { type: 'DateTime', nullable: true }),
    requirements: t.field({
      type: [ApprovalRequirementRef],
      description: 'The rule, as it stood when the request was filed.',
      resolve: (r, _a, ctx) => ctx.services.registry.promotions.requirementsOf(r),
    }),
    gateResults: t.field({
      type: [GateResultRef],
      description: 'The promotion rules as evaluated when it was filed (and again when the alias moved).',
      resolve: (r) => parseGateResults(r.gateResults),
    }),
    decisions: t.field({ type: [DecisionRef], resolve: (r, _a, ctx) => decisionsLoader(ctx).load(r) }),
    progress: t.field({
      type: [ProgressRef],
      description: 'Per requirement, who counted and how many are missing.',
      resolve: async (r, _a, ctx) => ctx.services.registry.promotions.progressOf(r, await decisionsLoader(ctx).load(r)).requirements,
    }),
  }),
});

builder.objectFields(AliasEventRef, (t) => ({
  promotionRequest: t.field({
    type: PromotionRequestRef,
    nullable: true,
    description: 'The approved request this move carried out (with its approvals); null for a direct move.',
    resolve: (e, _a, ctx) => (e.promotionRequestId === null ? null : promotionRequestLoader(ctx).load(e.promotionRequestId)),
  }),
  gateResults: t.field({
    type: [GateResultRef],
    nullable: true,
    description: 'The promotion rules evaluated for this move; null for removals and for moves recorded before rules were kept.',
    resolve: (e) => (e.gateResults === null ? null : parseGateResults(e.gateResults)),
  }),
}));

const requestPage = async (ctx: Context, filter: Parameters<Context['services']['registry']['promotions']['list']>[1], after: number | null) => {
  const { requests, hasNextPage } = await ctx.services.registry.promotions.list(ctx.access, filter);
  return forwardConnection(
    requests.map((r) => ({ node: r, cursor: numberCursor(r.id) })),
    hasNextPage,
    after,
  );
};

builder.objectFields(RegisteredModelRef, (t) => ({
  promotionRequests: t.connection({
    type: PromotionRequestRef,
    description: 'Promotion requests of this model, newest first.',
    args: { status: t.arg({ type: StatusEnum }) },
    resolve: async (m, args, ctx) => {
      const { first, after } = numberPageArgs(args, 20);
      return requestPage(ctx, { model: m, status: args.status ?? null, first, before: after }, after);
    },
  }),
  promotionCheck: t.field({
    type: [GateResultRef],
    description: 'What the promotion rules say, now, of moving `alias` onto `version` (nothing is moved or recorded).',
    args: { version: t.arg.int({ required: true }), alias: t.arg.string({ required: true }) },
    resolve: async (m, args, ctx) => {
      const version = await ctx.services.registry.requireVersion(ctx.access, m, args.version, 'version');
      return ctx.services.registry.previewGates(ctx.access, m, version, args.alias);
    },
  }),
}));

builder.objectFields(ProjectRef, (t) => ({
  promotionRequests: t.connection({
    type: PromotionRequestRef,
    description: 'Promotion requests of the models of this project, newest first.',
    args: { status: t.arg({ type: StatusEnum }) },
    resolve: async (p, args, ctx) => {
      const { first, after } = numberPageArgs(args, 20);
      return requestPage(ctx, { project: p, status: args.status ?? null, first, before: after }, after);
    },
  }),
}));

builder.queryFields((t) => ({
  promotionRequest: t.field({
    type: PromotionRequestRef,
    nullable: true,
    description: 'A promotion request by number, or null (also when its model is in a project the caller has no role in).',
    args: { number: t.arg.int({ required: true }) },
    resolve: (_r, args, ctx) => ctx.services.registry.promotions.get(ctx.access, args.number),
  }),
  promotionRequests: t.connection({
    type: PromotionRequestRef,
    description: 'Promotion requests of every project the caller may see, newest first. actionable: only pending ones the caller may approve.',
    args: { status: t.arg({ type: StatusEnum }), actionable: t.arg.boolean() },
    resolve: async (_r, args, ctx) => {
      const { first, after } = numberPageArgs(args, 20);
      return requestPage(ctx, { status: args.status ?? null, actionable: args.actionable ?? false, first, before: after }, after);
    },
  }),
}));

const RequestPromotionInput = builder.inputType('RequestPromotionInput', {
  fields: (t) => ({
    model: t.string({ required: true }),
    version: t.int({ required: true }),
    alias: t.string({ required: true, description: 'e.g. production' }),
    reason: t.string({ required: true, description: 'Why; approvers read it.' }),
    override: t.field({
      type: AliasOverrideInput,
      description: 'Needed when promotion rules fail; only from a caller allowed to override. Recorded with the request.',
    }),
  }),
});

const RequestPromotionPayload = builder.simpleObject('RequestPromotionPayload', {
  description: 'Either the alias moved (it is not protected) or a request was filed (it is).',
  fields: (t) => ({
    moved: t.boolean({ description: 'True when the alias moved now.' }),
    event: t.field({ type: AliasEventRef, nullable: true, description: 'The move, when it happened.' }),
    request: t.field({ type: PromotionRequestRef, nullable: true, description: 'The request, when the alias is protected.' }),
    created: t.boolean({ description: 'False when the same move was already pending (or already so).' }),
  }),
});

const DecideInput = (name: string, commentRequired: boolean) =>
  builder.inputType(name, {
    fields: (t) => ({
      request: t.int({ required: true, description: 'The request number.' }),
      comment: t.string({ required: commentRequired, description: commentRequired ? 'Why; required.' : 'Optional.' }),
    }),
  });

const DecisionPayload = builder.simpleObject('PromotionDecisionPayload', {
  fields: (t) => ({
    request: t.field({ type: PromotionRequestRef }),
    moved: t.boolean({ description: 'True when this decision met the rule and moved the alias.' }),
    event: t.field({ type: AliasEventRef, nullable: true, description: 'That move.' }),
  }),
});

const decision = (r: { request: PromotionRequest; event: unknown }) => ({ request: r.request, moved: r.event !== null, event: r.event as never });

builder.mutationFields((t) => ({
  requestPromotion: t.field({
    type: RequestPromotionPayload,
    description:
      "Asks for an alias move. An unprotected alias moves at once (like setModelAlias); a protected one gets a promotion request that moves it once its approvals are in. The promotion rules are evaluated either way and a failure refuses (CONFLICT) naming every failed rule. Needs EDITOR in the model's project.",
    args: { input: t.arg({ type: RequestPromotionInput, required: true }) },
    resolve: async (_r, { input }, ctx) => {
      const outcome = await ctx.services.registry.requestMove(ctx.access, input);
      if (outcome.kind === 'moved')
        return { moved: outcome.result.event !== null, event: outcome.result.event, request: null, created: outcome.result.event !== null };
      return { moved: false, event: null, request: outcome.filed.request, created: outcome.filed.created };
    },
  }),
  approvePromotion: t.field({
    type: DecisionPayload,
    description:
      'Approves a pending request, as an approver its rule names (never its requester). The approval that meets the rule moves the alias, after the promotion rules pass again. Approving again is a no-op.',
    args: { input: t.arg({ type: DecideInput('ApprovePromotionInput', false), required: true }) },
    resolve: async (_r, { input }, ctx) => decision(await ctx.services.registry.promotions.approve(ctx.access, input.request, input.comment)),
  }),
  rejectPromotion: t.field({
    type: DecisionPayload,
    description: 'Rejects a pending request with a comment, as an approver its rule names; the request is closed.',
    args: { input: t.arg({ type: DecideInput('RejectPromotionInput', true), required: true }) },
    resolve: async (_r, { input }, ctx) => decision(await ctx.services.registry.promotions.reject(ctx.access, input.request, input.comment ?? '')),
  }),
  cancelPromotion: t.field({
    type: DecisionPayload,
    description: "Withdraws a pending request: its requester, or an ADMIN of the model's project.",
    args: { input: t.arg({ type: DecideInput('CancelPromotionInput', false), required: true }) },
    resolve: async (_r, { input }, ctx) => decision(await ctx.services.registry.promotions.cancel(ctx.access, input.request, input.comment)),
  }),
}));
