// Protected aliases: a move becomes a promotion request (through GraphQL and MLflow alike), only
// the approvers its rule names approve it, never the requester, each counting once; the approval
// that meets the rule moves the alias, and the history shows the request, approvals and move.
// Rejections close a request, and requests expire.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ApprovePromotionDocument,
  CancelPromotionDocument,
  ModelPromotionsDocument,
  ProjectGovernanceDocument,
  PromotionRequestDocument,
  PromotionRequestsDocument,
  ProtectAliasDocument,
  RejectPromotionDocument,
  RemoveModelAliasDocument,
  RequestPromotionDocument,
  RollbackModelAliasDocument,
  SetApproverGroupDocument,
  SetModelAliasDocument,
  UnprotectAliasDocument,
} from '../generated/graphql.js';
import { type Governed, governedProject, versionFrom } from '../support/governance.js';
import { testConfig, useServer } from '../support/server.js';

const server = useServer(() => testConfig({ RUNLEDGER_AUTH: 'on', RUNLEDGER_PUBLIC_URL: 'https://runledger.example.com' }));
let g: Governed;
let v1: number;
let v2: number;

beforeAll(async () => {
  g = await governedProject(server());
  v1 = await versionFrom(server(), g.requester, g.project, g.model);
  v2 = await versionFrom(server(), g.requester, g.project, g.model);
  const set = (name: string, members: string[]) => g.owner.client.data(SetApproverGroupDocument, { input: { project: g.project, name, members } });
  // A rule may only name groups that exist.
  const early = await g.owner.client.error(ProtectAliasDocument, {
    input: { project: g.project, alias: 'production', requirements: [{ count: 1, groups: ['ml-lead'] }] },
  });
  expect(early.extensions?.code).toBe('BAD_USER_INPUT');
  expect(early.message).toContain('no approver group "ml-lead"');
  await set('ml-lead', [g.leads[0].name, g.leads[1].name]);
  await set('product-owner', [g.productOwner.name]);
  const { protectAlias } = await g.owner.client.data(ProtectAliasDocument, {
    input: {
      project: g.project,
      alias: 'production',
      requirements: [
        { count: 1, groups: ['ml-lead'] },
        { count: 1, groups: ['product-owner'] },
      ],
    },
  });
  expect(protectAlias.protectedAlias.requirements.map((r) => r.description)).toEqual(['1 of group ml-lead', '1 of group product-owner']);
});

