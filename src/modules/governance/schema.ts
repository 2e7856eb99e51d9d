// GraphQL of a project's governance settings: approver groups, protected aliases, promotion rules
// and who may override them, and run conventions. Reads hang off Project; writes need ADMIN there.
import { builder } from '../../builder.js';
import { ArtifactKindEnum } from '../artifacts/schema.js';
import { ParamInput } from '../metrics/schema.js';
import { ProjectRef } from '../projects/schema.js';
import { manyByParent } from '../../loaders.js';
import type { Context } from '../../context.js';
import { RunRef } from '../runs/schema.js';
import { TagInput } from '../runs/mutations.js';
import type { Run } from '../runs/service.js';
import type { Violation } from './conventions.js';
import { describeGateRule, type GateResult, type GateRuleSpec } from './gate-rules.js';
import { describeRequirement, type ApprovalRequirement } from './requirements.js';
import type { AliasRule, ApproverGroup, Conventions, RequiredTag } from './settings.js';

export const GateKindEnum = builder.enumType('PromotionRuleKind', {
  description: 'What a promotion rule checks on the run that produced the version.',
  values: {
    METRIC: { description: 'A metric of the run compared with a threshold, e.g. val_auc >= 0.8.' },
    TAG: { description: 'A tag of the run is set (to a given value, if one is named).' },
    ARTIFACT: { description: 'The run has an artifact of a kind, e.g. EVAL_REPORT.' },
    INPUT_DATA: { description: 'The run logged dataset inputs, each with a content digest (not only an OpenLineage name).' },
    CLEAN_CODE: { description: 'The run recorded its commit, and the tree was clean or its diff was captured.' },
    QUARANTINE: { description: 'No quarantined dataset version upstream. Always applies; cannot be declared or removed.' },
  },
});

const AggregateEnum = builder.enumType('MetricAggregate', {
  description: 'Which value of a metric series a rule compares.',
  values: { LAST: { description: 'The latest logged value.' }, MIN: { description: 'The lowest.' }, MAX: { description: 'The highest.' } },
});

export const GateResultRef = builder.objectRef<GateResult>('PromotionRuleResult');
GateResultRef.implement({
  description: 'One promotion rule as evaluated for one move.',
  fields: (t) => ({
    rule: t.exposeString('rule', { description: 'The rule, in words: "metric val_auc >= 0.8".' }),
    kind: t.field({ type: GateKindEnum, resolve: (r) => r.kind }),
    passed: t.exposeBoolean('passed'),
    detail: t.exposeString('detail', { description: 'What was found: "val_auc is 0.83", "the run has no EVAL_REPORT artifact".' }),
  }),
});

export const ApprovalRequirementRef = builder.objectRef<ApprovalRequirement>('ApprovalRequirement');
ApprovalRequirementRef.implement({
  description: 'Part of an approval rule: this many distinct approvers, each a named user or a member of a named group. Each approver counts once.',
  fields: (t) => ({
    count: t.exposeInt('count'),
    users: t.exposeStringList('users'),
    groups: t.exposeStringList('groups', { description: 'Approver groups of the project.' }),
    description: t.string({ description: '"1 of group ml-lead".', resolve: (r) => describeRequirement(r) }),
  }),
});

