// Rules the services now own that a door used to get wrong: ownership of a name decided inside
// the write (two tenants racing to create one dataset through OpenLineage), and MLflow's Default
// experiment, which exists from the start and which nobody can take by creating it first.
import { beforeAll, describe, expect, it } from 'vitest';
import type { GraphQLClient } from '../support/client.js';
import { newRunId, postEvent, runEvent } from '../support/openlineage.js';
import { testConfig, uniqueName, useServer } from '../support/server.js';
import { signInUsers, type SignedIn } from '../support/users.js';

const server = useServer(() => testConfig({ RUNLEDGER_AUTH: 'on' }));
let admin: SignedIn;
let ana: SignedIn;
let bob: SignedIn;

beforeAll(async () => {
  ({ admin, ana, bob } = await signInUsers(server()));
});

const createProject = (client: GraphQLClient, name: string) =>
  client.request('mutation($n: String!) { createProject(input: { name: $n }) { created } }', { n: name });

describe('OpenLineage writers of two tenants naming one new dataset at the same moment', () => {
  it('never write into the other tenant’s dataset: one event lands, the other is refused whole', async () => {
    const [projectA, projectB] = [uniqueName('race-a'), uniqueName('race-b')];
    await createProject(ana.client, projectA);
    await createProject(bob.client, projectB);
    const pairs = 12;
    for (let i = 0; i < pairs; i += 1) {
      const output = { namespace: 'race', name: uniqueName(`shared-${i}`), version: 'v1' };
      const event = (namespace: string) =>
        runEvent({ eventType: 'COMPLETE', eventTime: new Date().toISOString(), runId: newRunId(), job: { namespace, name: 'writer' }, outputs: [output] });
      const [a, b] = await Promise.all([postEvent(server().url, event(projectA), ana.secret), postEvent(server().url, event(projectB), bob.secret)]);
      expect([a.status, b.status].sort(), `pair ${i}: ${JSON.stringify([a.body, b.body])}`).toEqual([201, 403]);
      const winner = a.status === 201 ? { user: ana, project: projectA } : { user: bob, project: projectB };
      const { dataset } = await admin.client.data<{ dataset: { project: { name: string }; versions: { edges: { node: { createdBy: string } }[] } } }, object>(
        'query($n: String!) { dataset(namespace: "race", name: $n) { project { name } versions { edges { node { createdBy } } } } }',
        { n: output.name },
      );
      expect(dataset.project.name).toBe(winner.project);
      expect(dataset.versions.edges.map((e) => e.node.createdBy)).toEqual([winner.user.name]);
    }
  });
});

describe("MLflow's Default experiment", () => {
  it('exists before anyone writes, and creating a project named Default gives no one a role in it', async () => {
    const seen = await admin.client.data<{ project: { name: string; mlflowExperimentId: string } | null }, object>(
      'query { project(name: "Default") { name mlflowExperimentId } }',
    );
    expect(seen.project).toEqual({ name: 'Default', mlflowExperimentId: '0' });
    const squat = await createProject(bob.client, 'Default');
    expect(squat.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const mine = await bob.client.data<{ project: unknown }, object>('query { project(name: "Default") { name } }');
    expect(mine.project).toBeNull();
    const res = await fetch(`${server().url}/api/2.0/mlflow/experiments/get?experiment_id=0`, { headers: { authorization: `Bearer ${bob.secret}` } });
    expect(res.status).toBe(404);
    const adminRes = await fetch(`${server().url}/api/2.0/mlflow/experiments/get?experiment_id=0`, { headers: { authorization: `Bearer ${admin.secret}` } });
    expect(((await adminRes.json()) as { experiment: { name: string } }).experiment.name).toBe('Default');
  });
});
