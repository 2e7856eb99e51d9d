// Existence oracles and attribution with authentication on: a hidden object answers exactly
// like an absent one (authentication first), and a run is recorded for the token's user.
import { beforeAll, describe, expect, it } from 'vitest';
import { putArtifact } from '../support/artifacts.js';
import { type SignedIn, signInUsers } from '../support/users.js';
import { testConfig, uniqueName, useServer } from '../support/server.js';

const server = useServer(() => testConfig({ RUNLEDGER_AUTH: 'on' }));
let admin: SignedIn;
let ana: SignedIn;
let bob: SignedIn;
let project: string;
let runId: string;

const START_RUN = 'mutation($i: StartRunInput!) { startRun(input: $i) { run { id user recordedBy } } }';
const made = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString('base64');

beforeAll(async () => {
  ({ admin, ana, bob } = await signInUsers(server()));
  project = uniqueName('oracle');
  await ana.client.data('mutation($n: String!) { createProject(input: {name: $n}) { created } }', { n: project });
  runId = (await ana.client.data<{ startRun: { run: { id: string } } }, unknown>(START_RUN, { i: { project } })).startRun.run.id;
});

describe('existence oracles', () => {
  it("lineage(id) answers the same for another project's real node and a made-up id", async () => {
    const real = await bob.client.request('query($id: ID!) { lineage(id: $id) { nodes { id } } }', { id: runId });
    const realNumber = Number(Buffer.from(runId, 'base64').toString().split(':')[1]);
    const fake = made('Run', realNumber + 1_000_000);
    const shape = (e: { message: string; extensions?: Record<string, unknown> } | undefined, id: string) =>
      JSON.stringify({ ...e, message: e?.message.replace(id, '<id>'), extensions: { ...e?.extensions, id: '<id>' } });
    // Several times: the check and the walk run concurrently, and either may fail first.
    for (let i = 0; i < 5; i += 1) {
      const missing = await bob.client.request('query($id: ID!) { lineage(id: $id) { nodes { id } } }', { id: fake });
      expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(shape(missing.errors?.[0], fake)).toBe(shape(real.errors?.[0], runId));
    }
  });

  it('GET /artifacts/<id> answers 401 without a token whether or not the artifact exists, and 404 alike to a caller without a role', async () => {
    const put = await putArtifact(server().url, runId, 'weights', { name: 'w.bin', kind: 'MODEL' }, { authorization: `Bearer ${ana.secret}` });
    expect(put.status).toBe(201);
    const real = put.body.artifact!.id;
    const fake = made('Artifact', 987_654_321);
    for (const id of [real, fake]) {
      const anonymous = await fetch(`${server().url}/artifacts/${encodeURIComponent(id)}`);
      expect(anonymous.status).toBe(401);
    }
    const answers = [];
    for (const id of [real, fake]) {
      const res = await fetch(`${server().url}/artifacts/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${bob.secret}` } });
      answers.push({ status: res.status, body: (await res.text()).replaceAll(encodeURIComponent(id), '<id>').replaceAll(id, '<id>') });
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]!.status).toBe(404);
  });
});

describe('attribution', () => {
  it("records the token's user, whatever input.user says", async () => {
    await ana.client.data('mutation($p: String!, $u: String!) { grantProjectRole(input: {project: $p, user: $u, role: EDITOR}) { __typename } }', {
      p: project,
      u: bob.name,
    });
    const { startRun } = await bob.client.data<{ startRun: { run: { user: string; recordedBy: string | null } } }, unknown>(START_RUN, {
      i: { project, user: ana.name },
    });
    expect(startRun.run).toMatchObject({ user: bob.name, recordedBy: null });
  });

  it('lets a global admin import a run on behalf of someone else, and records that the admin did', async () => {
    const { startRun } = await admin.client.data<{ startRun: { run: { user: string; recordedBy: string | null } } }, unknown>(START_RUN, {
      i: { project, user: ana.name },
    });
    expect(startRun.run).toMatchObject({ user: ana.name, recordedBy: admin.name });
    const own = await admin.client.data<{ startRun: { run: { user: string; recordedBy: string | null } } }, unknown>(START_RUN, { i: { project } });
    expect(own.startRun.run).toMatchObject({ user: admin.name, recordedBy: null });
  });
});