const ApproverGroupRef = builder.objectRef<ApproverGroup>('ApproverGroup');
ApproverGroupRef.implement({
  description: 'A named group of approvers of a project (e.g. ml-lead, product-owner).',
  fields: (t) => ({
    name: t.exposeString('name'),
    members: t.exposeStringList('members', { description: 'User names.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    updatedBy: t.exposeString('updatedBy', { nullable: true }),
  }),
});

const ProtectedAliasRef = builder.objectRef<AliasRule & { modelName: string | null }>('ProtectedAlias');
ProtectedAliasRef.implement({
  description: 'An alias that moves only with approvals: every move becomes a promotion request.',
  fields: (t) => ({
    alias: t.exposeString('alias'),
    model: t.exposeString('modelName', { nullable: true, description: 'The one model it applies to; null: every model of the project.' }),
    requirements: t.field({ type: [ApprovalRequirementRef], resolve: (r) => r.requirements }),
    expiresAfterHours: t.exposeInt('expiresAfterHours', { description: 'A request not decided by then expires.' }),
  }),
});

const GateRuleRef = builder.objectRef<GateRuleSpec & { description: string }>('PromotionRule');
GateRuleRef.implement({
  description: 'A rule every alias move of the project must pass (unless overridden with a reason).',
  fields: (t) => ({
    kind: t.field({ type: GateKindEnum, resolve: (r) => r.kind }),
    description: t.exposeString('description', { description: 'The rule in words.' }),
    aliases: t.exposeStringList('aliases', { description: 'The aliases it applies to; empty: all.' }),
    metric: t.string({ nullable: true, resolve: (r) => (r.kind === 'METRIC' ? r.metric : null) }),
    op: t.string({ nullable: true, resolve: (r) => (r.kind === 'METRIC' ? r.op : null) }),
    threshold: t.float({ nullable: true, resolve: (r) => (r.kind === 'METRIC' ? r.threshold : null) }),
    aggregate: t.field({ type: AggregateEnum, nullable: true, resolve: (r) => (r.kind === 'METRIC' ? r.aggregate : null) }),
    tag: t.string({ nullable: true, resolve: (r) => (r.kind === 'TAG' ? r.tag : null) }),
    value: t.string({ nullable: true, resolve: (r) => (r.kind === 'TAG' ? r.value : null) }),
    artifactKind: t.string({ nullable: true, resolve: (r) => (r.kind === 'ARTIFACT' ? r.artifactKind : null) }),
  }),
});

const PromotionRulesRef = builder.simpleObject('PromotionRules', {
  description: "A project's promotion rules and who may override them.",
  fields: (t) => ({
    rules: t.field({ type: [GateRuleRef] }),
    overrideGroups: t.stringList({ description: 'Groups whose members may override a failed rule (with a reason); empty: any EDITOR.' }),
  }),
});

const RequiredTagRef = builder.objectRef<RequiredTag>('RequiredTag');
RequiredTagRef.implement({
  description: 'A tag every run must carry.',
  fields: (t) => ({
    key: t.exposeString('key'),
    allowedValues: t.exposeStringList('allowedValues', { nullable: true, description: 'The shared dictionary of values; null: any value.' }),
  }),
});

export const ConventionsRef = builder.objectRef<Conventions & { projectId: number }>('RunConventions');
ConventionsRef.implement({
  description: 'What every run of a project must record: checked by `runledger check` in CI, and before a run starts when the client asks.',
  fields: (t) => ({
    requiredParams: t.exposeStringList('requiredParams'),
    requiredTags: t.field({ type: [RequiredTagRef], resolve: (c) => c.requiredTags }),
    requiredInputs: t.exposeStringList('requiredInputs', { description: 'Roles of dataset inputs, e.g. train, validation.' }),
  }),
});

const ViolationKindEnum = builder.enumType('ConventionViolationKind', {
  values: {
    PARAM: { description: 'A required param is missing.' },
    TAG: { description: 'A required tag is missing.' },
    TAG_VALUE: { description: 'A tag has a value outside its allowed values.' },
    INPUT: { description: 'No dataset input of a required role.' },
  },
});

const ViolationRef = builder.objectRef<Violation>('ConventionViolation');
ViolationRef.implement({
  description: 'One way a run breaks its project\u2019s conventions.',
  fields: (t) => ({
    kind: t.field({ type: ViolationKindEnum, resolve: (v) => v.kind }),
    key: t.exposeString('key', { description: 'The param, tag or input role.' }),
    message: t.exposeString('message', { description: 'In words, e.g. "param lr is required".' }),
  }),
});

const violationsLoader = (ctx: Context) =>
  ctx.loaders.get('conventionViolations', (s) =>
    manyByParent(
      async (runs: readonly Run[]) => (await s.conventions.checkRuns(ctx.access, runs)).flatMap((c) => c.violations.map((v) => ({ ...v, runId: c.run.id }))),
      (v) => v.runId,
    ),
  );

builder.objectFields(RunRef, (t) => ({
  conventionViolations: t.field({
    type: [ViolationRef],
    description: "What this run breaks of its project's conventions (empty when it keeps them).",
    resolve: (r, _a, ctx) => violationsLoader(ctx).load(r),
  }),
}));

builder.objectField(ConventionsRef, 'check', (t) =>
  t.field({
    type: [ViolationRef],
    description: 'What a run about to start with these params and tags would break (inputs are logged later, so are not judged): a client fails fast on it.',
    args: { params: t.arg({ type: [ParamInput] }), tags: t.arg({ type: [TagInput] }) },
    resolve: async (c, args, ctx) => {
      const [project] = await ctx.services.projects.visibleByIds(ctx.access, [c.projectId]);
      return ctx.services.conventions.checkStart(ctx.access, project!, args.params ?? [], args.tags ?? []);
    },
  }),
);

const ConventionFailure = builder.simpleObject('ConventionFailure', {
  fields: (t) => ({ run: t.field({ type: RunRef }), violations: t.field({ type: [ViolationRef] }) }),
});

const ConventionReport = builder.simpleObject('ConventionReport', {
  description: 'The runs of a project started in a period that break its conventions: what `runledger check --project p --since 1d` prints.',
  fields: (t) => ({
    project: t.string(),
    since: t.field({ type: 'DateTime' }),
    checked: t.int({ description: 'Runs started in the period (deleted ones left out).' }),
    failing: t.field({ type: [ConventionFailure] }),
  }),
});

builder.queryFields((t) => ({
  conventionReport: t.field({
    type: ConventionReport,
    description: "Checks the runs of a project started since an instant against the project's conventions.",
    args: { project: t.arg.string({ required: true }), since: t.arg({ type: 'DateTime', required: true }) },
    resolve: async (_r, args, ctx) => {
      const report = await ctx.services.conventions.checkProject(ctx.access, args.project, args.since);
      return { project: report.project.name, since: args.since, checked: report.checked, failing: report.failing };
    },
  }),
}));

const withDescriptions = (rules: GateRuleSpec[]) => rules.map((r) => ({ ...r, description: describeGateRule(r) }));

builder.objectFields(ProjectRef, (t) => ({
  approverGroups: t.field({
    type: [ApproverGroupRef],
    description: 'Approver groups of this project, by name.',
    resolve: (p, _a, ctx) => ctx.services.governance.approverGroups(ctx.access, p),
  }),
  protectedAliases: t.field({
    type: [ProtectedAliasRef],
    description: 'Aliases that move only with approvals, by alias.',
    resolve: async (p, _a, ctx) => {
      const rules = await ctx.services.governance.protectedAliases(ctx.access, p);
      const ids = [...new Set(rules.flatMap((r) => (r.modelId === null ? [] : [r.modelId])))];
      const models = new Map((await ctx.services.registry.visibleModelsByIds(ctx.access, ids)).map((m) => [m.id, m.name]));
      return rules.map((r) => ({ ...r, modelName: r.modelId === null ? null : (models.get(r.modelId) ?? null) }));
    },
  }),
  promotionRules: t.field({
    type: PromotionRulesRef,
    description: 'The rules every alias move of this project passes (the quarantine rule always applies besides these).',
    resolve: async (p, _a, ctx) => {
      const { rules, overrideGroups } = await ctx.services.governance.promotionGates(ctx.access, p);
      return { rules: withDescriptions(rules), overrideGroups };
    },
  }),
  conventions: t.field({
    type: ConventionsRef,
    description: 'What every run of this project must record.',
    resolve: async (p, _a, ctx) => ({ ...(await ctx.services.governance.conventions(ctx.access, p)), projectId: p.id }),
  }),
}));

const SetApproverGroupInput = builder.inputType('SetApproverGroupInput', {
  fields: (t) => ({
    project: t.string({ required: true }),
    name: t.string({ required: true, description: 'e.g. ml-lead' }),
    members: t.stringList({ required: true, description: 'User names; replaces the members. An empty list deletes the group.' }),
  }),
});

const ApprovalRequirementInput = builder.inputType('ApprovalRequirementInput', {
  fields: (t) => ({
    count: t.int({ required: true, description: 'Distinct approvers needed (1 to 20).' }),
    users: t.stringList({ description: 'Named users who may approve.' }),
    groups: t.stringList({ description: 'Approver groups whose members may approve.' }),
  }),
});

const ProtectAliasInput = builder.inputType('ProtectAliasInput', {
  fields: (t) => ({
    project: t.string({ required: true }),
    model: t.string({ description: 'Only this model of the project (its rule replaces the project-wide one for the alias).' }),
    alias: t.string({ required: true, description: 'e.g. production' }),
    requirements: t.field({ type: [ApprovalRequirementInput], required: true, description: 'Every requirement must be met; each approver counts once.' }),
    expiresAfterHours: t.int({ description: 'Requests not decided by then expire (default 72).' }),
  }),
});

const UnprotectAliasInput = builder.inputType('UnprotectAliasInput', {
  fields: (t) => ({ project: t.string({ required: true }), model: t.string(), alias: t.string({ required: true }) }),
});

const PromotionRuleInput = builder.inputType('PromotionRuleInput', {
  description: 'A rule; the fields a kind needs: METRIC metric, op, threshold (aggregate); TAG tag (value); ARTIFACT artifactKind.',
  fields: (t) => ({
    kind: t.field({ type: GateKindEnum, required: true }),
    aliases: t.stringList({ description: 'Only moves of these aliases; default all.' }),
    metric: t.string(),
    op: t.string({ description: 'One of >=, >, <=, <, ==, !=.' }),
    threshold: t.float(),
    aggregate: t.field({ type: AggregateEnum }),
    tag: t.string(),
    value: t.string({ description: 'The value the tag must have; leave out to require only that it is set.' }),
    artifactKind: t.field({ type: ArtifactKindEnum }),
  }),
});

const SetPromotionRulesInput = builder.inputType('SetPromotionRulesInput', {
  fields: (t) => ({
    project: t.string({ required: true }),
    rules: t.field({ type: [PromotionRuleInput], required: true, description: 'Replaces the rules; an empty list removes them.' }),
    overrideGroups: t.stringList({ description: 'Replaces the groups whose members may override a failed rule; empty: any EDITOR. Left out: unchanged.' }),
  }),
});

const RequiredTagInput = builder.inputType('RequiredTagInput', {
  fields: (t) => ({ key: t.string({ required: true }), allowedValues: t.stringList({ description: 'Leave out to allow any value.' }) }),
});

const SetConventionsInput = builder.inputType('SetRunConventionsInput', {
  fields: (t) => ({
    project: t.string({ required: true }),
    requiredParams: t.stringList(),
    requiredTags: t.field({ type: [RequiredTagInput] }),
    requiredInputs: t.stringList({ description: 'Roles of dataset inputs every run must log, e.g. train.' }),
  }),
});

const SetApproverGroupPayload = builder.simpleObject('SetApproverGroupPayload', {
  fields: (t) => ({ group: t.field({ type: ApproverGroupRef, nullable: true, description: 'The group now; null when it was deleted.' }) }),
});
const ProtectAliasPayload = builder.simpleObject('ProtectAliasPayload', { fields: (t) => ({ protectedAlias: t.field({ type: ProtectedAliasRef }) }) });
const UnprotectAliasPayload = builder.simpleObject('UnprotectAliasPayload', {
  fields: (t) => ({ removed: t.boolean({ description: 'False when the alias was not protected (a retry).' }) }),
});
const SetPromotionRulesPayload = builder.simpleObject('SetPromotionRulesPayload', {
  fields: (t) => ({ promotionRules: t.field({ type: PromotionRulesRef }) }),
});
const SetConventionsPayload = builder.simpleObject('SetRunConventionsPayload', { fields: (t) => ({ conventions: t.field({ type: ConventionsRef }) }) });

builder.mutationFields((t) => ({
  setApproverGroup: t.field({
    type: SetApproverGroupPayload,
    description:
      'Creates or replaces an approver group of a project (ADMIN). An empty member list deletes it, unless a protected alias or the override groups name it.',
    args: { input: t.arg({ type: SetApproverGroupInput, required: true }) },
    resolve: async (_r, { input }, ctx) => ({ group: await ctx.services.governance.setApproverGroup(ctx.access, input) }),
  }),
  protectAlias: t.field({
    type: ProtectAliasPayload,
    description:
      'Protects an alias of every model of a project, or of one model (ADMIN): from then on every move of it (setModelAlias, rollback, removal, MLflow) becomes a promotion request that needs these approvals, never from the requester.',
    args: { input: t.arg({ type: ProtectAliasInput, required: true }) },
    resolve: async (_r, { input }, ctx) => ({
      protectedAlias: { ...(await ctx.services.governance.protectAlias(ctx.access, input)), modelName: input.model ?? null },
    }),
  }),
  unprotectAlias: t.field({
    type: UnprotectAliasPayload,
    description: 'Lifts the protection of an alias (ADMIN). Pending requests stay, and still move the alias once approved.',
    args: { input: t.arg({ type: UnprotectAliasInput, required: true }) },
    resolve: async (_r, { input }, ctx) => ({ removed: await ctx.services.governance.unprotectAlias(ctx.access, input) }),
  }),
  setPromotionRules: t.field({
    type: SetPromotionRulesPayload,
    description:
      'Replaces the promotion rules of a project and who may override them (ADMIN). Every alias move of its models is evaluated against them, and each result is recorded.',
    args: { input: t.arg({ type: SetPromotionRulesInput, required: true }) },
    resolve: async (_r, { input }, ctx) => {
      const saved = await ctx.services.governance.setPromotionGates(ctx.access, { ...input, rules: input.rules.map((r) => ({ ...r, kind: r.kind })) });
      return { promotionRules: { rules: withDescriptions(saved.rules), overrideGroups: saved.overrideGroups } };
    },
  }),
  setRunConventions: t.field({
    type: SetConventionsPayload,
    description: 'Replaces what every run of a project must record: params, tags (with allowed values) and dataset input roles (ADMIN).',
    args: { input: t.arg({ type: SetConventionsInput, required: true }) },
    resolve: async (_r, { input }, ctx) => {
      return { conventions: await ctx.services.governance.setConventions(ctx.access, input) };
    },
  }),
}));
