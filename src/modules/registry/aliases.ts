// Alias moves (set, remove, roll back): each needs EDITOR on the model and sight of the version, passes the one quarantine gate, is dated, and is appended to the history.
import type { Database } from '../../db/database.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import type { AliasAction, ModelAliasEvent, ModelVersion, Prisma, RegisteredModel } from '../../generated/prisma/client.js';
import { requireMaxLength } from '../../validation.js';
import { type Access, LOCAL_ACTOR, type Role } from '../auth/access.js';
import { isGlobalAdmin } from '../auth/policy.js';
import { modelAccess } from './policy.js';

type Tx = Prisma.TransactionClient;

const ALIAS_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;
const REASON_MAX = 2000;

/**
 * Decides whether an alias may move onto a version; lineage supplies it (a version trained on
 * quarantined data needs an override). Throws a ConflictError to refuse; returns what an
 * override let through, for the history, or null when nothing needed overriding.
 */
export interface PromotionGate {
  check(
    version: ModelVersion,
    label: string,
    override: { reason: string } | null,
    canSee?: VisibleDatasetVersions,
  ): Promise<{ reason: string; datasetVersionIds: number[] } | null>;
}

/** Which of these dataset versions the caller may see; a refusal names only those. */
export type VisibleDatasetVersions = (ids: readonly number[]) => Promise<Set<number>>;

export interface AliasChangeResult {
  model: RegisteredModel;
  /** The version the alias points at after the call (null when removed). */
  version: ModelVersion | null;
  /** The recorded event, or null when the call changed nothing (e.g. a retry). */
  event: ModelAliasEvent | null;
}

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

