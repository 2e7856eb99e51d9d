// Webhook subscriptions and their deliveries as callers manage them: a project's (its ADMINs) or
// every project's (global admins), with the secret shown once at creation, deliveries listed with
// what each attempt got, and re-sent on demand.
import type { Database } from '../../db/database.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { Prisma, WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription } from '../../generated/prisma/client.js';
import { requireMaxLength, requireName } from '../../validation.js';
import type { Access } from '../auth/access.js';
import { requireGlobalAdmin } from '../auth/policy.js';
import type { ProjectService } from '../projects/service.js';
import { managed, requireManaged } from './policy.js';
import { EVENT_TYPES, MLFLOW_EVENT_TYPES } from './outbox.js';
import { type Attempt, encode, newSecret, post, type WebhookFormat } from './send.js';
import { requireWebhookUrl } from './targets.js';

export type { WebhookDelivery, WebhookDeliveryStatus, WebhookSubscription };

export interface CreateWebhookInput {
  /** The project whose events it receives; null: every project's (global admins only). */
  project: string | null;
  name?: string | null;
  url: string;
  events: readonly string[];
  description?: string | null;
  format?: WebhookFormat;
  /** MLflow's API lets the caller choose the secret; runledger's generates it. */
  secret?: string | null;
  active?: boolean | null;
}

export interface UpdateWebhookInput {
  name?: string | null;
  url?: string | null;
  events?: readonly string[] | null;
  description?: string | null;
  active?: boolean | null;
  secret?: string | null;
}

const MAX_SUBSCRIPTIONS_PER_SCOPE = 100;

