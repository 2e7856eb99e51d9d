// What an alias held and when, and what the promotion rules would say of a move, for a caller who may read the model.
import type { Database } from '../../db/database.js';
import type { ModelAliasEvent, ModelVersion, RegisteredModel } from '../../generated/prisma/client.js';
import type { Access } from '../auth/access.js';
import type { GateResult } from '../governance/gate-rules.js';
import { requireAlias } from './alias-rules.js';
import type { AliasDeps } from './aliases.js';
import { modelAccess } from './policy.js';

export function createAliasReads(db: Database, deps: Pick<AliasDeps, 'gate' | 'visibleDatasetVersions'>) {
  const { prisma } = db;
  return {
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
