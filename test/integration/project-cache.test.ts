// Projects change now (MLflow renames, deletes, restores and retags experiments), and every
// replica caches the rows it reads: a change made through one replica must reach the others.
// Two service sets on one database stand for two replicas (sharing an in-process pub/sub here,
// Redis between real servers below); a third without the shared pub/sub shows the cache is real.
import { afterAll, describe, expect, it } from 'vitest';
import { operatorAccess } from '../../src/modules/auth/access.js';
import type { PubSub } from '../../src/modules/live/pubsub.js';
import { createMemoryPubSub } from '../../src/modules/live/pubsub-memory.js';
import type { ArtifactStore } from '../../src/modules/artifacts/store.js';
import { createServices } from '../../src/services.js';
import { startServer, testConfig, type TestServer, uniqueName, useServer } from '../support/server.js';

const server = useServer();
const caller = operatorAccess();
/** Never touched: these tests store no bytes. */
const noStore = {} as ArtifactStore;
const replica = (pubsub: PubSub) => createServices(server().app.db, { artifactStore: noStore, maxArtifactBytes: 1, pubsub });

describe('the project cache', () => {
  it('forgets a project renamed, deleted or restored on another replica', async () => {
    const pubsub = createMemoryPubSub();
    const [a, b] = [replica(pubsub), replica(pubsub)];
    const isolated = replica(createMemoryPubSub());
    const name = uniqueName('cached');
    const { project } = await a.projects.create(caller, { name });
    // Both replicas read (and cache) it.
    expect((await b.projects.get(caller, name))?.id).toBe(project.id);
    expect((await isolated.projects.get(caller, name))?.id).toBe(project.id);

    const renamed = `${name} (v2)`;
    await a.projects.rename(caller, project.id, renamed);
    expect(await b.projects.get(caller, name)).toBeNull();
    expect((await b.projects.requireById(caller, project.id, 'VIEWER')).name).toBe(renamed);
    // Without the change message the cached row stays: the invalidation is what keeps B right.
    expect((await isolated.projects.get(caller, name))?.id).toBe(project.id);

    await a.projects.delete(caller, project.id);
    expect((await b.projects.get(caller, renamed))?.deletedAt).toBeInstanceOf(Date);
    await expect(b.runs.start(caller, { project: renamed })).rejects.toThrow('is deleted; restore it');
    await a.projects.restore(caller, project.id);
    expect((await b.projects.get(caller, renamed))?.deletedAt).toBeNull();
    expect((await b.runs.start(caller, { project: renamed })).created).toBe(true);
  });

  it('forgets everything when change messages may have been lost', async () => {
    const handlers: { interrupted?: () => void }[] = [];
    const inner = createMemoryPubSub();
    // A pub/sub that drops every message and then reports the loss, as Redis does after an outage.
    const lossy: PubSub = {
      ...inner,
      publish: () => {},
      subscribe: async (channel, h) => {
        handlers.push(h);
        return inner.subscribe(channel, h);
      },
    };
    const [a, b] = [replica(lossy), replica(lossy)];
    const name = uniqueName('lossy');
    const { project } = await a.projects.create(caller, { name });
    await b.projects.get(caller, name);
    await a.projects.rename(caller, project.id, `${name}-renamed`);
    expect((await b.projects.get(caller, name))?.id).toBe(project.id); // stale: the message was lost
    for (const h of handlers) h.interrupted?.();
    expect(await b.projects.get(caller, name)).toBeNull();
  });
});

const redisUrl = process.env.TEST_REDIS_URL;

// Real replicas: two servers on one PostgreSQL and one Redis (the second pass of .ci/run).
describe.runIf(redisUrl && process.env.TEST_DATABASE_URL)('two servers sharing Redis', () => {
  const started: TestServer[] = [];
  afterAll(async () => {
    for (const s of started) await s.app.stop();
  });

  it('see an experiment renamed through the other at once', async () => {
    const prefix = uniqueName('rl-projects');
    for (let i = 0; i < 2; i += 1) started.push(await startServer(testConfig({ REDIS_URL: redisUrl!, RUNLEDGER_PUBSUB_PREFIX: prefix })));
    const [a, b] = started as [TestServer, TestServer];
    const api = (s: TestServer, method: string, path: string, body?: unknown) =>
      fetch(`${s.url}/api/2.0/mlflow/${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
    const name = uniqueName('replicated');
    const id = (await api(a, 'POST', 'experiments/create', { name })).body.experiment_id as string;
    expect((await api(b, 'GET', `experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`)).status).toBe(200);
    expect((await api(a, 'POST', 'experiments/update', { experiment_id: id, new_name: `${name}-2` })).status).toBe(200);
    await expect.poll(async () => (await api(b, 'GET', `experiments/get?experiment_id=${id}`)).body.experiment?.name, { timeout: 5000 }).toBe(`${name}-2`);
    expect((await api(b, 'GET', `experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`)).status).toBe(404);
  });
});
