// Quarantine of dataset versions found bad, and its release: the current state and the append-only history of both.
import type { Database } from '../../db/database.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { DatasetQuarantineEvent, Prisma, QuarantineAction } from '../../generated/prisma/client.js';
import { requireMaxLength } from '../../validation.js';
import { type Access, LOCAL_ACTOR } from '../auth/access.js';
import { requireVersionRole, visibleVersionIds } from '../datasets/policy.js';
import { lockDatasetVersionRow } from './store.js';

export type { DatasetQuarantineEvent, QuarantineAction };

type Tx = Prisma.TransactionClient;

export interface Quarantine {
  datasetVersionId: number;
  reason: string;
  by: string | null;
  at: Date;
}

const REASON_MAX = 2000;

function requireReason(reason: string, why: string): string {
  const trimmed = reason.trim();
  if (!trimmed) throw new ValidationError('input.reason', why);
  return requireMaxLength('input.reason', trimmed, REASON_MAX);
}

/** Announces a quarantine or release of a dataset version, inside its transaction (the webhook outbox). */
export type QuarantineAnnouncer = (
  tx: Tx,
  kind: 'quarantined' | 'released',
  datasetVersionId: number,
  change: { reason: string; actor: string | null; at: Date },
) => Promise<void>;

export function createQuarantineService(db: Database, announce: QuarantineAnnouncer = async () => {}) {
  const { prisma } = db;

  /** Locks the dataset version, so quarantines and releases of one version happen one at a time. */
  async function lockVersion(tx: Tx, datasetVersionId: number): Promise<void> {
    if (!(await lockDatasetVersionRow(tx, datasetVersionId))) throw new NotFoundError('DatasetVersion', datasetVersionId);
  }

  async function appendEvent(tx: Tx, datasetVersionId: number, action: QuarantineAction, reason: string, actor: string | null, at: Date) {
    return tx.datasetQuarantineEvent.create({ data: { datasetVersionId, action, reason, actor: actor ?? LOCAL_ACTOR, at } });
  }

  /** The quarantines in force (released ones are gone) of these dataset versions, whoever asks (the promotion gate needs them all). */
  async function quarantinesOf(datasetVersionIds: readonly number[]): Promise<Quarantine[]> {
    if (datasetVersionIds.length === 0) return [];
    const rows = await prisma.datasetQuarantine.findMany({ where: { datasetVersionId: { in: [...datasetVersionIds] } }, orderBy: { datasetVersionId: 'asc' } });
    return rows.map((r) => ({ datasetVersionId: r.datasetVersionId, reason: r.reason, by: r.quarantinedBy, at: r.at }));
  }

  return {
    /** The quarantines in force of the dataset versions the caller may see. */
    async visibleQuarantinesOf(caller: Access, datasetVersionIds: readonly number[]): Promise<Quarantine[]> {
      return quarantinesOf(await visibleVersionIds(db.sql, caller, datasetVersionIds));
    },

    /**
     * Marks a dataset version bad (EDITOR in its dataset's project). Quarantining it again while it
     * is quarantined keeps the first record (who, when, why).
     */
    async quarantine(caller: Access, input: { datasetVersionId: number; reason: string }, ref?: string): Promise<{ quarantine: Quarantine; created: boolean }> {
      const actor = caller.actor;
      await requireVersionRole(db.sql, caller, input.datasetVersionId, 'EDITOR', ref);
      const reason = requireReason(input.reason, 'must say why the data is bad');
      const created = await prisma.$transaction(async (tx) => {
        await lockVersion(tx, input.datasetVersionId);
        if (await tx.datasetQuarantine.findUnique({ where: { datasetVersionId: input.datasetVersionId } })) return false;
        const at = new Date();
        await tx.datasetQuarantine.create({ data: { datasetVersionId: input.datasetVersionId, reason, quarantinedBy: actor ?? LOCAL_ACTOR, at } });
        await appendEvent(tx, input.datasetVersionId, 'QUARANTINE', reason, actor, at);
        await announce(tx, 'quarantined', input.datasetVersionId, { reason, actor: actor ?? LOCAL_ACTOR, at });
        return true;
      });
      const [quarantine] = await quarantinesOf([input.datasetVersionId]);
      return { quarantine: quarantine!, created };
    },

    /**
     * Lifts a quarantine: promotions of models trained on the data no longer need an override.
     * Releasing a version that is not quarantined (a retry) records nothing.
     */
    async release(caller: Access, input: { datasetVersionId: number; reason: string }, ref?: string): Promise<{ event: DatasetQuarantineEvent | null }> {
      const actor = caller.actor;
      await requireVersionRole(db.sql, caller, input.datasetVersionId, 'EDITOR', ref);
      const reason = requireReason(input.reason, 'must say why the data is good again');
      const event = await prisma.$transaction(async (tx) => {
        await lockVersion(tx, input.datasetVersionId);
        const { count } = await tx.datasetQuarantine.deleteMany({ where: { datasetVersionId: input.datasetVersionId } });
        if (count === 0) return null;
        const event = await appendEvent(tx, input.datasetVersionId, 'RELEASE', reason, actor, new Date());
        await announce(tx, 'released', input.datasetVersionId, { reason, actor: event.actor, at: event.at });
        return event;
      });
      return { event };
    },

    /** Every quarantine and release of each version the caller may see, oldest first. */
    async historyOf(caller: Access, datasetVersionIds: readonly number[]): Promise<DatasetQuarantineEvent[]> {
      const ids = await visibleVersionIds(db.sql, caller, datasetVersionIds);
      return prisma.datasetQuarantineEvent.findMany({
        where: { datasetVersionId: { in: ids } },
        orderBy: [{ datasetVersionId: 'asc' }, { id: 'asc' }],
      });
    },

    /** Unchecked: the promotion gate weighs every quarantine upstream, wherever it lives. */
    internal: { quarantinesOf },
  };
}

export type QuarantineService = ReturnType<typeof createQuarantineService>;