export function createWebhookService(db: Database, deps: { projects: ProjectService; timeoutMs: number; allowPrivateTargets: boolean; kick: () => void }) {
  const { prisma } = db;

  function events(field: string, format: WebhookFormat, list: readonly string[]): string[] {
    const known: readonly string[] = format === 'MLFLOW' ? MLFLOW_EVENT_TYPES : EVENT_TYPES;
    if (list.length === 0) throw new ValidationError(field, `name at least one event: ${known.join(', ')}`);
    const unknown = list.filter((e) => !known.includes(e));
    if (unknown.length)
      throw new ValidationError(
        field,
        `unknown event${unknown.length > 1 ? 's' : ''} ${unknown.map((e) => JSON.stringify(e)).join(', ')}; choose from ${known.join(', ')}`,
      );
    return [...new Set(list)];
  }

  /**
   * A subscription the caller may manage: ADMIN of its project, or a global admin for a global one.
   * NOT_FOUND when missing or hidden, or (with `format`) made in another format: MLflow's API sees only its own.
   */
  async function requireSubscription(caller: Access, id: number, format?: WebhookFormat): Promise<WebhookSubscription> {
    return requireManaged(caller, await prisma.webhookSubscription.findFirst({ where: { id, deletedAt: null, ...(format ? { format } : {}) } }), id);
  }

  async function scopeOf(caller: Access, project: string | null): Promise<number | null> {
    if (project === null) {
      requireGlobalAdmin(caller, 'a webhook for every project');
      return null;
    }
    return (await deps.projects.require(caller, project, 'ADMIN')).id;
  }

  return {
    requireSubscription,

    /** Subscribes a URL to events; returns the subscription and its signing secret, which is never shown again. */
    async create(caller: Access, input: CreateWebhookInput): Promise<{ subscription: WebhookSubscription; secret: string | null }> {
      const format = input.format ?? 'RUNLEDGER';
      const url = requireWebhookUrl('input.url', input.url, deps.allowPrivateTargets);
      const list = events('input.events', format, input.events);
      const name = input.name == null ? new URL(url).host : requireName('input.name', input.name, 200);
      const description = input.description == null ? null : requireMaxLength('input.description', input.description, 2000);
      const projectId = await scopeOf(caller, input.project);
      if ((await prisma.webhookSubscription.count({ where: { projectId, deletedAt: null } })) >= MAX_SUBSCRIPTIONS_PER_SCOPE) {
        throw new ValidationError('input.project', `at most ${MAX_SUBSCRIPTIONS_PER_SCOPE} webhooks per project; delete one first`);
      }
      const secret = format === 'MLFLOW' ? (input.secret?.length ? requireMaxLength('input.secret', input.secret, 500) : null) : newSecret();
      const now = new Date();
      const subscription = await prisma.webhookSubscription.create({
        data: {
          projectId,
          name,
          url,
          events: list,
          format,
          secret,
          description,
          active: input.active ?? true,
          createdBy: caller.actor,
          createdAt: now,
          updatedAt: now,
        },
      });
      return { subscription, secret };
    },

    async update(caller: Access, id: number, input: UpdateWebhookInput): Promise<WebhookSubscription> {
      const current = await requireSubscription(caller, id);
      const format = current.format as WebhookFormat;
      const data: Prisma.WebhookSubscriptionUpdateInput = { updatedAt: new Date() };
      if (input.url != null) data.url = requireWebhookUrl('input.url', input.url, deps.allowPrivateTargets);
      if (input.events != null) data.events = events('input.events', format, input.events);
      if (input.name != null) data.name = requireName('input.name', input.name, 200);
      if (input.description !== undefined) data.description = input.description == null ? null : requireMaxLength('input.description', input.description, 2000);
      if (input.active != null) data.active = input.active;
      if (input.secret != null && format === 'MLFLOW') data.secret = input.secret.length ? requireMaxLength('input.secret', input.secret, 500) : null;
      const updated = await prisma.webhookSubscription.update({ where: { id: current.id }, data });
      if (input.active) deps.kick();
      return updated;
    },

    /** Deletes a subscription; its pending deliveries are given up. Deleting it again is NOT_FOUND. */
    async delete(caller: Access, id: number): Promise<WebhookSubscription> {
      const current = await requireSubscription(caller, id);
      return prisma.$transaction(async (tx) => {
        await tx.webhookDelivery.updateMany({
          where: { subscriptionId: current.id, status: 'PENDING' },
          data: { status: 'FAILED', lastError: 'the subscription was deleted' },
        });
        return tx.webhookSubscription.update({ where: { id: current.id }, data: { deletedAt: new Date(), active: false } });
      });
    },

    /** Subscriptions of a project (its ADMINs), or the global ones (null; global admins). */
    async list(
      caller: Access,
      project: string | null,
      first = 100,
      afterId: number | null = null,
    ): Promise<{ subscriptions: WebhookSubscription[]; hasNextPage: boolean }> {
      const projectId = await scopeOf(caller, project);
      const rows = await prisma.webhookSubscription.findMany({
        where: { projectId, deletedAt: null, ...(afterId ? { id: { gt: afterId } } : {}) },
        orderBy: { id: 'asc' },
        take: first + 1,
      });
      return { subscriptions: rows.slice(0, first), hasNextPage: rows.length > first };
    },

    /** Subscriptions of one format in every scope the caller administers (MLflow's list has no project). */
    async listManaged(
      caller: Access,
      format: WebhookFormat,
      first: number,
      afterId: number | null,
    ): Promise<{ subscriptions: WebhookSubscription[]; hasNextPage: boolean }> {
      const kept: WebhookSubscription[] = [];
      let after = afterId;
      // Pages until one more than asked is kept, so hasNextPage is true only when one exists.
      while (kept.length <= first) {
        const rows = await prisma.webhookSubscription.findMany({
          where: { deletedAt: null, format, ...(after ? { id: { gt: after } } : {}) },
          orderBy: { id: 'asc' },
          take: 1000,
        });
        kept.push(...(await managed(caller, rows)));
        if (rows.length < 1000) break;
        after = rows.at(-1)!.id;
      }
      return { subscriptions: kept.slice(0, first), hasNextPage: kept.length > first };
    },

    /** Deliveries of a subscription the caller manages, newest first, optionally in one status. */
    async deliveries(
      caller: Access,
      subscription: WebhookSubscription,
      options: { first: number; beforeId: number | null; status?: WebhookDeliveryStatus | null },
    ) {
      await requireSubscription(caller, subscription.id);
      const rows = await prisma.webhookDelivery.findMany({
        where: {
          subscriptionId: subscription.id,
          ...(options.status ? { status: options.status } : {}),
          ...(options.beforeId ? { id: { lt: BigInt(options.beforeId) } } : {}),
        },
        include: { event: true },
        orderBy: { id: 'desc' },
        take: options.first + 1,
      });
      return { deliveries: rows.slice(0, options.first), hasNextPage: rows.length > options.first };
    },

    /** Sends a delivery again (same event id, so the receiver can tell): queued now, ahead of later ones. */
    async resend(caller: Access, deliveryId: number) {
      const delivery = await prisma.webhookDelivery.findUnique({ where: { id: BigInt(deliveryId) } });
      if (!delivery) throw new NotFoundError('WebhookDelivery', deliveryId);
      try {
        await requireSubscription(caller, delivery.subscriptionId);
      } catch (error) {
        if (error instanceof NotFoundError) throw new NotFoundError('WebhookDelivery', deliveryId);
        throw error;
      }
      const updated = await prisma.webhookDelivery.update({
        where: { id: delivery.id },
        data: { status: 'PENDING', nextAttemptAt: new Date(), lastError: null },
        include: { event: true },
      });
      deps.kick();
      return updated;
    },

    /** Posts a sample of an event the subscription listens to, now, and says what the receiver answered (MLflow's test call). */
    async test(caller: Access, id: number, event: string | null): Promise<Attempt> {
      const subscription = await requireSubscription(caller, id);
      const format = subscription.format as WebhookFormat;
      const type = event ?? subscription.events[0]!;
      events('event', format, [type]);
      const sample = {
        name: 'example_model',
        version: '1',
        alias: 'example_alias',
        source: 'models:/example_model/1',
        run_id: null,
        tags: {},
        description: 'test',
      };
      const { body, headers } = encode(
        format,
        subscription.secret,
        { eventId: `test-${Date.now()}`, type, mlflowType: type, project: null, data: { test: true, ...sample }, mlflowData: sample, createdAt: new Date() },
        'test',
      );
      return post(subscription.url, body, headers, { timeoutMs: deps.timeoutMs, allowPrivate: deps.allowPrivateTargets });
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
