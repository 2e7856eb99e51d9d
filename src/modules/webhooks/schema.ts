// GraphQL of webhooks: subscriptions of a project (its ADMINs) or of every project (global
// admins), the secret shown once, and each delivery with what its attempts got, re-sendable.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { builder } from '../../builder.js';
import type { Context } from '../../context.js';
import { forwardConnection, numberCursor, numberPageArgs } from '../../connections.js';
import { decodeId } from '../../ids.js';
import { EVENT_TYPES } from './outbox.js';
import type { WebhookDelivery, WebhookSubscription } from './service.js';

type DeliveryWithEvent = WebhookDelivery & { event: { eventId: string; type: string; data: unknown; createdAt: Date } };

const DeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', {
  values: {
    PENDING: { description: 'Not delivered yet: due now, or waiting for its next attempt.' },
    DELIVERED: { description: 'The receiver answered 2xx.' },
    FAILED: { description: 'Given up: still failing a day after its event (or the subscription was deleted).' },
  },
});

const WebhookDeliveryRef = builder.objectRef<DeliveryWithEvent>('WebhookDelivery');
WebhookDeliveryRef.implement({
  description: 'One event sent to one subscription, with what its attempts got.',
  fields: (t) => ({
    id: t.id({ description: 'Global id, for resendWebhookDelivery.', resolve: (d) => encodeGlobalID('WebhookDelivery', String(d.id)) }),
    eventId: t.string({ description: 'The id receivers deduplicate on; a re-send carries the same one.', resolve: (d) => d.event.eventId }),
    type: t.string({ resolve: (d) => d.event.type }),
    payload: t.field({ type: 'JSON', description: 'The event data as sent.', resolve: (d) => d.event.data }),
    status: t.field({ type: DeliveryStatusEnum, resolve: (d) => d.status }),
    attempts: t.exposeInt('attempts'),
    responseStatus: t.exposeInt('responseStatus', {
      nullable: true,
      description: "The receiver's HTTP status at the last attempt; null when it did not answer.",
    }),
    lastError: t.exposeString('lastError', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastAttemptAt: t.expose('lastAttemptAt', { type: 'DateTime', nullable: true }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', description: 'When a pending delivery is tried next.' }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
  }),
});

const WebhookRef = builder.objectRef<WebhookSubscription & { projectName: string | null }>('Webhook');
WebhookRef.implement({
  description: 'A URL that receives events as signed JSON POSTs.',
  fields: (t) => ({
    id: t.id({ description: 'Global id.', resolve: (w) => encodeGlobalID('Webhook', w.id) }),
    project: t.exposeString('projectName', { nullable: true, description: 'Whose events it receives; null: every project.' }),
    name: t.exposeString('name'),
    url: t.exposeString('url'),
    events: t.exposeStringList('events'),
    format: t.exposeString('format', {
      description: 'RUNLEDGER (this API), or MLFLOW (made through MLflow 3\u2019s webhook API: MLflow payloads and headers).',
    }),
    active: t.exposeBoolean('active'),
    description: t.exposeString('description', { nullable: true }),
    createdBy: t.exposeString('createdBy', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    deliveries: t.connection({
      type: WebhookDeliveryRef,
      description: 'Deliveries, newest first.',
      args: { status: t.arg({ type: DeliveryStatusEnum }) },
      resolve: async (w, args, ctx) => {
        const { first, after } = numberPageArgs(args, 50);
        const page = await ctx.services.webhooks.deliveries(ctx.access, w, { first, beforeId: after, status: args.status ?? null });
        return forwardConnection(
          page.deliveries.map((d) => ({ node: d, cursor: numberCursor(Number(d.id)) })),
          page.hasNextPage,
          after,
        );
      },
    }),
  }),
});

builder.queryFields((t) => ({
  webhooks: t.field({
    type: [WebhookRef],
    description: "A project's webhooks (its ADMINs), or with no project the ones for every project (global admins).",
    args: { project: t.arg.string() },
    resolve: async (_r, args, ctx) => {
      const { subscriptions } = await ctx.services.webhooks.list(ctx.access, args.project ?? null, 100);
      return subscriptions.map((s) => ({ ...s, projectName: args.project ?? null }));
    },
  }),
}));

const CreateWebhookInput = builder.inputType('CreateWebhookInput', {
  fields: (t) => ({
    project: t.string({ description: 'Whose events; leave out for every project (global admins).' }),
    url: t.string({ required: true, description: 'Where to POST; http(s).' }),
    events: t.stringList({ required: true, description: `Any of ${EVENT_TYPES.join(', ')}.` }),
    name: t.string(),
    description: t.string(),
  }),
});

const UpdateWebhookInput = builder.inputType('UpdateWebhookInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    url: t.string(),
    events: t.stringList(),
    active: t.boolean({ description: 'false pauses it: new events are not queued for it, and pending ones wait.' }),
    name: t.string(),
    description: t.string(),
  }),
});

