// Promotion requests: how a protected alias moves. A move asked of a protected alias is filed as a
// request (who, from, to, why, the rule it must meet and the gate results); approvers named by
// the rule approve or reject it with a comment, never the requester; the approval that meets the
// rule moves the alias (passing the gate again) in the same transaction. Requests expire.
import type { Database } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import type {
  AliasAction,
  ModelAliasEvent,
  ModelVersion,
  Prisma,
  PromotionDecision,
  PromotionRequest,
  PromotionStatus,
  RegisteredModel,
} from '../../generated/prisma/client.js';
import { type Access, LOCAL_ACTOR } from '../auth/access.js';
import { readableProjects } from '../auth/policy.js';
import { type GateResult, parseGateResults } from '../governance/gate-rules.js';
import { type ApprovalRequirement, describeRule, mayApprove, parseRequirements, progress, type RuleProgress } from '../governance/requirements.js';
import type { AliasRule } from '../governance/settings.js';
import { heldVersionId, lockForAliasChange, recordAliasChange, type Tx } from './alias-writes.js';
import type { GateDecision, PromotionGate, VisibleDatasetVersions } from './aliases.js';
import { optionalReason } from './aliases.js';
import { modelAccess } from './policy.js';
import { lockModelRow, lockPromotionRequestRow } from './store.js';

export type { PromotionDecision, PromotionRequest, PromotionStatus };

export interface FiledRequest {
  request: PromotionRequest;
  /** False when the same move was already pending (a retry, or another door asking again). */
  created: boolean;
}

export interface DecisionResult {
  request: PromotionRequest;
  /** The alias move this decision made, when it met the rule. */
  event: ModelAliasEvent | null;
  /** The promotion rules as evaluated for this decision (empty for removals and rejections). */
  gateResults: GateResult[];
}

export interface PromotionFilter {
  project?: { id: number } | null;
  model?: RegisteredModel | null;
  status?: PromotionStatus | null;
  /** Only requests the caller could approve now (pending, not theirs, a requirement they fit). */
  actionable?: boolean;
  first: number;
  /** Requests with a number below this one (newest first). */
  before?: number | null;
}

/** How promotions announce themselves to webhook subscribers, inside their transactions. */
export interface PromotionAnnouncer {
  alias(tx: Tx, model: RegisteredModel, event: ModelAliasEvent): Promise<void>;
  request(
    tx: Tx,
    model: RegisteredModel,
    request: PromotionRequest,
    kind: 'requested' | 'approved' | 'rejected',
    decisions: readonly PromotionDecision[],
  ): Promise<void>;
}

const COMMENT_MAX = 4000;

/** The status a request has now: a pending one past its expiry is EXPIRED, whether or not that was written yet. */
export function statusOf(request: Pick<PromotionRequest, 'status' | 'expiresAt'>, now = new Date()): PromotionStatus {
  return request.status === 'PENDING' && request.expiresAt <= now ? 'EXPIRED' : request.status;
}

