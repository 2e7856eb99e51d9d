// The writes every alias move ends in, shared by direct moves (aliases.ts) and approved promotion
// requests (promotions.ts): the model row lock that orders a model's alias changes, the current
// target, and the change itself with its append-only history event.
import type { AliasAction, ModelAliasEvent, Prisma } from '../../generated/prisma/client.js';
import { LOCAL_ACTOR } from '../auth/access.js';
import type { GateResult } from '../governance/gate-rules.js';
import { lockModelRow } from './store.js';

export type Tx = Prisma.TransactionClient;

export interface AliasChange {
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
  /** The promotion rules evaluated for the move (none for a removal). */
  gateResults?: readonly GateResult[] | null;
  /** The approved request this move carries out. */
  promotionRequestId?: number | null;
}

/**
 * Locks the model row so alias changes of one model happen one at a time, and returns the
 * instant to record: never earlier than the last one, so recording order is time order.
 */
export async function lockForAliasChange(tx: Tx, modelId: number): Promise<Date> {
  await lockModelRow(tx, modelId);
  const last = await tx.modelAliasEvent.findFirst({ where: { modelId }, orderBy: [{ at: 'desc' }, { id: 'desc' }] });
  const now = new Date();
  return last && last.at > now ? last.at : now;
}

export async function heldVersionId(client: Tx, modelId: number, alias: string): Promise<number | null> {
  return (await client.modelAlias.findUnique({ where: { modelId_alias: { modelId, alias } } }))?.versionId ?? null;
}

/** Moves (or removes) an alias and appends its event, in the caller's transaction. */
export async function recordAliasChange(tx: Tx, change: AliasChange): Promise<ModelAliasEvent> {
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
      gateResults: change.gateResults ? (change.gateResults as unknown as Prisma.InputJsonValue) : undefined,
      promotionRequestId: change.promotionRequestId ?? null,
    },
  });
}
