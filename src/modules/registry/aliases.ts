// Alias moves (set, remove, roll back): each needs EDITOR on the model and sight of the version,
// passes the one promotion gate, is dated, and is appended to the history. A move of a protected
// alias is never made here: it becomes a promotion request (promotions.ts) that moves the alias
// once its approvals are in.
import type { Database } from '../../db/database.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import type { ModelAliasEvent, ModelVersion, RegisteredModel } from '../../generated/prisma/client.js';
import { requireMaxLength } from '../../validation.js';
import type { Access, Role } from '../auth/access.js';
import { isGlobalAdmin } from '../auth/policy.js';
import type { GateResult } from '../governance/gate-rules.js';
import type { AliasRule } from '../governance/settings.js';
import { heldVersionId, lockForAliasChange, recordAliasChange, type Tx } from './alias-writes.js';
import { modelAccess } from './policy.js';
import type { FiledRequest, PromotionService } from './promotions.js';

const ALIAS_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;
const REASON_MAX = 2000;

/** Which dataset versions the caller may see; a refusal names only those. */
export type VisibleDatasetVersions = (ids: readonly number[]) => Promise<Set<number>>;

export interface GateCheck {
  caller: Access;
  model: RegisteredModel;
  version: ModelVersion;
  alias: string;
  /** How a refusal names the version, e.g. "churn version 3". */
  label: string;
  /** The input field a refusal names. */
  field: string;
  override: { reason: string } | null;
  canSee: VisibleDatasetVersions;
}

export interface GateDecision {
  results: GateResult[];
  /** What an override let through, for the history; null when nothing needed overriding. */
  override: { reason: string; datasetVersionIds: number[] } | null;
}

/**
 * Decides whether an alias may move onto a version (governance supplies it: the project's
 * promotion rules and the quarantine rule). Throws a ConflictError naming every failed rule, or
 * a ForbiddenError when the caller may not override; returns every result and what an override
 * let through.
 */
export interface PromotionGate {
  check(check: GateCheck): Promise<GateDecision>;
  /** Every rule's verdict on a move, refusing nothing (a preview). */
  evaluate(model: RegisteredModel, version: ModelVersion, alias: string, canSee: VisibleDatasetVersions): Promise<{ results: GateResult[] }>;
}

export interface AliasChangeResult {
  model: RegisteredModel;
  /** The version the alias points at after the call (null when removed). */
  version: ModelVersion | null;
  /** The recorded event, or null when the call changed nothing (e.g. a retry). */
  event: ModelAliasEvent | null;
}

/** A move that either happened (or was already so) or, for a protected alias, became a request. */
export type MoveOutcome = { kind: 'moved'; result: AliasChangeResult } | { kind: 'requested'; model: RegisteredModel; filed: FiledRequest };

interface MoveInput {
  model: string;
  alias: string;
  reason?: string | null;
  /** When the move took effect, for imported history; global admins only. */
  effectiveAt?: Date | null;
}

export interface SetAliasInput extends MoveInput {
  version: number;
  override?: { reason: string } | null;
}

export interface RollbackAliasInput extends MoveInput {
  reason: string;
  /** The version the alias points at now; required while it points at one. */
  fromVersion?: number | null;
  override?: { reason: string } | null;
}

export function requireAlias(field: string, alias: string): string {
  if (alias.length === 0 || alias.length > 100 || !ALIAS_PATTERN.test(alias)) {
    throw new ValidationError(
      field,
      `must start with a letter and use only letters, digits, '_' and '-' (at most 100), e.g. "production"; got ${JSON.stringify(alias.slice(0, 100))}`,
    );
  }
  return alias;
}

export function optionalReason(field: string, reason: string | null | undefined): string | null {
  const trimmed = reason?.trim() ?? '';
  return trimmed ? requireMaxLength(field, trimmed, REASON_MAX) : null;
}