const CreateWebhookPayload = builder.simpleObject('CreateWebhookPayload', {
  fields: (t) => ({
    webhook: t.field({ type: WebhookRef }),
    secret: t.string({
      description: 'Signs every delivery: X-Runledger-Signature is "sha256=" + hex HMAC-SHA256(secret, "<X-Runledger-Timestamp>.<body>"). Shown only now.',
    }),
  }),
});
const WebhookPayload = builder.simpleObject('WebhookPayload', { fields: (t) => ({ webhook: t.field({ type: WebhookRef }) }) });
const ResendPayload = builder.simpleObject('ResendWebhookDeliveryPayload', { fields: (t) => ({ delivery: t.field({ type: WebhookDeliveryRef }) }) });

builder.mutationFields((t) => ({
  createWebhook: t.field({
    type: CreateWebhookPayload,
    description:
      'Subscribes a URL to events of a project (ADMIN) or of every project (global admins). Deliveries are JSON with an event id, signed, retried with growing pauses for a day, in order.',
    args: { input: t.arg({ type: CreateWebhookInput, required: true }) },
    resolve: async (_r, { input }, ctx) => {
      const { subscription, secret } = await ctx.services.webhooks.create(ctx.access, { ...input, project: input.project ?? null });
      return { webhook: { ...subscription, projectName: input.project ?? null }, secret: secret ?? '' };
    },
  }),
  updateWebhook: t.field({
    type: WebhookPayload,
    description: 'Changes a webhook (its URL, events, whether it is active).',
    args: { input: t.arg({ type: UpdateWebhookInput, required: true }) },
    resolve: async (_r, { input }, ctx) => {
      const updated = await ctx.services.webhooks.update(ctx.access, decodeId('Webhook', String(input.id), 'input.id'), input);
      return { webhook: { ...updated, projectName: await projectName(ctx, updated.projectId) } };
    },
  }),
  deleteWebhook: t.field({
    type: WebhookPayload,
    description: 'Deletes a webhook; its pending deliveries are given up.',
    args: { input: t.arg({ type: builder.inputType('DeleteWebhookInput', { fields: (f) => ({ id: f.id({ required: true }) }) }), required: true }) },
    resolve: async (_r, { input }, ctx) => {
      const deleted = await ctx.services.webhooks.delete(ctx.access, decodeId('Webhook', String(input.id), 'input.id'));
      return { webhook: { ...deleted, projectName: await projectName(ctx, deleted.projectId) } };
    },
  }),
  resendWebhookDelivery: t.field({
    type: ResendPayload,
    description: 'Sends a delivery again, now, with the same event id (so the receiver can tell it is the same event).',
    args: { input: t.arg({ type: builder.inputType('ResendWebhookDeliveryInput', { fields: (f) => ({ id: f.id({ required: true }) }) }), required: true }) },
    resolve: async (_r, { input }, ctx) => ({
      delivery: await ctx.services.webhooks.resend(ctx.access, decodeId('WebhookDelivery', String(input.id), 'input.id')),
    }),
  }),
}));

async function projectName(ctx: Context, id: number | null): Promise<string | null> {
  if (id === null) return null;
  return (await ctx.services.projects.visibleByIds(ctx.access, [id]))[0]?.name ?? null;
}
