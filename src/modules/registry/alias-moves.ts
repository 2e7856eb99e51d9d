// Setting and removing an alias: moved at once, or filed as a promotion request when protected.
import type { Database } from '../../db/database.js';
import { ConflictError } from '../../errors.js';
import type { Access } from '../auth/access.js';
import { optionalReason, overrideOf, requestedEffectiveAt, requireAlias, effectiveTime } from './alias-rules.js';
import type { AliasSteps } from './alias-steps.js';
import { heldVersionId, lockForAliasChange } from './alias-writes.js';
import type { AliasDeps, MoveInput, MoveOutcome, SetAliasInput } from './aliases.js';

export function createAliasMoves(db: Database, deps: AliasDeps, steps: AliasSteps) {
  const { prisma } = db;

  async function moveTo(caller: Access, input: SetAliasInput): Promise<MoveOutcome> {
    const alias = requireAlias('input.alias', input.alias);
    const reason = optionalReason('input.reason', input.reason);
    const override = overrideOf(input.override);
    const requested = requestedEffectiveAt(caller, input);
    const model = await deps.requireModel(caller, input.model, 'EDITOR');
    // The target must be visible too: its run may be in a project the caller has no role in.
    const target = await deps.requireVersion(caller, model, input.version, 'input.version');
    const rule = await steps.protection(caller, model, alias, input);
    // The gate reads lineage outside the transaction (PGlite has one connection).
    const heldBefore = await heldVersionId(prisma, model.id, alias);
    if (rule && heldBefore === target.id) return { kind: 'moved', result: { model, version: target, event: null } };
    const passed = await steps.gateMove(caller, model, alias, target, heldBefore, override);
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
      return steps.record(tx, model, {
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
    const rule = await steps.protection(caller, model, alias, input);
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
      return steps.record(tx, model, { modelId: model.id, alias, action: 'REMOVE', from, to: null, actor: caller.actor, reason, at, effectiveAt });
    });
    return { kind: 'moved', result: { model, version: null, event } };
  }

  return { moveTo, remove };
}