function overrideOf(override: { reason: string } | null | undefined): { reason: string } | null {
  if (!override) return null;
  const reason = optionalReason('input.override.reason', override.reason);
  if (!reason) throw new ValidationError('input.override.reason', 'an override must say why');
  return { reason };
}

/** Checks who may date a move (global admins, importing history) and that it is not in the future, before anything is read. */
function requestedEffectiveAt(caller: Access, input: MoveInput): Date | null {
  if (input.effectiveAt == null) return null;
  if (!isGlobalAdmin(caller)) {
    throw new ForbiddenError('input.effectiveAt: only a global admin may date an alias change (history imports); leave it out to record the change as of now', {
      field: 'input.effectiveAt',
      needed: 'GLOBAL_ADMIN',
    });
  }
  if (input.effectiveAt.getTime() > Date.now()) throw new ValidationError('input.effectiveAt', 'must not be in the future');
  return input.effectiveAt;
}

/**
 * The instant a move takes effect: now, or the requested one, which may not come before the
 * alias's latest change, so history (imported oldest first) stays one line in time.
 */
async function effectiveTime(tx: Tx, model: RegisteredModel, alias: string, requested: Date | null, recordedAt: Date): Promise<Date> {
  if (requested === null) return recordedAt;
  const last = await tx.modelAliasEvent.findFirst({ where: { modelId: model.id, alias }, orderBy: [{ effectiveAt: 'desc' }, { id: 'desc' }] });
  if (last && requested < last.effectiveAt) {
    throw new ConflictError(
      `input.effectiveAt: ${JSON.stringify(alias)} of ${model.name} last changed at ${last.effectiveAt.toISOString()}; a change cannot take effect before it (import history oldest first)`,
      { field: 'input.effectiveAt', latestEffectiveAt: last.effectiveAt.toISOString() },
    );
  }
  return requested;
}