function optionalReason(field: string, reason: string | null | undefined): string | null {
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
    /** The model when the caller holds `role` in its project (NOT_FOUND when missing or hidden). */
    requireModel: (caller: Access, name: string, role: Role) => Promise<RegisteredModel>;
    /** A version of the model that the caller may see (NOT_FOUND otherwise). */
    requireVersion: (caller: Access, model: RegisteredModel, version: number, field: string) => Promise<ModelVersion>;
    /** Whether the caller may see a version (its model's and its run's projects). */
    canSeeVersion: (caller: Access, versionId: number) => Promise<boolean>;
    /** Which dataset versions the caller may see, for the gate's refusal. */
    visibleDatasetVersions: (caller: Access) => VisibleDatasetVersions;
  },
) {
  const { prisma } = db;

  /**
   * The one quarantine gate every alias move passes (set, rollback, and any front door that
   * calls them). Moving nowhere (a removal) or onto the version already held needs nothing; a
   * version with quarantined data upstream needs an override, returned for the history.
   */
  async function gateMove(
    model: RegisteredModel,
    target: ModelVersion | null,
    heldVersionId: number | null,
    override: { reason: string } | null,
    canSee?: VisibleDatasetVersions,
  ): Promise<{ reason: string; datasetVersionIds: number[] } | null> {
    if (target === null || target.id === heldVersionId) return null;
    return deps.gate.check(target, `${model.name} version ${target.version}`, override, canSee);
  }

  /**
   * Locks the model row so alias changes of one model happen one at a time, and returns the
   * instant to record: never earlier than the last one, so recording order is time order.
   */
  async function lockForAliasChange(tx: Tx, modelId: number): Promise<Date> {
    await tx.$queryRaw`SELECT id FROM registered_models WHERE id = ${modelId} FOR UPDATE`;
    const last = await tx.modelAliasEvent.findFirst({ where: { modelId }, orderBy: [{ at: 'desc' }, { id: 'desc' }] });
    const now = new Date();
    return last && last.at > now ? last.at : now;
  }

  /** Moves (or removes) an alias and appends its event, in the caller's transaction. */
  async function recordAliasChange(
    tx: Tx,
    change: {
      modelId: number;
      alias: string;
      action: AliasAction;
      from: number | null;
      to: number | null;
      actor: string | null;
      reason: string | null;
      at: Date;
      effectiveAt: Date;
      override?: { reason: string; datasetVersionIds: number[] } | null;
    },
  ): Promise<ModelAliasEvent> {
    const key = { modelId_alias: { modelId: change.modelId, alias: change.alias } };
    if (change.to === null) {
      await tx.modelAlias.delete({ where: key });
    } else {
      await tx.modelAlias.upsert({
        where: key,
        create: { modelId: change.modelId, alias: change.alias, versionId: change.to, updatedAt: change.effectiveAt },
        update: { versionId: change.to, updatedAt: change.effectiveAt },
      });
    }
    return tx.modelAliasEvent.create({
      data: {
        modelId: change.modelId,
        alias: change.alias,
        action: change.action,
        fromVersionId: change.from,
        toVersionId: change.to,
        // Who acted, never who trained: with authentication off and no user named, the local user.
        actor: change.actor ?? LOCAL_ACTOR,
        reason: change.reason,
        at: change.at,
        effectiveAt: change.effectiveAt,
        overrideReason: change.override?.reason ?? null,
        overriddenDatasetVersionIds: change.override?.datasetVersionIds ?? [],
      },
    });
  }

  async function heldVersionId(client: Tx, modelId: number, alias: string): Promise<number | null> {
    return (await client.modelAlias.findUnique({ where: { modelId_alias: { modelId, alias } } }))?.versionId ?? null;
  }

  async function versionById(id: number | null): Promise<ModelVersion | null> {
    return id === null ? null : prisma.modelVersion.findUnique({ where: { id } });
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

  return {
    /**
     * Points an alias at a version. Pointing it where it already points records nothing. A
     * version the gate refuses (trained on quarantined data) needs `override.reason`, which the
     * history records with what it let through.
     */
    async setAlias(caller: Access, input: SetAliasInput): Promise<AliasChangeResult> {
      const alias = requireAlias('input.alias', input.alias);
      const reason = optionalReason('input.reason', input.reason);
      const override = overrideOf(input.override);
      const requested = requestedEffectiveAt(caller, input);
      const actor = caller.actor;
      const model = await deps.requireModel(caller, input.model, 'EDITOR');
      // The target must be visible too: its run may be in a project the caller has no role in.
      const target = await deps.requireVersion(caller, model, input.version, 'input.version');
      // The gate reads lineage outside the transaction (PGlite has one connection).
      const heldBefore = await heldVersionId(prisma, model.id, alias);
      const passed = await gateMove(model, target, heldBefore, override, deps.visibleDatasetVersions(caller));
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
        return recordAliasChange(tx, { modelId: model.id, alias, action: 'SET', from, to: target.id, actor, reason, at, effectiveAt, override: passed });
      });
      return { model, version: target, event };
    },

    /** Removes an alias. Removing one that is not set records nothing. */
    async removeAlias(caller: Access, input: MoveInput): Promise<AliasChangeResult> {
      const alias = requireAlias('input.alias', input.alias);
      const reason = optionalReason('input.reason', input.reason);
      const requested = requestedEffectiveAt(caller, input);
      const actor = caller.actor;
      const model = await deps.requireModel(caller, input.model, 'EDITOR');
      const event = await prisma.$transaction(async (tx) => {
        const at = await lockForAliasChange(tx, model.id);
        const from = await heldVersionId(tx, model.id, alias);
        if (from === null) return null;
        const effectiveAt = await effectiveTime(tx, model, alias, requested, at);
        return recordAliasChange(tx, { modelId: model.id, alias, action: 'REMOVE', from, to: null, actor, reason, at, effectiveAt });
      });
      return { model, version: null, event };
    },

    /**
     * Undoes the latest change of an alias: it goes back to the version it held before (a
     * removal is undone by restoring the removed version). `fromVersion` (required while the
     * alias points at a version) makes a retry a no-op. The version it goes back to passes the
     * same quarantine gate as setAlias, with the same `override`.
     */
    async rollbackAlias(caller: Access, input: RollbackAliasInput): Promise<AliasChangeResult> {
      const alias = requireAlias('input.alias', input.alias);
      const reason = optionalReason('input.reason', input.reason);
      if (!reason) throw new ValidationError('input.reason', 'a rollback must say why');
      const override = overrideOf(input.override);
      const requested = requestedEffectiveAt(caller, input);
      const actor = caller.actor;
      const model = await deps.requireModel(caller, input.model, 'EDITOR');
      const expected = input.fromVersion == null ? null : await deps.requireVersion(caller, model, input.fromVersion, 'input.fromVersion');
      // Planned and gated outside the transaction (the gate reads lineage), then re-planned under the lock.
      const plan = await planRollback(prisma, model, alias, expected);
      if (plan.kind === 'noop') return { model, version: await versionById(plan.heldId), event: null };
      // Going back onto a version the caller cannot see is refused like setting the alias onto it.
      if (!(await deps.canSeeVersion(caller, plan.to))) throw new NotFoundError('ModelVersion', `${model.name}/previous`);
      const passed = await gateMove(model, await versionById(plan.to), plan.from, override, deps.visibleDatasetVersions(caller));
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
        return recordAliasChange(tx, {
          modelId: model.id,
          alias,
          action: 'ROLLBACK',
          from: now.from,
          to: now.to,
          actor,
          reason,
          at,
          effectiveAt,
          override: passed,
        });
      });
      const heldId = event ? event.toVersionId : await heldVersionId(prisma, model.id, alias);
      return { model, version: await versionById(heldId), event };
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
