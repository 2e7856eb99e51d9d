// Promotion rules: evaluated on every request and every move, each result recorded; a failure
// names every failed rule; an override needs a reason and, once the project names override
// groups, a member of one. Quarantine stays one of the rules, always on.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ApprovePromotionDocument,
  ModelPromotionsDocument,
  PromotionCheckDocument,
  ProtectAliasDocument,
  RequestPromotionDocument,
  SetApproverGroupDocument,
  SetModelAliasDocument,
  SetPromotionRulesDocument,
  SetTagsDocument,
} from '../generated/graphql.js';
import { type Governed, governedProject, versionFrom } from '../support/governance.js';
import { testConfig, useServer } from '../support/server.js';

const server = useServer(() => testConfig({ RUNLEDGER_AUTH: 'on' }));
let g: Governed;
let weak: number;
let strong: number;

const RULES = [
  { kind: 'METRIC' as const, metric: 'val_auc', op: '>=', threshold: 0.8 },
  { kind: 'TAG' as const, tag: 'bias-check-passed', value: 'true', aliases: ['production'] },
  { kind: 'ARTIFACT' as const, artifactKind: 'EVAL_REPORT' as const, aliases: ['production'] },
  { kind: 'INPUT_DATA' as const, aliases: ['production'] },
  { kind: 'CLEAN_CODE' as const, aliases: ['production'] },
];

beforeAll(async () => {
  g = await governedProject(server());
  weak = await versionFrom(server(), g.requester, g.project, g.model, { metrics: { val_auc: 0.71 }, tags: { 'bias-check-passed': 'false' }, clean: false });
  strong = await versionFrom(server(), g.requester, g.project, g.model, {
    metrics: { val_auc: 0.86 },
    tags: { 'bias-check-passed': 'true' },
    evalReport: true,
    clean: true,
    data: true,
  });
  await g.owner.client.data(SetApproverGroupDocument, { input: { project: g.project, name: 'ml-lead', members: [g.leads[0].name, g.leads[1].name] } });
  await g.owner.client.data(SetApproverGroupDocument, { input: { project: g.project, name: 'product-owner', members: [g.productOwner.name] } });
});

