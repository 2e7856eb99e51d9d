// Rolling an alias back: undo its latest change, planned outside the transaction (the gate reads
// lineage) and planned again under the lock, so a concurrent change or a retry is caught.
import type { Database } from '../../db/database.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import type { ModelVersion, RegisteredModel } from '../../generated/prisma/client.js';
import type { Access } from '../auth/access.js';
import { optionalReason, overrideOf, requestedEffectiveAt, requireAlias, effectiveTime } from './alias-rules.js';
import type { AliasSteps } from './alias-steps.js';
import { heldVersionId, lockForAliasChange, type Tx } from './alias-writes.js';
import type { AliasDeps, MoveOutcome, RollbackAliasInput } from './aliases.js';

export type RollbackPlan = { kind: 'noop'; heldId: number | null } | { kind: 'move'; lastEventId: number; from: number | null; to: number };

/**
 * What a rollback would do now: undo the latest change, unless the alias no longer holds the
 * version the caller saw (`fromVersion`), which makes a retried rollback a no-op instead of
 * undoing itself. `fromVersion` may be left out only to undo a removal.
 */
export async function planRollback(client: Tx, model: RegisteredModel, alias: string, expected: ModelVersion | null): Promise<RollbackPlan> {
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

export function createAliasRollback(db: Database, deps: AliasDeps, steps: AliasSteps) {
  const { prisma } = db;

  async function rollback(caller: Access, input: RollbackAliasInput): Promise<MoveOutcome> {
    const alias = requireAlias('input.alias', input.alias);
    const reason = optionalReason('input.reason', input.reason);
    if (!reason) throw new ValidationError('input.reason', 'a rollback must say why');
    const override = overrideOf(input.override);
    const requested = requestedEffectiveAt(caller, input);
    const model = await deps.requireModel(caller, input.model, 'EDITOR');
    const expected = input.fromVersion == null ? null : await deps.requireVersion(caller, model, input.fromVersion, 'input.fromVersion');
    const rule = await steps.protection(caller, model, alias, input);
    // Planned and gated outside the transaction (the gate reads lineage), then re-planned under the lock.
    const plan = await planRollback(prisma, model, alias, expected);
    if (plan.kind === 'noop') return { kind: 'moved', result: { model, version: await steps.versionById(plan.heldId), event: null } };
    // Going back onto a version the caller cannot see is refused like setting the alias onto it.
    if (!(await deps.canSeeVersion(caller, plan.to))) throw new NotFoundError('ModelVersion', `${model.name}/previous`);
    const target = await steps.versionById(plan.to);
    const passed = await steps.gateMove(caller, model, alias, target, plan.from, override);
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
      return steps.record(tx, model, {
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
    return { kind: 'moved', result: { model, version: await steps.versionById(heldId), event } };
  }

  return { rollback };
}
