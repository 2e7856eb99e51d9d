// SQL of the delivery worker: leasing subscriptions whose next delivery is due (SELECT ... FOR
// UPDATE SKIP LOCKED, so replicas never take the same one), reading each one's head of line,
// and recording what an attempt did.
import { randomUUID } from 'node:crypto';
import type { SqlQueryable } from '../../db/sql.js';
import type { EventWriter, NewEvent } from './outbox.js';
import type { OutgoingEvent, WebhookFormat } from './send.js';

export interface LeasedSubscription {
  id: number;
  url: string;
  format: WebhookFormat;
  secret: string | null;
}

export interface HeadDelivery {
  id: number;
  attempts: number;
  nextAttemptAt: Date;
  event: OutgoingEvent;
}

/**
 * Leases up to `limit` active subscriptions whose oldest pending delivery is due and that no
 * live lease holds, for `leaseMs`. Rows another replica is leasing right now are skipped, not waited for.
 */
export async function leaseDueSubscriptions(sql: SqlQueryable, owner: string, leaseMs: number, limit: number): Promise<LeasedSubscription[]> {
  return sql.query<LeasedSubscription>(
    `UPDATE webhook_subscriptions s SET lease_owner = $1, lease_until = now() + make_interval(secs => $2::double precision / 1000)
     WHERE s.id IN (
       SELECT c.id FROM webhook_subscriptions c
       WHERE c.active AND c.deleted_at IS NULL AND (c.lease_until IS NULL OR c.lease_until < now())
         AND (SELECT d.next_attempt_at FROM webhook_deliveries d
              WHERE d.subscription_id = c.id AND d.status = 'PENDING' ORDER BY d.id LIMIT 1) <= now()
       ORDER BY c.id LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING s.id, s.url, s.format, s.secret`,
    [owner, leaseMs, limit],
  );
}

/** Extends a lease this worker still holds; false when it was lost (expired and taken). */
export async function renewLease(sql: SqlQueryable, subscriptionId: number, owner: string, leaseMs: number): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE webhook_subscriptions SET lease_until = now() + make_interval(secs => $3::double precision / 1000)
     WHERE id = $1 AND lease_owner = $2 RETURNING id`,
    [subscriptionId, owner, leaseMs],
  );
  return rows.length > 0;
}

export async function releaseLease(sql: SqlQueryable, subscriptionId: number, owner: string): Promise<void> {
  await sql.query('UPDATE webhook_subscriptions SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2', [subscriptionId, owner]);
}

/** The oldest pending delivery of a subscription, with its event; null when none is pending. */
export async function headDelivery(sql: SqlQueryable, subscriptionId: number): Promise<HeadDelivery | null> {
  const [row] = await sql.query<{
    id: number;
    attempts: number;
    next_attempt_at: Date;
    event_id: string;
    type: string;
    mlflow_type: string | null;
    project: string | null;
    data: unknown;
    mlflow_data: unknown;
    created_at: Date;
  }>(
    `SELECT d.id, d.attempts, d.next_attempt_at, e.event_id, e.type, e.mlflow_type, p.name AS project, e.data, e.mlflow_data, e.created_at
     FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id LEFT JOIN projects p ON p.id = e.project_id
     WHERE d.subscription_id = $1 AND d.status = 'PENDING' ORDER BY d.id LIMIT 1`,
    [subscriptionId],
  );
  if (!row) return null;
  return {
    id: row.id,
    attempts: row.attempts,
    nextAttemptAt: new Date(row.next_attempt_at),
    event: {
      eventId: row.event_id,
      type: row.type,
      mlflowType: row.mlflow_type,
      project: row.project,
      data: row.data,
      mlflowData: row.mlflow_data,
      createdAt: new Date(row.created_at),
    },
  };
}

export async function markDelivered(sql: SqlQueryable, deliveryId: number, status: number): Promise<void> {
  await sql.query(
    `UPDATE webhook_deliveries SET status = 'DELIVERED', attempts = attempts + 1, response_status = $2, last_error = NULL,
            last_attempt_at = now(), delivered_at = now() WHERE id = $1 AND status = 'PENDING'`,
    [deliveryId, status],
  );
}

/** Records a failed attempt: retried after `retryInMs`, or FAILED (given up) when `giveUp`. */
export async function markFailed(
  sql: SqlQueryable,
  deliveryId: number,
  attempt: { status: number | null; error: string },
  retryInMs: number,
  giveUp: boolean,
): Promise<void> {
  await sql.query(
    `UPDATE webhook_deliveries SET status = CASE WHEN $5 THEN 'FAILED'::"WebhookDeliveryStatus" ELSE status END, attempts = attempts + 1,
            response_status = $2, last_error = $3, last_attempt_at = now(),
            next_attempt_at = now() + make_interval(secs => $4::double precision / 1000)
     WHERE id = $1 AND status = 'PENDING'`,
    [deliveryId, attempt.status, attempt.error.slice(0, 1000), retryInMs, giveUp],
  );
}

/**
 * When a subscription's next delivery can be sent at the earliest: its head's next attempt, or
 * when the lease another worker holds on it runs out; null when nothing is pending.
 */
export async function nextDueAt(sql: SqlQueryable): Promise<Date | null> {
  const [row] = await sql.query<{ at: Date | null }>(
    `SELECT min(greatest(h.next_attempt_at, coalesce(s.lease_until, h.next_attempt_at))) AS at
     FROM webhook_subscriptions s
     CROSS JOIN LATERAL (SELECT d.next_attempt_at FROM webhook_deliveries d
                         WHERE d.subscription_id = s.id AND d.status = 'PENDING' ORDER BY d.id LIMIT 1) h
     WHERE s.active AND s.deleted_at IS NULL`,
  );
  return row?.at ? new Date(row.at) : null;
}

async function run<R>(tx: EventWriter, text: string, params: unknown[]): Promise<R[]> {
  if ('$queryRawUnsafe' in tx) return tx.$queryRawUnsafe<R[]>(text, ...params);
  return tx.query<R>(text, params);
}

/** Writes an event and its deliveries in one statement; answers how many deliveries were queued. */
export async function insertEvent(tx: EventWriter, event: NewEvent): Promise<number> {
  const rows = await run<{ n: number }>(
    tx,
    `WITH ev AS (
       INSERT INTO webhook_events (event_id, type, mlflow_type, project_id, data, mlflow_data, created_at)
       VALUES ($1, $2, $3::text, $4::int, $5::jsonb, $6::jsonb, now()) RETURNING id, created_at),
     queued AS (
       INSERT INTO webhook_deliveries (subscription_id, event_id, next_attempt_at, created_at)
       SELECT s.id, ev.id, ev.created_at, ev.created_at FROM webhook_subscriptions s, ev
       WHERE s.active AND s.deleted_at IS NULL AND (s.project_id IS NULL OR s.project_id = $4::int)
         AND ((s.format = 'RUNLEDGER' AND $2 = ANY(s.events)) OR (s.format = 'MLFLOW' AND $3::text = ANY(s.events)))
       RETURNING 1)
     SELECT count(*)::int AS n FROM queued`,
    [
      randomUUID(),
      event.type,
      event.mlflow?.type ?? null,
      event.projectId,
      JSON.stringify(event.data),
      event.mlflow ? JSON.stringify(event.mlflow.data) : null,
    ],
  );
  return Number(rows[0]?.n ?? 0);
}