const mlflowSetAlias = (secret: string, body: Record<string, string>) =>
  fetch(`${server().url}/api/2.0/mlflow/registered-models/alias`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('a protected alias', () => {
  it('is declared by project admins only, and readable by the project', async () => {
    const refused = await g.requester.client.error(ProtectAliasDocument, {
      input: { project: g.project, alias: 'staging', requirements: [{ count: 1, users: [g.owner.name] }] },
    });
    expect(refused.extensions?.code).toBe('FORBIDDEN');
    const hidden = await g.outsider.client.error(SetApproverGroupDocument, { input: { project: g.project, name: 'x', members: ['y'] } });
    expect(hidden.extensions?.code).toBe('NOT_FOUND');
    const { project } = await g.viewer.client.data(ProjectGovernanceDocument, { name: g.project });
    expect(project?.protectedAliases).toEqual([
      { alias: 'production', model: null, requirements: [{ description: '1 of group ml-lead' }, { description: '1 of group product-owner' }] },
    ]);
    expect(project?.approverGroups.map((a) => a.name)).toEqual(['ml-lead', 'product-owner']);
  });

  it('never moves on a direct set: the move becomes a request named in the refusal, at every door, once', async () => {
    const refused = await g.requester.client.error(SetModelAliasDocument, {
      input: { model: g.model, alias: 'production', version: v1, reason: 'best offline AUC' },
    });
    expect(refused.extensions?.code).toBe('FORBIDDEN');
    const number = refused.extensions?.promotionRequest as number;
    expect(refused.message).toContain(`Promotion request ${number} was filed: https://runledger.example.com/promotions/${number}`);
    expect(refused.message).toContain('needs approval from 1 of group ml-lead and 1 of group product-owner');

    // MLflow's set_registered_model_alias: refused as MLflow refuses, with the request's URL in the message.
    const res = await mlflowSetAlias(g.requester.secret, { name: g.model, alias: 'production', version: String(v1) });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error_code: string; message: string };
    expect(body.error_code).toBe('PERMISSION_DENIED');
    expect(body.message).toContain(`Promotion request ${number} is already pending: https://runledger.example.com/promotions/${number}`);

    const { registeredModel } = await g.owner.client.data(ModelPromotionsDocument, { name: g.model });
    expect(registeredModel?.alias).toBeNull();
    expect(registeredModel?.history).toEqual([]);
    expect(registeredModel?.promotionRequests.edges.map((e) => e.node)).toEqual([{ number, status: 'PENDING', action: 'SET' }]);
  });

  it('is approved only by the approvers its rule names, never the requester, each counting once; the last approval moves it', async () => {
    const { promotionRequests } = await g.requester.client.data(PromotionRequestsDocument, { status: 'PENDING' });
    const number = promotionRequests.edges.find((e) => e.node.model.name === g.model && e.node.alias === 'production')!.node.number;

    const own = await g.requester.client.error(ApprovePromotionDocument, { input: { request: number } });
    expect(own.extensions?.code).toBe('FORBIDDEN');
    expect(own.message).toContain('you asked for promotion request');
    const bystander = await g.viewer.client.error(ApprovePromotionDocument, { input: { request: number } });
    expect(bystander.extensions?.code).toBe('FORBIDDEN');
    expect(bystander.message).toContain('you are none of them');
    expect((await g.outsider.client.error(ApprovePromotionDocument, { input: { request: number } })).extensions?.code).toBe('NOT_FOUND');
    expect((await g.outsider.client.data(PromotionRequestDocument, { number })).promotionRequest).toBeNull();

    // What each approver has to act on.
    const actionable = async (who: typeof g.viewer) =>
      (await who.client.data(PromotionRequestsDocument, { actionable: true })).promotionRequests.edges.map((e) => e.node.number);
    expect(await actionable(g.leads[0])).toContain(number);
    expect(await actionable(g.productOwner)).toContain(number);
    expect(await actionable(g.requester)).not.toContain(number);
    expect(await actionable(g.viewer)).not.toContain(number);

    const first = (await g.leads[0].client.data(ApprovePromotionDocument, { input: { request: number, comment: 'offline metrics hold' } })).approvePromotion;
    expect(first.moved).toBe(false);
    expect(first.request.progress).toEqual([
      { requirement: { description: '1 of group ml-lead' }, approvedBy: [g.leads[0].name], missing: 0 },
      { requirement: { description: '1 of group product-owner' }, approvedBy: [], missing: 1 },
    ]);
    // Again: a retry, nothing new.
    expect((await g.leads[0].client.data(ApprovePromotionDocument, { input: { request: number } })).approvePromotion.request.decisions).toHaveLength(1);
    expect(await actionable(g.leads[0])).not.toContain(number);
    // A second ml-lead fills no open requirement.
    const second = (await g.leads[1].client.data(ApprovePromotionDocument, { input: { request: number } })).approvePromotion;
    expect(second.moved).toBe(false);
    expect(second.request.status).toBe('PENDING');

    const last = (await g.productOwner.client.data(ApprovePromotionDocument, { input: { request: number, comment: 'go' } })).approvePromotion;
    expect(last.moved).toBe(true);
    expect(last.request.status).toBe('APPROVED');
    expect(last.event).toMatchObject({ action: 'SET', who: g.requester.name, reason: 'best offline AUC', to: { version: v1 } });
    expect(last.event?.gateResults).toEqual([{ rule: 'no quarantined data upstream', passed: true }]);
    expect(last.event?.promotionRequest?.decisions.map((d) => [d.who, d.decision])).toEqual([
      [g.leads[0].name, 'APPROVE'],
      [g.leads[1].name, 'APPROVE'],
      [g.productOwner.name, 'APPROVE'],
    ]);
    expect((await g.leads[1].client.error(RejectPromotionDocument, { input: { request: number, comment: 'too late' } })).extensions?.code).toBe('CONFLICT');

    const { registeredModel } = await g.viewer.client.data(ModelPromotionsDocument, { name: g.model });
    expect(registeredModel?.alias?.version).toBe(v1);
    expect(registeredModel?.history).toHaveLength(1);
    expect(registeredModel?.history[0]).toMatchObject({
      action: 'SET',
      who: g.requester.name,
      promotionRequest: { number, requestedBy: g.requester.name, reason: 'best offline AUC' },
    });
    expect(registeredModel?.history[0]!.promotionRequest?.decisions[0]).toEqual({ who: g.leads[0].name, decision: 'APPROVE', comment: 'offline metrics hold' });
  });

  it('is closed by a rejection with a comment, withdrawn by its requester, and refuses a request past its expiry', async () => {
    const asked = (
      await g.requester.client.data(RequestPromotionDocument, { input: { model: g.model, version: v2, alias: 'production', reason: 'retrained on September' } })
    ).requestPromotion;
    expect(asked).toMatchObject({ moved: false, created: true, request: { status: 'PENDING', from: { version: v1 }, to: { version: v2 }, action: 'SET' } });
    const number = asked.request!.number;
    expect((await g.leads[0].client.error(RejectPromotionDocument, { input: { request: number, comment: ' ' } })).extensions?.code).toBe('BAD_USER_INPUT');
    const rejected = (await g.leads[0].client.data(RejectPromotionDocument, { input: { request: number, comment: 'recall dropped on new users' } }))
      .rejectPromotion;
    expect(rejected.request.status).toBe('REJECTED');
    expect(rejected.request.decisions).toMatchObject([{ who: g.leads[0].name, decision: 'REJECT', comment: 'recall dropped on new users' }]);
    expect((await g.productOwner.client.error(ApprovePromotionDocument, { input: { request: number } })).extensions?.code).toBe('CONFLICT');

    // Filed again (the old one is closed), then withdrawn by the requester.
    const again = (
      await g.requester.client.data(RequestPromotionDocument, { input: { model: g.model, version: v2, alias: 'production', reason: 'fixed recall' } })
    ).requestPromotion;
    expect(again.request!.number).not.toBe(number);
    expect((await g.viewer.client.error(CancelPromotionDocument, { input: { request: again.request!.number } })).extensions?.code).toBe('FORBIDDEN');
    expect(
      (await g.requester.client.data(CancelPromotionDocument, { input: { request: again.request!.number, comment: 'wrong version' } })).cancelPromotion.request
        .status,
    ).toBe('CANCELLED');

    // A request nobody decided in time expires (the clock is moved by ageing the row).
    const late = (await g.requester.client.data(RequestPromotionDocument, { input: { model: g.model, version: v2, alias: 'production', reason: 'third try' } }))
      .requestPromotion.request!;
    await server().app.db.prisma.promotionRequest.update({ where: { id: late.number }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await g.owner.client.data(PromotionRequestDocument, { number: late.number })).promotionRequest?.status).toBe('EXPIRED');
    const expired = await g.leads[0].client.error(ApprovePromotionDocument, { input: { request: late.number } });
    expect(expired.extensions?.code).toBe('CONFLICT');
    expect(expired.message).toContain('expired at');
    const { registeredModel } = await g.owner.client.data(ModelPromotionsDocument, { name: g.model });
    expect(registeredModel?.alias?.version).toBe(v1);
  });

  it('turns rollbacks and removals into requests too, while unprotected aliases move at once', async () => {
    for (const version of [v1, v2]) {
      const moved = (await g.requester.client.data(RequestPromotionDocument, { input: { model: g.model, version, alias: 'staging', reason: 'canary' } }))
        .requestPromotion;
      expect(moved).toMatchObject({ moved: true, created: true, request: null, event: { action: 'SET', to: { version } } });
    }
    await g.owner.client.data(ProtectAliasDocument, { input: { project: g.project, alias: 'staging', requirements: [{ count: 1, users: [g.owner.name] }] } });
    const rollback = await g.requester.client.error(RollbackModelAliasDocument, {
      input: { model: g.model, alias: 'staging', reason: 'incident', fromVersion: v2 },
    });
    expect(rollback.extensions?.code).toBe('FORBIDDEN');
    const back = (await g.owner.client.data(PromotionRequestDocument, { number: rollback.extensions?.promotionRequest as number })).promotionRequest;
    expect(back).toMatchObject({ action: 'ROLLBACK', from: { version: v2 }, to: { version: v1 }, status: 'PENDING', reason: 'incident' });
    const remove = await g.requester.client.error(RemoveModelAliasDocument, { input: { model: g.model, alias: 'production' } });
    expect(remove.extensions?.code).toBe('FORBIDDEN');
    const removal = (await g.owner.client.data(PromotionRequestDocument, { number: remove.extensions?.promotionRequest as number })).promotionRequest;
    expect(removal).toMatchObject({ action: 'REMOVE', from: { version: v1 }, to: null, status: 'PENDING' });
    // The owner approves the rollback: staging goes back to v1, recorded as a ROLLBACK carried out by the request.
    const approved = (await g.owner.client.data(ApprovePromotionDocument, { input: { request: back!.number } })).approvePromotion;
    expect(approved).toMatchObject({ moved: true, event: { action: 'ROLLBACK', who: g.requester.name, to: { version: v1 } } });
    await g.owner.client.data(UnprotectAliasDocument, { input: { project: g.project, alias: 'staging' } });
  });

  it('can protect one model only, and be lifted', async () => {
    const other = `${g.model}-other`;
    const v = await versionFrom(server(), g.requester, g.project, other);
    await g.owner.client.data(ProtectAliasDocument, {
      input: { project: g.project, model: other, alias: 'shadow', requirements: [{ count: 1, users: [g.owner.name] }] },
    });
    expect((await g.requester.client.error(SetModelAliasDocument, { input: { model: other, alias: 'shadow', version: v } })).extensions?.code).toBe(
      'FORBIDDEN',
    );
    // Only that model: the same alias of the first model is free.
    expect((await g.requester.client.data(SetModelAliasDocument, { input: { model: g.model, alias: 'shadow', version: v1 } })).setModelAlias.changed).toBe(
      true,
    );
    expect((await g.owner.client.data(UnprotectAliasDocument, { input: { project: g.project, model: other, alias: 'shadow' } })).unprotectAlias.removed).toBe(
      true,
    );
    expect((await g.requester.client.data(SetModelAliasDocument, { input: { model: other, alias: 'shadow', version: v } })).setModelAlias.changed).toBe(true);
  });
});
