// MLflow 3's webhook API (/mlflow/webhooks), so MLflow tooling that registers webhooks works: the
// webhooks it makes receive MLflow's registry payloads (model_version.created,
// model_version_alias.created / deleted) with MLflow's X-MLflow-* headers and signature, from the
// same outbox as runledger's own. MLflow webhooks have no project, so they cover every project
// and need a global admin (as registry-wide webhooks do on other MLflow servers).
import { NotFoundError } from '../../errors.js';
import type { WebhookSubscription } from '../../modules/webhooks/service.js';
import type { Call } from './call.js';
import { doesNotExist, invalidParameter } from './errors.js';
import { millis, type Params } from './wire.js';

const ENTITIES = [
  'REGISTERED_MODEL',
  'MODEL_VERSION',
  'MODEL_VERSION_TAG',
  'MODEL_VERSION_ALIAS',
  'PROMPT',
  'PROMPT_VERSION',
  'PROMPT_TAG',
  'PROMPT_VERSION_TAG',
  'PROMPT_ALIAS',
];

/** MLflow's {entity, action} as runledger's event name ("model_version_alias.created"). */
function eventName(event: Params, field: string): string {
  const entity = event.string('entity').toUpperCase();
  const action = event.string('action').toUpperCase();
  if (!ENTITIES.includes(entity)) throw invalidParameter(`${field}.entity`, `must be one of ${ENTITIES.join(', ')} (got ${JSON.stringify(entity)})`);
  return `${entity.toLowerCase()}.${action.toLowerCase()}`;
}

function webhookJson(w: WebhookSubscription) {
  return {
    webhook_id: String(w.id),
    name: w.name,
    description: w.description ?? '',
    url: w.url,
    events: w.events.map((e) => {
      const [entity, action] = e.split('.');
      return { entity: entity!.toUpperCase(), action: action!.toUpperCase() };
    }),
    status: w.active ? 'ACTIVE' : 'DISABLED',
    creation_timestamp: millis(w.createdAt),
    last_updated_timestamp: millis(w.updatedAt),
  };
}

function statusOf(p: Params): boolean | null {
  const status = p.optionalString('status');
  if (status === null || status === '') return null;
  if (status !== 'ACTIVE' && status !== 'DISABLED') throw invalidParameter('status', `must be ACTIVE or DISABLED (got ${JSON.stringify(status)})`);
  return status === 'ACTIVE';
}

/** The MLflow-made webhook a path names; runledger's own (another format) are not MLflow's to see. */
async function webhookFor(call: Call): Promise<WebhookSubscription> {
  const text = call.path.webhook_id ?? '';
  const id = /^[1-9]\d{0,9}$/.test(text) ? Number(text) : null;
  const found =
    id === null
      ? null
      : await call.services.webhooks.requireSubscription(call.access, id, 'MLFLOW').catch((error: unknown) => {
          if (error instanceof NotFoundError) return null;
          throw error;
        });
  if (!found) throw doesNotExist(`Webhook with ID ${text} not found.`);
  call.targets.push(`webhook:${found.id}`);
  return found;
}

export async function createWebhook(call: Call) {
  const p = call.params;
  const events = p.objects('events').map((e, i) => eventName(e, `events[${i}]`));
  const { subscription } = await call.services.webhooks.create(call.access, {
    project: null,
    format: 'MLFLOW',
    name: p.string('name'),
    url: p.string('url'),
    events,
    description: p.optionalString('description'),
    secret: p.optionalString('secret'),
    active: statusOf(p),
  });
  call.targets.push(`webhook:${subscription.id}`);
  return { webhook: webhookJson(subscription) };
}

export async function listWebhooks(call: Call) {
  const p = call.params;
  const max = p.optionalInt('max_results') ?? 100;
  if (max < 1 || max > 1000) throw invalidParameter('max_results', `must be from 1 to 1000 (got ${max})`);
  const token = p.optionalString('page_token');
  const after = token ? Number(Buffer.from(token, 'base64url').toString('utf8')) : null;
  if (after !== null && !Number.isSafeInteger(after)) throw invalidParameter('page_token', 'is not a token this server returned');
  const { subscriptions, hasNextPage } = await call.services.webhooks.listManaged(call.access, 'MLFLOW', max, after);
  const last = subscriptions.at(-1);
  return { webhooks: subscriptions.map(webhookJson), ...(hasNextPage && last ? { next_page_token: Buffer.from(String(last.id)).toString('base64url') } : {}) };
}

export async function getWebhook(call: Call) {
  return { webhook: webhookJson(await webhookFor(call)) };
}

export async function updateWebhook(call: Call) {
  const p = call.params;
  const current = await webhookFor(call);
  const events = p.has('events') && p.list('events').length ? p.objects('events').map((e, i) => eventName(e, `events[${i}]`)) : null;
  const updated = await call.services.webhooks.update(call.access, current.id, {
    name: p.optionalString('name') || null,
    url: p.optionalString('url') || null,
    description: p.has('description') ? p.optionalString('description') : undefined,
    events,
    active: statusOf(p),
    secret: p.has('secret') ? (p.optionalString('secret') ?? '') : null,
  });
  return { webhook: webhookJson(updated) };
}

export async function deleteWebhook(call: Call) {
  const current = await webhookFor(call);
  await call.services.webhooks.delete(call.access, current.id);
  return {};
}

export async function testWebhook(call: Call) {
  const current = await webhookFor(call);
  const sample = call.params.object('event');
  const event = sample ? eventName(sample, 'event') : null;
  const attempt = await call.services.webhooks.test(call.access, current.id, event);
  return {
    result: {
      success: attempt.ok,
      ...(attempt.status !== null ? { response_status: attempt.status } : {}),
      response_body: attempt.body,
      ...(attempt.error && !attempt.ok ? { error_message: attempt.error } : {}),
    },
  };
}
