// The steps every alias move shares: the one promotion gate, protection, and recording the change.
import type { Database } from '../../db/database.js';
import { ValidationError } from '../../errors.js';
import type { ModelAliasEvent, ModelVersion, RegisteredModel } from '../../generated/prisma/client.js';
import type { Access } from '../auth/access.js';
import type { AliasRule } from '../governance/settings.js';
import { recordAliasChange, type Tx } from './alias-writes.js';
import type { AliasDeps, GateDecision, MoveInput } from './aliases.js';

export function createAliasSteps(db: Database, deps: AliasDeps) {
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
  async function protection(_caller: Access, model: RegisteredModel, alias: string, input: MoveInput): Promise<AliasRule | null> {
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

  return { gateMove, versionById, protection, record };
}

export type AliasSteps = ReturnType<typeof createAliasSteps>;