export function createAliasService(
  db: Database,
  deps: {
    gate: PromotionGate;
    /** The rule protecting an alias of a model, or null when anyone with EDITOR may move it. */
    aliasRule: (model: RegisteredModel, alias: string) => Promise<AliasRule | null>;
    promotions: PromotionService;
    /** The model when the caller holds `role` in its project (NOT_FOUND when missing or hidden). */
    requireModel: (caller: Access, name: string, role: Role) => Promise<RegisteredModel>;
    /** A version of the model that the caller may see (NOT_FOUND otherwise). */
    requireVersion: (caller: Access, model: RegisteredModel, version: number, field: string) => Promise<ModelVersion>;
    /** Whether the caller may see a version (its model's and its run's projects). */
    canSeeVersion: (caller: Access, versionId: number) => Promise<boolean>;
    /** Which dataset versions the caller may see, for the gate's refusal. */
    visibleDatasetVersions: (caller: Access) => VisibleDatasetVersions;
    /** Announces a recorded alias change to webhook subscribers, in the move's transaction. */
    announce: (tx: Tx, model: RegisteredModel, event: ModelAliasEvent) => Promise<void>;
  },
) {
  const { prisma } = db;

  /**
   * The one gate every alias move passes (set, rollback, requests, and any front door that
   * calls them). Moving nowhere (a removal) or onto the version already held needs nothing.
   */
  async function gateMove(
    caller: Access,
    model: RegisteredModel,
    alias: string,
    target: ModelVersion | null,
    held: number | null,
    override: { reason: string } | null,
  ): Promise<GateDecision | null> {
    if (target === null || target.id === held) return null;
    return deps.gate.check({
      caller,
      model,
      version: target,
      alias,
      label: `${model.name} version ${target.version}`,
      field: 'input.version',
      override,
      canSee: deps.visibleDatasetVersions(caller),
    });
  }

  async function versionById(id: number | null): Promise<ModelVersion | null> {
    return id === null ? null : prisma.modelVersion.findUnique({ where: { id } });
  }

  /** A protected alias is moved only by approved requests, never dated into the past. */
  async function protection(caller: Access, model: RegisteredModel, alias: string, input: MoveInput): Promise<AliasRule | null> {
    const rule = await deps.aliasRule(model, alias);
    if (rule && input.effectiveAt != null) {
      throw new ValidationError(
        'input.effectiveAt',
        `${JSON.stringify(alias)} of ${model.name} is protected: its history cannot be imported; lift the protection for the import`,
      );
    }
    return rule;
  }

  async function record(tx: Tx, model: RegisteredModel, change: Parameters<typeof recordAliasChange>[1]): Promise<ModelAliasEvent> {
    const event = await recordAliasChange(tx, change);
    await deps.announce(tx, model, event);
    return event;
  }

  type RollbackPlan = { kind: 'noop'; heldId: number | null } | { kind: 'move'; lastEventId: number; from: number | null; to: number };

  /**
   * What a rollback would do now: undo the latest change, unless the alias no longer holds the
   * version the caller saw (`fromVersion`), which makes a retried rollback a no-op instead of
   * undoing itself. `fromVersion` may be left out only to undo a removal.
   */
  async function planRollback(client: Tx, model: RegisteredModel, alias: string, expected: ModelVersion | null): Promise<RollbackPlan> {
    const heldId = await heldVersionId(client, model.id, alias);
    const last = await client.modelAliasEvent.findFirst({ where: { modelId: model.id, alias }, orderBy: [{ effectiveAt: 'desc' }, { id: 'desc' }] });
    if (expected && heldId !== expected.id) return { kind: 'noop', heldId };
    if (!expected && heldId !== null) {
      // Undoing a removal again, once it is undone, is the retry of that call.
      if (last?.action === 'ROLLBACK' && last.fromVersionId === null) return { kind: 'noop', heldId };
      const held = await client.modelVersion.findUnique({ where: { id: heldId } });
      throw new ValidationError(
        'input.fromVersion',
        `required while the alias points at a version: ${JSON.stringify(alias)} of ${model.name} points at version ${held?.version}; pass fromVersion: ${held?.version} so a retried rollback changes nothing`,
      );
    }
    if (!last)
      throw new ConflictError(`input.alias: ${model.name} has never had the alias ${JSON.stringify(alias)}; there is nothing to roll back`, {
        field: 'input.alias',
      });
    if (last.fromVersionId === null) {
      throw new ConflictError(`input.alias: ${JSON.stringify(alias)} of ${model.name} held no version before its latest change; use removeModelAlias`, {
        field: 'input.alias',
      });
    }
    return { kind: 'move', lastEventId: last.id, from: heldId, to: last.fromVersionId };
  }

  async function moveTo(caller: Access, input: SetAliasInput): Promise<MoveOutcome> {
    const alias = requireAlias('input.alias', input.alias);
    const reason = optionalReason('input.reason', input.reason);
    const override = overrideOf(input.override);
    const requested = requestedEffectiveAt(caller, input);
    const model = await deps.requireModel(caller, input.model, 'EDITOR');
    // The target must be visible too: its run may be in a project the caller has no role in.
    const target = await deps.requireVersion(caller, model, input.version, 'input.version');
    const rule = await protection(caller, model, alias, input);
    // The gate reads lineage outside the transaction (PGlite has one connection).
    const heldBefore = await heldVersionId(prisma, model.id, alias);
    if (rule && heldBefore === target.id) return { kind: 'moved', result: { model, version: target, event: null } };
    const passed = await gateMove(caller, model, alias, target, heldBefore, override);
    if (rule) {
      const filed = await deps.promotions.file(caller, { model, alias, action: 'SET', from: heldBefore, to: target, reason, rule, gate: passed });
      return { kind: 'requested', model, filed };
    }
    const event = await prisma.$transaction(async (tx) => {
      const at = await lockForAliasChange(tx, model.id);
      const from = await heldVersionId(tx, model.id, alias);
      if (from === target.id) return null;
      // The gate let it through only because the alias already held it; it moved away meanwhile.
      if (heldBefore === target.id) {
        throw new ConflictError(`input.alias: ${JSON.stringify(alias)} of ${model.name} changed while moving it; read it again and retry`, {
          field: 'input.alias',
        });
      }
      const effectiveAt = await effectiveTime(tx, model, alias, requested, at);
      return record(tx, model, {
        modelId: model.id,
        alias,
        action: 'SET',
        from,
        to: target.id,
        actor: caller.actor,
        reason,
        at,
        effectiveAt,
        override: passed?.override,
        gateResults: passed?.results,
      });
    });
    return { kind: 'moved', result: { model, version: target, event } };
  }

  async function remove(caller: Access, input: MoveInput): Promise<MoveOutcome> {
    const alias = requireAlias('input.alias', input.alias);
    const reason = optionalReason('input.reason', input.reason);
    const requested = requestedEffectiveAt(caller, input);
    const model = await deps.requireModel(caller, input.model, 'EDITOR');
    const rule = await protection(caller, model, alias, input);
    if (rule) {
      const held = await heldVersionId(prisma, model.id, alias);
      if (held === null) return { kind: 'moved', result: { model, version: null, event: null } };
      const filed = await deps.promotions.file(caller, { model, alias, action: 'REMOVE', from: held, to: null, reason, rule, gate: null });
      return { kind: 'requested', model, filed };
    }
    const event = await prisma.$transaction(async (tx) => {
      const at = await lockForAliasChange(tx, model.id);
      const from = await heldVersionId(tx, model.id, alias);
      if (from === null) return null;
      const effectiveAt = await effectiveTime(tx, model, alias, requested, at);
      return record(tx, model, { modelId: model.id, alias, action: 'REMOVE', from, to: null, actor: caller.actor, reason, at, effectiveAt });
    });
    return { kind: 'moved', result: { model, version: null, event } };
  }

  async function rollback(caller: Access, input: RollbackAliasInput): Promise<MoveOutcome> {
    const alias = requireAlias('input.alias', input.alias);
    const reason = optionalReason('input.reason', input.reason);
    if (!reason) throw new ValidationError('input.reason', 'a rollback must say why');
    const override = overrideOf(input.override);
    const requested = requestedEffectiveAt(caller, input);
    const model = await deps.requireModel(caller, input.model, 'EDITOR');
    const expected = input.fromVersion == null ? null : await deps.requireVersion(caller, model, input.fromVersion, 'input.fromVersion');
    const rule = await protection(caller, model, alias, input);
    // Planned and gated outside the transaction (the gate reads lineage), then re-planned under the lock.
    const plan = await planRollback(prisma, model, alias, expected);
    if (plan.kind === 'noop') return { kind: 'moved', result: { model, version: await versionById(plan.heldId), event: null } };
    // Going back onto a version the caller cannot see is refused like setting the alias onto it.
    if (!(await deps.canSeeVersion(caller, plan.to))) throw new NotFoundError('ModelVersion', `${model.name}/previous`);
    const target = await versionById(plan.to);
    const passed = await gateMove(caller, model, alias, target, plan.from, override);
    if (rule) {
      const filed = await deps.promotions.file(caller, { model, alias, action: 'ROLLBACK', from: plan.from, to: target, reason, rule, gate: passed });
      return { kind: 'requested', model, filed };
    }
    const event = await prisma.$transaction(async (tx) => {
      const at = await lockForAliasChange(tx, model.id);
      const now = await planRollback(tx, model, alias, expected);
      if (now.kind === 'noop') return null;
      if (now.lastEventId !== plan.lastEventId) {
        throw new ConflictError(`input.alias: ${JSON.stringify(alias)} of ${model.name} changed while rolling back; read it again and retry`, {
          field: 'input.alias',
        });
      }
      const effectiveAt = await effectiveTime(tx, model, alias, requested, at);
      return record(tx, model, {
        modelId: model.id,
        alias,
        action: 'ROLLBACK',
        from: now.from,
        to: now.to,
        actor: caller.actor,
        reason,
        at,
        effectiveAt,
        override: passed?.override,
        gateResults: passed?.results,
      });
    });
    const heldId = event ? event.toVersionId : await heldVersionId(prisma, model.id, alias);
    return { kind: 'moved', result: { model, version: await versionById(heldId), event } };
  }

  /** A move of a protected alias was filed as a request instead: FORBIDDEN, naming the request and where to approve it. */
  function moved(outcome: MoveOutcome): AliasChangeResult {
    if (outcome.kind === 'moved') return outcome.result;
    throw deps.promotions.approvalRequired(outcome.model, outcome.filed);
  }

  return {
    /**
     * Points an alias at a version. Pointing it where it already points records nothing. A
     * version the gate refuses needs `override.reason` (from a caller allowed to override),
     * which the history records with what it let through. On a protected alias the move is
     * filed as a promotion request and the call is refused (FORBIDDEN) naming the request.
     */
    async setAlias(caller: Access, input: SetAliasInput): Promise<AliasChangeResult> {
      return moved(await moveTo(caller, input));
    },

    /** Removes an alias. Removing one that is not set records nothing. A protected alias is removed only through an approved request. */
    async removeAlias(caller: Access, input: MoveInput): Promise<AliasChangeResult> {
      return moved(await remove(caller, input));
    },

    /**
     * Undoes the latest change of an alias: it goes back to the version it held before (a
     * removal is undone by restoring the removed version). `fromVersion` (required while the
     * alias points at a version) makes a retry a no-op. The version it goes back to passes the
     * same gate as setAlias, with the same `override`. A protected alias is rolled back only
     * through an approved request.
     */
    async rollbackAlias(caller: Access, input: RollbackAliasInput): Promise<AliasChangeResult> {
      return moved(await rollback(caller, input));
    },

    /**
     * Moves an alias onto a version, or, when the alias is protected, files the promotion request
     * for it (returned, with whether this call created it) instead of refusing.
     */
    requestMove: moveTo,

    /** What the promotion rules would say of moving `alias` onto a version the caller read, now (nothing is refused or recorded). */
    async previewGates(caller: Access, model: RegisteredModel, version: ModelVersion, alias: string): Promise<GateResult[]> {
      requireAlias('alias', alias);
      await modelAccess.require(caller, model, 'VIEWER', model.name);
      return (await deps.gate.evaluate(model, version, alias, deps.visibleDatasetVersions(caller))).results;
    },

    /** The id of the version an alias of a model the caller read pointed at at `at` (by effective time); null when it was unset then. */
    async aliasAt(caller: Access, model: RegisteredModel, alias: string, at: Date): Promise<number | null> {
      requireAlias('name', alias);
      await modelAccess.require(caller, model, 'VIEWER', model.name);
      const event = await prisma.modelAliasEvent.findFirst({
        where: { modelId: model.id, alias, effectiveAt: { lte: at } },
        orderBy: [{ effectiveAt: 'desc' }, { id: 'desc' }],
      });
      return event?.toVersionId ?? null;
    },

    /** Alias changes in the order they took effect, oldest first. */
    async history(caller: Access, model: RegisteredModel, alias: string | null): Promise<ModelAliasEvent[]> {
      if (alias !== null) requireAlias('alias', alias);
      await modelAccess.require(caller, model, 'VIEWER', model.name);
      return prisma.modelAliasEvent.findMany({
        where: { modelId: model.id, ...(alias !== null ? { alias } : {}) },
        orderBy: [{ effectiveAt: 'asc' }, { id: 'asc' }],
      });
    },
  };
}

export type AliasService = ReturnType<typeof createAliasService>;
