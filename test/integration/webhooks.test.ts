// Webhooks against real receivers on loopback: every event delivered, signed, in order per
// subscription, through a receiver that fails, times out and recovers; nothing lost, nothing
// acknowledged twice under one event id, several workers draining at once; deliveries recorded,
// listed and re-sent; given up after the retry period; MLflow 3's webhook API and payloads.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { createLogger } from '../../src/logger.js';
import { mlflowRunId } from '../../src/modules/runs/mlflow-id.js';
import { createWebhookWorker } from '../../src/modules/webhooks/worker.js';
import {
  CancelPromotionDocument,
  CreateWebhookDocument,
  ProtectAliasDocument,
  QuarantineDatasetVersionDocument,
  RegisterDatasetVersionDocument,
  ReleaseQuarantineDocument,
  RequestPromotionDocument,
  FinishRunDocument,
  GrantProjectRoleDocument,
  ResendWebhookDeliveryDocument,
  SetModelAliasDocument,
  StartRunDocument,
  UpdateWebhookDocument,
  WebhooksDocument,
} from '../generated/graphql.js';
import { sha256 } from '../support/artifacts.js';
import { newProject } from '../support/factories.js';
import { person, type Person, versionFrom } from '../support/governance.js';
import { startServer, type TestServer, testConfig, useServer } from '../support/server.js';
import { type Receiver, startReceiver, verifies } from '../support/webhook-receiver.js';

const FAST = {
  RUNLEDGER_WEBHOOK_POLL_MS: '50',
  RUNLEDGER_WEBHOOK_TIMEOUT_MS: '1500',
  RUNLEDGER_WEBHOOK_RETRY_BASE_MS: '100',
  RUNLEDGER_WEBHOOK_RETRY_MAX_MS: '300',
};
const server = useServer(() => testConfig({ RUNLEDGER_AUTH: 'on', ...FAST }));
const receivers: Receiver[] = [];
let owner: Person;

beforeAll(async () => {
  owner = await person(server(), 'hook-owner');
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
});

async function receiver(holdMs?: number): Promise<Receiver> {
  const r = await startReceiver(holdMs);
  receivers.push(r);
  return r;
}

async function runEnding(who: Person, project: string, status: 'FINISHED' | 'FAILED' = 'FINISHED'): Promise<string> {
  const { startRun } = await who.client.data(StartRunDocument, { input: { project } });
  await who.client.data(FinishRunDocument, { input: { runId: startRun.run.id, status } });
  return startRun.run.id;
}

const acknowledged = (r: Receiver) => r.received.filter((x) => x.acknowledged);

