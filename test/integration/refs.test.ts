// Readable references: what a person types (clicks@aug, recommender@production, recommender/3,
// project/run-name) resolves to the node it names in one request, for lookup, impact and
// quarantine; ambiguous, malformed and invisible references answer clearly.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CreateModelVersionDocument,
  ImpactByRefDocument,
  LogInputsDocument,
  LookupDocument,
  LookupLineageDocument,
  PromoteDocument,
  QuarantineDatasetVersionDocument,
} from '../generated/graphql.js';
import { newProject, newRun } from '../support/factories.js';
import { putArtifact } from '../support/artifacts.js';
import { newDatasetVersion } from '../support/registry-factories.js';
import { testConfig, uniqueName, useServer } from '../support/server.js';
import { signInUsers } from '../support/users.js';

const server = useServer(() => testConfig({ RUNLEDGER_AUTH: 'on' }));
let s: Awaited<ReturnType<typeof seed>>;

/** A MODEL artifact of the run uploaded as ana, registered as the next version of `model`. */
async function newModelVersion(secret: string, model: string, runId: string) {
  const res = await putArtifact(server().url, runId, `weights ${Math.random()}`, { name: 'model.pt', kind: 'MODEL' }, { authorization: `Bearer ${secret}` });
  const client = server().withToken(secret);
  return (await client.data(CreateModelVersionDocument, { input: { model, artifactId: res.body.artifact!.id } })).createModelVersion.modelVersion;
}

async function seed() {
  const users = await signInUsers(server());
  const client = users.ana.client;
  const project = await newProject(client, 'refs');
  const clicks = uniqueName('clicks');
  const aug = await newDatasetVersion(client, { dataset: clicks, project, version: 'aug' });
  const older = await newRun(client, project, { name: 'xgb' });
  const run = await newRun(client, project, { name: 'xgb' });
  await client.data(LogInputsDocument, { input: { runId: run.id, datasets: [{ datasetVersionId: aug.id, role: 'train' }] } });
  const model = uniqueName('recommender');
  const v1 = await newModelVersion(users.ana.secret, model, run.id);
  await client.data(PromoteDocument, { input: { model, alias: 'production', version: v1.version } });
  // A dataset and a model with the same name make "twin@x" read two ways.
  const twin = uniqueName('twin');
  await newDatasetVersion(client, { dataset: twin, project, version: 'production' });
  await newModelVersion(users.ana.secret, twin, run.id).then((v) =>
    client.data(PromoteDocument, { input: { model: twin, alias: 'production', version: v.version } }),
  );
  return { users, client, project, clicks, aug, older, run, model, v1, twin };
}

beforeAll(async () => {
  s = await seed();
});

describe('lookup', () => {
  it('resolves each form of reference to its node', async () => {
    const look = async (ref: string) => (await s.client.data(LookupDocument, { ref })).lookup;
    expect(await look(`${s.clicks}@aug`)).toMatchObject({ __typename: 'DatasetVersion', id: s.aug.id, label: 'aug' });
    expect(await look(`${s.model}@production`)).toMatchObject({ __typename: 'ModelVersion', id: s.v1.id, number: 1 });
    expect(await look(`${s.model}/1`)).toMatchObject({ __typename: 'ModelVersion', id: s.v1.id });
    // Two runs share the name: the latest started is the one meant.
    expect(await look(`${s.project}/xgb`)).toMatchObject({ __typename: 'Run', id: s.run.id, name: 'xgb' });
    expect(await look(s.older.id)).toMatchObject({ __typename: 'Run', id: s.older.id });
    expect(await look(`run:${s.project}/xgb`)).toMatchObject({ id: s.run.id });
  });

  it('answers null for what does not exist', async () => {
    const look = async (ref: string) => (await s.client.data(LookupDocument, { ref })).lookup;
    expect(await look(`${s.clicks}@september`)).toBeNull();
    expect(await look(`${s.model}/7`)).toBeNull();
    expect(await look(`${s.model}@staging`)).toBeNull();
    expect(await look(`${s.project}/no-such-run`)).toBeNull();
  });

  it('refuses a reference that reads two ways, naming the prefixes that choose', async () => {
    const err = await s.client.error(LookupDocument, { ref: `${s.twin}@production` });
    expect(err.extensions?.code).toBe('BAD_USER_INPUT');
    expect(err.message).toContain(`dataset:${s.twin}@production or model:${s.twin}@production`);
    expect((await s.client.data(LookupDocument, { ref: `model:${s.twin}@production` })).lookup).toMatchObject({ __typename: 'ModelVersion' });
    expect((await s.client.data(LookupDocument, { ref: `dataset:${s.twin}@production` })).lookup).toMatchObject({ __typename: 'DatasetVersion' });
  });

  it('refuses text that is no reference, naming the forms', async () => {
    const err = await s.client.error(LookupDocument, { ref: 'just-a-name' });
    expect(err.extensions?.code).toBe('BAD_USER_INPUT');
    expect(err.message).toMatch(/^ref: "just-a-name" is not a reference; expected dataset@version, model@alias/);
  });

  it('walks lineage from a reference in the same request', async () => {
    const { lookup } = await s.client.data(LookupLineageDocument, { ref: `${s.model}@production` });
    const labels = (lookup as { lineage: { nodes: { label: string }[] } }).lineage.nodes.map((n) => n.label);
    expect(labels).toEqual(expect.arrayContaining([`${s.model} v1`, 'xgb', `${s.clicks}@aug`]));
  });

  it('shows nothing of a project the caller has no role in', async () => {
    const { bob } = s.users;
    for (const ref of [`${s.clicks}@aug`, `${s.model}@production`, `${s.model}/1`, `${s.project}/xgb`]) {
      expect((await bob.client.data(LookupDocument, { ref })).lookup).toBeNull();
    }
    const err = await bob.client.error(ImpactByRefDocument, { ref: `${s.clicks}@aug` });
    expect(err.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('impact and quarantine by reference', () => {
  it('answers impact(ref) as impact(id), and wants exactly one of them', async () => {
    const byRef = (await s.client.data(ImpactByRefDocument, { ref: `${s.clicks}@aug`, aliases: ['production'] })).impact;
    const byId = (await s.client.data(ImpactByRefDocument, { id: s.aug.id, aliases: ['production'] })).impact;
    // Both models were registered from the run that read clicks@aug.
    expect(byRef.map((v) => v.model.name).sort()).toEqual([s.model, s.twin].sort());
    expect(byRef).toEqual(byId);
    const both = await s.client.error(ImpactByRefDocument, { ref: `${s.clicks}@aug`, id: s.aug.id });
    expect(both.extensions?.code).toBe('BAD_USER_INPUT');
    expect(both.message).toContain('give exactly one of id');
  });

  it('quarantines dataset@version, and refuses a reference to something else', async () => {
    const { quarantineDatasetVersion } = await s.client.data(QuarantineDatasetVersionDocument, {
      input: { ref: `${s.clicks}@aug`, reason: 'duplicated events' },
    });
    expect(quarantineDatasetVersion.datasetVersion).toMatchObject({ id: s.aug.id, quarantine: { reason: 'duplicated events' } });
    const err = await s.client.error(QuarantineDatasetVersionDocument, { input: { ref: `${s.model}/1`, reason: 'x' } });
    expect(err.extensions?.code).toBe('BAD_USER_INPUT');
    expect(err.message).toContain('input.ref');
    expect(err.message).toContain('not a dataset version');
  });
});