export function createPromotionService(
  db: Database,
  deps: {
    gate: PromotionGate;
    groupsOf: (projectId: number, actor: string) => Promise<string[]>;
    visibleDatasetVersions: (caller: Access) => VisibleDatasetVersions;
    /** The dashboard page of a request, for messages and webhooks. */
    link: (number: number) => string;
    announce: PromotionAnnouncer;
  },
) {
  const { prisma } = db;

  /** A request the caller may see (a role in its model's project), with its model; NOT_FOUND otherwise. */
  async function requireRequest(caller: Access, number: number, field = 'input.request'): Promise<{ request: PromotionRequest; model: RegisteredModel }> {
    if (!Number.isSafeInteger(number) || number < 1) throw new ValidationError(field, 'must be a promotion request number (1 or more)');
    const found = await prisma.promotionRequest.findUnique({ where: { id: number }, include: { model: true } });
    const { model, ...request } = found ?? { model: null };
    await modelAccess.require(caller, model, 'VIEWER', `promotion request ${number}`).catch(() => {
      throw new NotFoundError('PromotionRequest', number);
    });
    return { request: request as PromotionRequest, model: model! };
  }

  async function versionOf(id: number | null): Promise<ModelVersion | null> {
    return id === null ? null : prisma.modelVersion.findUnique({ where: { id } });
  }

  /** Marks a pending request past its expiry EXPIRED (once), and says so. */
  async function refuseExpired(request: PromotionRequest): Promise<never> {
    await prisma.promotionRequest.updateMany({ where: { id: request.id, status: 'PENDING' }, data: { status: 'EXPIRED', decidedAt: request.expiresAt } });
    throw new ConflictError(`input.request: promotion request ${request.id} expired at ${request.expiresAt.toISOString()}; file a new one`, {
      field: 'input.request',
      status: 'EXPIRED',
    });
  }

  function notPending(request: PromotionRequest): ConflictError {
    return new ConflictError(`input.request: promotion request ${request.id} is ${request.status.toLowerCase()}; nothing more can be decided on it`, {
      field: 'input.request',
      status: request.status,
    });
  }

  async function requireComment(comment: string | null | undefined, required: boolean): Promise<string | null> {
    const text = comment?.trim() ?? '';
    if (!text && required) throw new ValidationError('input.comment', 'say why');
    return text ? text.slice(0, COMMENT_MAX) : null;
  }

  /** The gate again, as the request's move would pass it now (its own override stands). */
  async function gateNow(caller: Access, model: RegisteredModel, request: PromotionRequest): Promise<GateDecision | null> {
    const target = await versionOf(request.toVersionId);
    if (!target) return null;
    return deps.gate.check({
      caller,
      model,
      version: target,
      alias: request.alias,
      label: `${model.name} version ${target.version}`,
      field: 'input.request',
      override: request.overrideReason ? { reason: request.overrideReason } : null,
      canSee: deps.visibleDatasetVersions(caller),
    });
  }

  /** Who the caller is as an approver: their name and groups; refused when they asked for the move or fit no requirement. */
  async function approverFor(caller: Access, model: RegisteredModel, request: PromotionRequest) {
    const actor = caller.actor ?? LOCAL_ACTOR;
    const rule = parseRequirements(request.requirements);
    if (actor === request.requestedBy) {
      throw new ForbiddenError(`input.request: you asked for promotion request ${request.id}; it needs approval from someone else (${describeRule(rule)})`, {
        field: 'input.request',
      });
    }
    const groups = await deps.groupsOf(model.projectId, actor);
    if (!mayApprove(rule, { actor, groups })) {
      throw new ForbiddenError(`input.request: promotion request ${request.id} needs approval from ${describeRule(rule)}; you are none of them`, {
        field: 'input.request',
        needed: describeRule(rule),
      });
    }
    return { actor, groups, rule };
  }

  async function decisionsOf(client: Tx, requestId: number): Promise<PromotionDecision[]> {
    return client.promotionDecision.findMany({ where: { requestId }, orderBy: { id: 'asc' } });
  }

  function ruleProgress(request: PromotionRequest, decisions: readonly PromotionDecision[]): RuleProgress {
    const approvals = decisions.filter((d) => d.decision === 'APPROVE').map((d) => ({ actor: d.actor, groups: d.groups }));
    return progress(parseRequirements(request.requirements), approvals, request.requestedBy);
  }

  /** Records one person's decision on a pending request, under the request's row lock; a repeat of the same decision is a retry. */
  async function decide(
    tx: Tx,
    request: PromotionRequest,
    entry: { actor: string; decision: 'APPROVE' | 'REJECT' | 'CANCEL'; comment: string | null; groups: string[] },
  ): Promise<{ request: PromotionRequest; decisions: PromotionDecision[]; retried: boolean }> {
    await lockPromotionRequestRow(tx, request.id);
    const now = await tx.promotionRequest.findUniqueOrThrow({ where: { id: request.id } });
    const before = await decisionsOf(tx, request.id);
    const mine = before.find((d) => d.actor === entry.actor);
    if (mine) {
      if (mine.decision === entry.decision) return { request: now, decisions: before, retried: true };
      throw new ConflictError(
        `input.request: you already ${mine.decision === 'APPROVE' ? 'approved' : mine.decision === 'REJECT' ? 'rejected' : 'cancelled'} promotion request ${request.id}`,
        {
          field: 'input.request',
        },
      );
    }
    if (now.status !== 'PENDING') throw notPending(now);
    const created = await tx.promotionDecision.create({ data: { requestId: request.id, ...entry, at: new Date() } });
    return { request: now, decisions: [...before, created], retried: false };
  }

  return {
    /**
     * Files a move of a protected alias (the gate already passed it, or an allowed override let it
     * through). The same move already pending is returned instead of filed twice.
     */
    async file(
      caller: Access,
      input: {
        model: RegisteredModel;
        alias: string;
        action: AliasAction;
        from: number | null;
        to: ModelVersion | null;
        reason: string | null;
        rule: AliasRule;
        gate: GateDecision | null;
      },
    ): Promise<FiledRequest> {
      const { model, alias, action, rule } = input;
      const toVersionId = input.to?.id ?? null;
      return prisma.$transaction(async (tx) => {
        // Filing for one model happens one at a time, so a double submit finds the first request.
        await lockModelRow(tx, model.id);
        const now = new Date();
        const pending = await tx.promotionRequest.findFirst({
          where: { modelId: model.id, alias, action, toVersionId, status: 'PENDING', expiresAt: { gt: now } },
          orderBy: { id: 'desc' },
        });
        if (pending) return { request: pending, created: false };
        const request = await tx.promotionRequest.create({
          data: {
            modelId: model.id,
            alias,
            action,
            fromVersionId: input.from,
            toVersionId,
            requestedBy: caller.actor ?? LOCAL_ACTOR,
            reason: input.reason ?? '',
            overrideReason: input.gate?.override?.reason ?? null,
            requirements: rule.requirements as unknown as Prisma.InputJsonValue,
            gateResults: (input.gate?.results ?? []) as unknown as Prisma.InputJsonValue,
            createdAt: now,
            expiresAt: new Date(now.getTime() + rule.expiresAfterHours * 3_600_000),
          },
        });
        await deps.announce.request(tx, model, request, 'requested', []);
        return { request, created: true };
      });
    },

    /** The refusal a direct move of a protected alias answers with: FORBIDDEN, naming the request and its page. */
    approvalRequired(model: RegisteredModel, filed: FiledRequest): ForbiddenError {
      const { request } = filed;
      const rule = parseRequirements(request.requirements);
      const url = deps.link(request.id);
      return new ForbiddenError(
        `input.alias: ${JSON.stringify(request.alias)} of ${model.name} is protected: moving it needs approval from ${describeRule(rule)}. ` +
          `Promotion request ${request.id} ${filed.created ? 'was filed' : 'is already pending'}: ${url} (approvers: \`runledger approve ${request.id}\`)`,
        { field: 'input.alias', promotionRequest: request.id, url, approvalRequired: true },
      );
    },

    link: deps.link,

    /**
     * Approves a pending request as one of the approvers its rule names (never its requester).
     * The approval that meets the rule moves the alias, passing the gate again; if the gate now
     * fails (and the request carries no override) that approval is refused and nothing is recorded.
     */
    async approve(caller: Access, number: number, comment?: string | null): Promise<DecisionResult> {
      const { request, model } = await requireRequest(caller, number);
      const text = await requireComment(comment, false);
      const { actor, groups, rule } = await approverFor(caller, model, request);
      const existing = await decisionsOf(prisma, request.id);
      if (existing.some((d) => d.actor === actor && d.decision === 'APPROVE'))
        return { request, event: null, gateResults: parseGateResults(request.gateResults) };
      if (statusOf(request) === 'EXPIRED') await refuseExpired(request);
      if (request.status !== 'PENDING') throw notPending(request);
      // The gate reads lineage outside the transaction (PGlite has one connection).
      const wouldMeet = ruleProgress(request, [...existing, { actor, groups, decision: 'APPROVE' } as PromotionDecision]).met;
      const passed = wouldMeet ? await gateNow(caller, model, request) : null;
      const result = await prisma.$transaction(async (tx) => {
        const decided = await decide(tx, request, { actor, decision: 'APPROVE', comment: text, groups });
        if (decided.retried || !ruleProgress(decided.request, decided.decisions).met) {
          return { request: decided.request, event: null, decisions: decided.decisions };
        }
        const at = await lockForAliasChange(tx, model.id);
        const from = await heldVersionId(tx, model.id, request.alias);
        let event: ModelAliasEvent | null = null;
        if (from !== request.toVersionId) {
          event = await recordAliasChange(tx, {
            modelId: model.id,
            alias: request.alias,
            action: request.action,
            from,
            to: request.toVersionId,
            actor: request.requestedBy,
            reason: request.reason || null,
            at,
            effectiveAt: at,
            override: passed?.override,
            gateResults: passed?.results,
            promotionRequestId: request.id,
          });
          await deps.announce.alias(tx, model, event);
        }
        const approved = await tx.promotionRequest.update({
          where: { id: request.id },
          data: { status: 'APPROVED', decidedAt: at, ...(passed ? { gateResults: passed.results as unknown as Prisma.InputJsonValue } : {}) },
        });
        await deps.announce.request(tx, model, approved, 'approved', decided.decisions);
        return { request: approved, event, decisions: decided.decisions };
      });
      return { request: result.request, event: result.event, gateResults: passed?.results ?? [] };
    },

    /** Rejects a pending request, saying why; one rejection closes it. Any approver the rule names may reject (never the requester, who cancels instead). */
    async reject(caller: Access, number: number, comment: string): Promise<DecisionResult> {
      const { request, model } = await requireRequest(caller, number);
      const text = await requireComment(comment, true);
      const { actor, groups } = await approverFor(caller, model, request);
      if (statusOf(request) === 'EXPIRED') await refuseExpired(request);
      const rejected = await prisma.$transaction(async (tx) => {
        const decided = await decide(tx, request, { actor, decision: 'REJECT', comment: text, groups });
        if (decided.retried) return decided.request;
        const row = await tx.promotionRequest.update({ where: { id: request.id }, data: { status: 'REJECTED', decidedAt: new Date() } });
        await deps.announce.request(tx, model, row, 'rejected', decided.decisions);
        return row;
      });
      return { request: rejected, event: null, gateResults: [] };
    },

    /** Withdraws a pending request: its requester, or an ADMIN of the model's project. */
    async cancel(caller: Access, number: number, reason?: string | null): Promise<DecisionResult> {
      const { request, model } = await requireRequest(caller, number);
      const actor = caller.actor ?? LOCAL_ACTOR;
      if (actor !== request.requestedBy) await modelAccess.require(caller, model, 'ADMIN', model.name);
      const text = optionalReason('input.reason', reason);
      if (request.status === 'CANCELLED') return { request, event: null, gateResults: [] };
      if (statusOf(request) === 'EXPIRED') await refuseExpired(request);
      const cancelled = await prisma
        .$transaction(async (tx) => {
          const decided = await decide(tx, request, { actor, decision: 'CANCEL', comment: text, groups: [] });
          if (decided.retried) return decided.request;
          return tx.promotionRequest.update({ where: { id: request.id }, data: { status: 'CANCELLED', decidedAt: new Date() } });
        })
        .catch((error: unknown) => {
          // A concurrent identical cancel recorded it first.
          if (isUniqueViolation(error)) return prisma.promotionRequest.findUniqueOrThrow({ where: { id: request.id } });
          throw error;
        });
      return { request: cancelled, event: null, gateResults: [] };
    },

    /** A request the caller may see, by number; null when missing or hidden. */
    async get(caller: Access, number: number): Promise<PromotionRequest | null> {
      try {
        return (await requireRequest(caller, number, 'number')).request;
      } catch (error) {
        if (error instanceof NotFoundError) return null;
        throw error;
      }
    },

    /** Requests the caller may see, newest first, optionally of one project or model, in one status, or those the caller may act on. */
    async list(caller: Access, filter: PromotionFilter): Promise<{ requests: PromotionRequest[]; hasNextPage: boolean }> {
      if (filter.model) await modelAccess.require(caller, filter.model, 'VIEWER', filter.model.name);
      const projectIds = await readableProjects(caller);
      const now = new Date();
      const status: Prisma.PromotionRequestWhereInput =
        filter.status === 'EXPIRED'
          ? { OR: [{ status: 'EXPIRED' }, { status: 'PENDING', expiresAt: { lte: now } }] }
          : filter.status === 'PENDING' || filter.actionable
            ? { status: 'PENDING', expiresAt: { gt: now } }
            : filter.status
              ? { status: filter.status }
              : {};
      const where: Prisma.PromotionRequestWhereInput = {
        ...status,
        ...(filter.model ? { modelId: filter.model.id } : {}),
        model: {
          ...(filter.project ? { projectId: filter.project.id } : {}),
          ...(projectIds ? { projectId: { in: filter.project ? projectIds.filter((id) => id === filter.project!.id) : projectIds } } : {}),
        },
        ...(filter.before ? { id: { lt: filter.before } } : {}),
      };
      const rows = await prisma.promotionRequest.findMany({ where, orderBy: { id: 'desc' }, take: filter.actionable ? 500 : filter.first + 1 });
      const kept = filter.actionable ? await actionableFor(caller, rows) : rows;
      return { requests: kept.slice(0, filter.first), hasNextPage: kept.length > filter.first };
    },

    /** The decisions on requests the caller read, oldest first. */
    async decisionsOf(caller: Access, requests: readonly PromotionRequest[]): Promise<PromotionDecision[]> {
      const visible = await visibleRequests(caller, requests);
      return prisma.promotionDecision.findMany({ where: { requestId: { in: visible.map((r) => r.id) } }, orderBy: [{ requestId: 'asc' }, { id: 'asc' }] });
    },

    /** Requests by number the caller may see (loaders, alias events). */
    async visibleByIds(caller: Access, ids: readonly number[]): Promise<PromotionRequest[]> {
      return visibleRequests(caller, await prisma.promotionRequest.findMany({ where: { id: { in: [...ids] } } }));
    },

    /** How far a request the caller read is from its rule: who counted for which requirement, how many are missing. */
    progressOf(request: PromotionRequest, decisions: readonly PromotionDecision[]): RuleProgress {
      return ruleProgress(request, decisions);
    },

    /** The rule of a request as it was filed. */
    requirementsOf(request: PromotionRequest): ApprovalRequirement[] {
      return parseRequirements(request.requirements);
    },
  };

  async function visibleRequests(caller: Access, requests: readonly PromotionRequest[]): Promise<PromotionRequest[]> {
    if (requests.length === 0) return [];
    const models = await prisma.registeredModel.findMany({ where: { id: { in: [...new Set(requests.map((r) => r.modelId))] } } });
    const seen = new Set((await modelAccess.visible(caller, models)).map((m) => m.id));
    return requests.filter((r) => seen.has(r.modelId));
  }

  /** Of pending requests, those the caller may approve: not theirs, and a requirement they fit (by name or group). */
  async function actionableFor(caller: Access, requests: readonly PromotionRequest[]): Promise<PromotionRequest[]> {
    const actor = caller.actor ?? LOCAL_ACTOR;
    const visible = await visibleRequests(caller, requests);
    const models = new Map((await prisma.registeredModel.findMany({ where: { id: { in: visible.map((r) => r.modelId) } } })).map((m) => [m.id, m]));
    const groupsByProject = new Map<number, string[]>();
    const decided = new Set(
      (await prisma.promotionDecision.findMany({ where: { actor, requestId: { in: visible.map((r) => r.id) } } })).map((d) => d.requestId),
    );
    const out: PromotionRequest[] = [];
    for (const request of visible) {
      if (request.requestedBy === actor || decided.has(request.id)) continue;
      const projectId = models.get(request.modelId)!.projectId;
      if (!groupsByProject.has(projectId)) groupsByProject.set(projectId, await deps.groupsOf(projectId, actor));
      if (mayApprove(parseRequirements(request.requirements), { actor, groups: groupsByProject.get(projectId)! })) out.push(request);
    }
    return out;
  }
}

export type PromotionService = ReturnType<typeof createPromotionService>;