describe('webhook deliveries', () => {
  it('arrive signed, each acknowledged once and in order, through a receiver that fails, times out and recovers', async () => {
    const hook = await receiver(4000);
    const project = await newProject(owner.client, 'hooks');
    const model = `${project}-model`;
    const { createWebhook } = await owner.client.data(CreateWebhookDocument, {
      input: { project, url: hook.url, events: ['run.finished', 'run.failed', 'model_version.created', 'alias.moved'] },
    });
    expect(createWebhook.secret).toMatch(/^whsec_/);
    expect(createWebhook.webhook).toMatchObject({ project, format: 'RUNLEDGER', active: true });

    await runEnding(owner, project);
    await hook.until((r) => acknowledged({ received: r } as Receiver).length === 1);

    hook.mode = 'fail';
    await runEnding(owner, project, 'FAILED');
    const version = await versionFrom(server(), owner, project, model);
    await owner.client.data(SetModelAliasDocument, { input: { model, alias: 'staging', version, reason: 'canary' } });
    await hook.until((r) => r.length >= 4);
    hook.mode = 'timeout';
    await hook.until((r) => r.length >= 6);
    hook.mode = 'ok';
    await hook.until((r) => acknowledged({ received: r } as Receiver).length >= 4);

    // While the head of the line failed, nothing behind it was sent: order holds.
    const firstFailed = hook.received[1]!.json.id;
    expect(hook.received.slice(1, 6).every((x) => x.json.id === firstFailed)).toBe(true);
    const acks = acknowledged(hook);
    expect(acks.map((a) => a.json.type)).toEqual(['run.finished', 'run.failed', 'model_version.created', 'alias.moved']);
    expect(new Set(acks.map((a) => a.json.id)).size).toBe(4);
    expect(hook.received.every((x) => verifies(createWebhook.secret, x))).toBe(true);
    expect(hook.received.every((x) => x.headers['x-runledger-event-id'] === x.json.id)).toBe(true);
    expect(acks[3]!.json).toMatchObject({ project, data: { model, alias: 'staging', action: 'SET', toVersion: version, reason: 'canary', by: owner.name } });

    // The record of each delivery: status, attempts, the receiver's answer.
    const { webhooks } = await owner.client.data(WebhooksDocument, { project });
    const deliveries = webhooks[0]!.deliveries.edges.map((e) => e.node).reverse();
    expect(deliveries.map((d) => [d.type, d.status, d.responseStatus])).toEqual([
      ['run.finished', 'DELIVERED', 204],
      ['run.failed', 'DELIVERED', 204],
      ['model_version.created', 'DELIVERED', 204],
      ['alias.moved', 'DELIVERED', 204],
    ]);
    expect(deliveries[1]!.attempts).toBe(hook.received.filter((x) => x.json.id === firstFailed).length);
    expect(deliveries[1]!.attempts).toBeGreaterThanOrEqual(5);
    expect(deliveries.map((d) => d.eventId)).toEqual(acks.map((a) => a.json.id));

    // A re-send goes again under the same event id, so the receiver can tell.
    const { resendWebhookDelivery } = await owner.client.data(ResendWebhookDeliveryDocument, { input: { id: deliveries[0]!.id } });
    expect(resendWebhookDelivery.delivery.status).toBe('PENDING');
    await hook.until((r) => acknowledged({ received: r } as Receiver).length === 5);
    expect(acknowledged(hook)[4]!.json.id).toBe(deliveries[0]!.eventId);
  });

  it('are each sent once when several workers drain the outbox at once', async () => {
    const hook = await receiver();
    const project = await newProject(owner.client, 'hooks-many');
    await owner.client.data(CreateWebhookDocument, { input: { project, url: hook.url, events: ['run.finished'] } });
    const app = server().app;
    const workers = [1, 2, 3].map(() => createWebhookWorker(app.db.sql, app.config.webhooks, createLogger('silent')));
    const runs: string[] = [];
    for (let i = 0; i < 12; i += 1) runs.push(await runEnding(owner, project));
    await Promise.all([...workers.map((w) => w.drainOnce()), ...workers.map((w) => w.drainOnce())]);
    await hook.until((r) => r.length >= 12);
    await new Promise((r) => setTimeout(r, 300));
    const ids = hook.received.map((x) => x.json.id);
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    // In the order the runs ended.
    expect(hook.received.map((x) => x.json.data.runId)).toEqual(runs.map((id) => mlflowRunId(Number(decodeGlobalID(id).id))));
  });

  it('are refused to callers who may not manage them, and paused when inactive', async () => {
    const viewer = await person(server(), 'hook-viewer');
    const project = await newProject(owner.client, 'hooks-acl');
    await owner.client.data(GrantProjectRoleDocument, { input: { project, user: viewer.name, role: 'EDITOR' } });
    const hook = await receiver();
    expect((await viewer.client.error(CreateWebhookDocument, { input: { project, url: hook.url, events: ['run.finished'] } })).extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect((await owner.client.error(CreateWebhookDocument, { input: { url: hook.url, events: ['run.finished'] } })).extensions?.code).toBe('FORBIDDEN');
    const unknown = await owner.client.error(CreateWebhookDocument, { input: { project, url: hook.url, events: ['run.started'] } });
    expect(unknown.message).toContain('unknown event "run.started"; choose from alias.moved');
    expect((await owner.client.error(CreateWebhookDocument, { input: { project, url: 'ftp://x', events: ['run.finished'] } })).message).toContain(
      'must be an http or https URL',
    );
    const { createWebhook } = await owner.client.data(CreateWebhookDocument, { input: { project, url: hook.url, events: ['run.finished'] } });
    expect((await viewer.client.error(WebhooksDocument, { project })).extensions?.code).toBe('FORBIDDEN');
    await owner.client.data(UpdateWebhookDocument, { input: { id: createWebhook.webhook.id, active: false } });
    await runEnding(owner, project);
    await new Promise((r) => setTimeout(r, 400));
    expect(hook.received).toHaveLength(0);
    expect((await owner.client.data(WebhooksDocument, { project })).webhooks[0]!.deliveries.edges).toHaveLength(0);
  });
});

describe('announced changes', () => {
  it('include quarantines, releases and promotion requests with their decisions', async () => {
    const hook = await receiver();
    const project = await newProject(owner.client, 'hooks-events');
    await owner.client.data(CreateWebhookDocument, {
      input: { project, url: hook.url, events: ['dataset_version.quarantined', 'dataset_version.released', 'promotion.requested', 'promotion.rejected'] },
    });
    const dataset = `${project}-clicks`;
    const { registerDatasetVersion } = await owner.client.data(RegisterDatasetVersionDocument, {
      input: { dataset, project, version: 'aug', digest: sha256(dataset) },
    });
    const id = registerDatasetVersion.datasetVersion.id;
    await owner.client.data(QuarantineDatasetVersionDocument, { input: { id, reason: 'late events counted twice' } });
    await owner.client.data(ReleaseQuarantineDocument, { input: { id, reason: 'deduplicated' } });
    const model = `${project}-model`;
    const version = await versionFrom(server(), owner, project, model);
    await owner.client.data(ProtectAliasDocument, { input: { project, alias: 'production', requirements: [{ count: 1, users: ['someone-else'] }] } });
    const { requestPromotion } = await owner.client.data(RequestPromotionDocument, { input: { model, version, alias: 'production', reason: 'ready' } });
    await owner.client.data(CancelPromotionDocument, { input: { request: requestPromotion.request!.number } });
    await hook.until((r) => r.length >= 3);
    await new Promise((r) => setTimeout(r, 300));
    // A receiver handles each event id once (a retry after a late answer carries the same id).
    const once = hook.received.filter((x, i) => hook.received.findIndex((y) => y.json.id === x.json.id) === i);
    expect(once.map((x) => [x.json.type, x.json.data.reason])).toEqual([
      ['dataset_version.quarantined', 'late events counted twice'],
      ['dataset_version.released', 'deduplicated'],
      ['promotion.requested', 'ready'],
    ]);
    expect(hook.received[0]!.json.data).toMatchObject({ dataset, version: 'aug', digest: sha256(dataset), by: owner.name });
    expect(hook.received[2]!.json.data).toMatchObject({ model, alias: 'production', toVersion: version, needs: '1 of someone-else', status: 'PENDING' });
  });
});

describe('a webhook whose receiver keeps failing', () => {
  let short: TestServer;
  beforeAll(async () => {
    short = await startServer(testConfig({ ...FAST, RUNLEDGER_WEBHOOK_GIVE_UP_MS: '1500' }));
  });
  afterAll(async () => {
    await short.app.stop();
  });

  it('is given up after the retry period (a day; shortened here), and the next event goes', async () => {
    const hook = await receiver();
    hook.mode = 'fail';
    const project = await newProject(short.client, 'hooks-giveup');
    await short.client.data(CreateWebhookDocument, { input: { project, url: hook.url, events: ['run.finished'] } });
    const local = { name: 'local', secret: '', client: short.client };
    await runEnding(local, project);
    await hook.until((r) => r.length >= 2);
    await new Promise((r) => setTimeout(r, 1000));
    // A younger event waits behind the failing one, which is given up once 1.5 s old.
    await runEnding(local, project);
    const statuses = async () => (await short.client.data(WebhooksDocument, { project })).webhooks[0]!.deliveries.edges.map((e) => e.node.status);
    // Waits for the give-up (seconds on a busy machine), then lets the receiver answer again.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await statuses()).at(-1) !== 'FAILED') await new Promise((r) => setTimeout(r, 50));
    hook.mode = 'ok';
    await hook.until((r) => r.some((x) => x.acknowledged));
    const { webhooks } = await short.client.data(WebhooksDocument, { project });
    const [second, first] = webhooks[0]!.deliveries.edges.map((e) => e.node);
    expect(first).toMatchObject({ status: 'FAILED', responseStatus: 500, lastError: 'HTTP 500' });
    expect(second!.status).toBe('DELIVERED');
  });
});

describe("MLflow 3's webhook API", () => {
  const mlflow = (method: string, path: string, body?: unknown) =>
    fetch(`${server().url}/api/2.0/mlflow/webhooks${path}`, {
      method,
      headers: { authorization: `Bearer ${admin.secret}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, json: (await r.json()) as Record<string, any> }));
  let admin: Person;
  beforeAll(async () => {
    admin = await person(server(), 'hook-admin', true);
  });

  it('registers a webhook that receives MLflow payloads, signed the MLflow way', async () => {
    const hook = await receiver();
    const created = await mlflow('POST', '', {
      name: 'deploy',
      url: hook.url,
      secret: 'mlflow-secret',
      events: [
        { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
        { entity: 'MODEL_VERSION', action: 'CREATED' },
      ],
    });
    expect(created.status).toBe(200);
    expect(created.json.webhook).toMatchObject({
      name: 'deploy',
      url: hook.url,
      status: 'ACTIVE',
      events: [
        { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
        { entity: 'MODEL_VERSION', action: 'CREATED' },
      ],
    });
    const id = created.json.webhook.webhook_id as string;
    expect((await mlflow('GET', `/${id}`)).json.webhook.name).toBe('deploy');
    expect((await mlflow('GET', '')).json.webhooks.map((w: { webhook_id: string }) => w.webhook_id)).toContain(id);
    expect((await mlflow('POST', '', { name: 'x', url: hook.url, events: [{ entity: 'BUDGET_POLICY', action: 'EXCEEDED' }] })).status).toBe(400);
    // Only global admins make registry-wide webhooks.
    const editor = await person(server(), 'hook-editor');
    const refused = await fetch(`${server().url}/api/2.0/mlflow/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${editor.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', url: hook.url, events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] }),
    });
    expect(refused.status).toBe(403);

    const project = await newProject(admin.client, 'hooks-mlflow');
    const model = `${project}-model`;
    const version = await versionFrom(server(), admin, project, model);
    await admin.client.data(SetModelAliasDocument, { input: { model, alias: 'champion', version } });
    await hook.until((r) => r.filter((x) => x.acknowledged && JSON.stringify(x.json).includes(model)).length >= 2);
    const mine = hook.received.filter((x) => JSON.stringify(x.json).includes(model));
    expect(mine.map((x) => [x.json.entity, x.json.action])).toEqual([
      ['model_version', 'created'],
      ['model_version_alias', 'created'],
    ]);
    expect(mine[1]!.json.data).toEqual({ name: model, alias: 'champion', version: String(version) });
    for (const x of mine) {
      const signed = `${x.headers['x-mlflow-delivery-id']}.${x.headers['x-mlflow-timestamp']}.${x.body}`;
      expect(x.headers['x-mlflow-signature']).toBe(`v1,${createHmac('sha256', 'mlflow-secret').update(signed).digest('base64')}`);
    }

    const tested = await mlflow('POST', `/${id}/test`, { event: { entity: 'MODEL_VERSION', action: 'CREATED' } });
    expect(tested.json.result).toMatchObject({ success: true, response_status: 204 });
    expect((await mlflow('PATCH', `/${id}`, { status: 'DISABLED' })).json.webhook.status).toBe('DISABLED');
    expect((await mlflow('DELETE', `/${id}`)).status).toBe(200);
    expect((await mlflow('GET', `/${id}`)).status).toBe(404);
  });
});