describe('promotion rules', () => {
  it('are declared by admins, checked as declared, and described in words', async () => {
    const bad = await g.owner.client.error(SetPromotionRulesDocument, {
      input: { project: g.project, rules: [{ kind: 'METRIC', metric: 'val_auc', op: '=>', threshold: 1 }] },
    });
    expect(bad.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.message).toContain('input.rules[0].op: must be one of >=, >, <=, <, ==, !=');
    const missing = await g.owner.client.error(SetPromotionRulesDocument, { input: { project: g.project, rules: [{ kind: 'TAG' }] } });
    expect(missing.message).toContain('input.rules[0].tag: is required');
    expect((await g.requester.client.error(SetPromotionRulesDocument, { input: { project: g.project, rules: [] } })).extensions?.code).toBe('FORBIDDEN');
    const unknownGroup = await g.owner.client.error(SetPromotionRulesDocument, { input: { project: g.project, rules: [], overrideGroups: ['sre'] } });
    expect(unknownGroup.message).toContain('no approver group "sre"');

    const { setPromotionRules } = await g.owner.client.data(SetPromotionRulesDocument, {
      input: { project: g.project, rules: RULES, overrideGroups: ['ml-lead'] },
    });
    expect(setPromotionRules.promotionRules.rules.map((r) => r.description)).toEqual([
      'metric val_auc >= 0.8',
      'tag bias-check-passed = true',
      'an EVAL_REPORT artifact',
      'input data verified (at least one dataset input, each with a content digest)',
      'clean code (a commit recorded, and a clean tree or its diff captured)',
    ]);
    expect(setPromotionRules.promotionRules.overrideGroups).toEqual(['ml-lead']);
  });

  it('refuse a move naming every failed rule, and apply per alias', async () => {
    const refused = await g.requester.client.error(SetModelAliasDocument, { input: { model: g.model, alias: 'production', version: weak } });
    expect(refused.extensions?.code).toBe('CONFLICT');
    const failed = (refused.extensions?.failedRules as { rule: string; detail: string }[]).map((r) => `${r.rule}: ${r.detail}`);
    expect(failed).toEqual([
      'metric val_auc >= 0.8: val_auc is 0.71',
      'tag bias-check-passed = true: bias-check-passed is "false"',
      'an EVAL_REPORT artifact: the run has no EVAL_REPORT artifact',
      'input data verified (at least one dataset input, each with a content digest): the run logged no dataset input',
      'clean code (a commit recorded, and a clean tree or its diff captured): commit ' +
        refused.message.match(/commit ([0-9a-f]{12})/)![1] +
        ', dirty tree and no diff captured',
    ]);
    expect(refused.message).toContain('fails 5 promotion rules for "production"');
    // Only the metric rule covers other aliases.
    const staging = await g.requester.client.error(SetModelAliasDocument, { input: { model: g.model, alias: 'staging', version: weak } });
    expect(staging.extensions?.failedRules).toHaveLength(1);
    // A preview says the same, and refuses nothing.
    const { registeredModel } = await g.viewer.client.data(PromotionCheckDocument, { model: g.model, version: strong, alias: 'production' });
    expect(registeredModel?.promotionCheck.every((r) => r.passed)).toBe(true);
    expect(registeredModel?.promotionCheck.map((r) => r.kind)).toEqual(['QUARANTINE', 'METRIC', 'TAG', 'ARTIFACT', 'INPUT_DATA', 'CLEAN_CODE']);
    expect(registeredModel?.promotionCheck[1]!.detail).toBe('val_auc is 0.86');
  });

  it('are overridden only with a reason by a member of an override group, and the override is recorded', async () => {
    const editor = await g.requester.client.error(SetModelAliasDocument, {
      input: { model: g.model, alias: 'production', version: weak, override: { reason: 'need it now' } },
    });
    expect(editor.extensions?.code).toBe('FORBIDDEN');
    expect(editor.message).toContain('only members of group ml-lead may override');
    const lead = (
      await g.leads[0].client.data(SetModelAliasDocument, {
        input: { model: g.model, alias: 'production', version: weak, reason: 'hotfix', override: { reason: 'outage; v1 crashes' } },
      })
    ).setModelAlias;
    expect(lead.changed).toBe(true);
    const { registeredModel } = await g.owner.client.data(ModelPromotionsDocument, { name: g.model });
    const event = registeredModel!.history.at(-1)!;
    expect(event.override).toEqual({ reason: 'outage; v1 crashes' });
    expect(event.gateResults?.filter((r) => !r.passed)).toHaveLength(5);
  });

  it('are evaluated on the request and again on the move, and a passing version moves with all results recorded', async () => {
    await g.owner.client.data(ProtectAliasDocument, {
      input: { project: g.project, alias: 'production', requirements: [{ count: 1, groups: ['product-owner'] }] },
    });
    const weaker = await versionFrom(server(), g.requester, g.project, g.model, { metrics: { val_auc: 0.5 } });
    const refused = await g.requester.client.error(RequestPromotionDocument, {
      input: { model: g.model, version: weaker, alias: 'production', reason: 'again' },
    });
    expect(refused.extensions?.code).toBe('CONFLICT');

    const { requestPromotion } = await g.requester.client.data(RequestPromotionDocument, {
      input: { model: g.model, version: strong, alias: 'production', reason: 'passes' },
    });
    const number = requestPromotion.request!.number;
    expect(requestPromotion.request!.gateResults.every((r) => r.passed)).toBe(true);
    // Between the request and its approval the evaluation report's tag is withdrawn: the move refuses.
    const found = await g.requester.client.data<{ registeredModel: { version: { run: { id: string } } } }, object>(
      'query($m: String!, $v: Int!) { registeredModel(name: $m) { version(version: $v) { run { id } } } }',
      { m: g.model, v: strong },
    );
    const runId = found.registeredModel.version.run.id;
    const tag = (value: string) => g.requester.client.data(SetTagsDocument, { input: { runId, tags: [{ key: 'bias-check-passed', value }] } });
    await tag('false');
    const blocked = await g.productOwner.client.error(ApprovePromotionDocument, { input: { request: number } });
    expect(blocked.extensions?.code).toBe('CONFLICT');
    expect(blocked.message).toContain('tag bias-check-passed = true');
    await tag('true');
    const approved = (await g.productOwner.client.data(ApprovePromotionDocument, { input: { request: number } })).approvePromotion;
    expect(approved.moved).toBe(true);
    expect(approved.event?.gateResults).toHaveLength(6);
    expect(approved.request.decisions).toHaveLength(1);
  });

  it('keep quarantine as a rule that applies with or without declared rules', async () => {
    await g.owner.client.data(SetPromotionRulesDocument, { input: { project: g.project, rules: [], overrideGroups: [] } });
    const { registeredModel } = await g.viewer.client.data(PromotionCheckDocument, { model: g.model, version: weak, alias: 'staging' });
    expect(registeredModel?.promotionCheck).toEqual([
      { rule: 'no quarantined data upstream', kind: 'QUARANTINE', passed: true, detail: 'no quarantined dataset version upstream' },
    ]);
    // With no override groups, any EDITOR may override again (as before rules existed).
    expect((await g.requester.client.data(SetModelAliasDocument, { input: { model: g.model, alias: 'staging', version: weak } })).setModelAlias.changed).toBe(
      true,
    );
  });
});
