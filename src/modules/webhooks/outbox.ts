// The webhook outbox: what a service calls, inside the transaction of a change, to announce it.
// The event row and one delivery per matching subscription commit with the change or not at
// all, so an event is never lost to a crash between the change and its announcement, and never
// announced for a change that rolled back. The delivery worker (worker.ts) sends them.
import type { SqlQueryable } from '../../db/sql.js';
import { insertEvent } from './store.js';

/** The events runledger announces, by the name subscriptions use. */
export const EVENT_TYPES = [
  'alias.moved',
  'promotion.requested',
  'promotion.approved',
  'promotion.rejected',
  'model_version.created',
  'dataset_version.quarantined',
  'dataset_version.released',
  'run.finished',
  'run.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The MLflow 3 registry events runledger can send to webhooks made through MLflow's API. */
export const MLFLOW_EVENT_TYPES = ['model_version.created', 'model_version_alias.created', 'model_version_alias.deleted'] as const;
export type MlflowEventType = (typeof MLFLOW_EVENT_TYPES)[number];

export interface NewEvent {
  type: EventType;
  /** The project the change happened in: its subscriptions and the global ones receive it. */
  projectId: number;
  data: Record<string, unknown>;
  /** The same change as MLflow announces it, when MLflow has such an event. */
  mlflow?: { type: MlflowEventType; data: Record<string, unknown> } | null;
}

/** A Prisma interactive-transaction client or the SQL port's transaction. */
export type EventWriter = SqlQueryable | { $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> };

/** Records events on the caller's transaction; what every announcing service is given. */
export type EventSink = (tx: EventWriter, events: readonly NewEvent[]) => Promise<void>;

/**
 * Writes each event and its deliveries in one statement: the subscriptions of the event's
 * project and the global ones, active, that listen to its type (by runledger's name, or by
 * MLflow's for MLflow-made subscriptions). `onQueued` hears that deliveries are due (a nudge for
 * the local worker; other replicas find them by polling).
 */
export function eventSink(onQueued: () => void = () => {}): EventSink {
  return async (tx, events) => {
    for (const event of events) {
      if ((await insertEvent(tx, event)) > 0) onQueued();
    }
  };
}
