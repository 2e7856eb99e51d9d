// No N+1: a page of runs with params, tags and latest metrics costs a fixed number of SQL
// statements, whatever the page size; the project is one lookup.
import { beforeAll, describe, expect, it } from 'vitest';
import { CreateProjectDocument, RunsPageDocument, StartRunDocument } from '../generated/graphql.js';
import { newProject, newRun, seededRun } from '../support/factories.js';
import { newDatasetVersion, newModelVersion } from '../support/registry-factories.js';
import { quiesceBackground, uniqueName, useServer } from '../support/server.js';

const server = useServer();
let project: string;

beforeAll(async () => {
  const { client } = server();
  project = await newProject(client, 'n-plus-one');
  for (let i = 0; i < 50; i += 1) {
    await seededRun(client, project, {
      name: `run-${String(i).padStart(2, '0')}`,
      params: { lr: String(i / 100), layers: String(i % 4) },
      tags: { team: i % 2 ? 'recs' : 'search' },
      metrics: { loss: 1 / (i + 1), acc: i / 50 },
    });
  }
  await quiesceBackground(server().app);
});

async function statementsFor(first: number): Promise<{ statements: number; runs: number }> {
  const { client, app } = server();
  const before = app.db.statementCount();
  const data = await client.data(RunsPageDocument, { project, first });
  const statements = app.db.statementCount() - before;
  for (const edge of data.runs.edges) {
    expect(edge.node.params).toHaveLength(2);
    expect(edge.node.tags).toHaveLength(1);
    expect(edge.node.metrics).toHaveLength(2);
  }
  return { statements, runs: data.runs.edges.length };
}

describe('a page of runs with their params, tags and metrics', () => {
  it('issues the same number of statements for 5, 10 and 50 runs', async () => {
    const small = await statementsFor(5);
    const medium = await statementsFor(10);
    const large = await statementsFor(50);
    expect([small.runs, medium.runs, large.runs]).toEqual([5, 10, 50]);
    expect(large.statements).toBe(small.statements);
    expect(medium.statements).toBe(small.statements);
    // project lookup, the page, then one batched load each for params, tags and metrics
    expect(large.statements).toBeLessThanOrEqual(6);
  });
});

describe('project lookups', () => {
  it('startRun is one statement: the project lookup, the insert and its audit row (no per-process project cache: replicas must agree)', async () => {
    const { client, app } = server();
    const start = (name: string) => client.data('mutation($i: StartRunInput!) { startRun(input: $i) { run { id } } }', { i: { project, name } });
    await start('warm');
    const before = app.db.statementCount();
    await start('counted');
    expect(app.db.statementCount() - before).toBe(1);
  });

  it('resolves a project as a node, as often as asked', async () => {
    const { client } = server();
    const { createProject } = await client.data(CreateProjectDocument, { input: { name: uniqueName('as-node') } });
    for (let i = 0; i < 3; i += 1) {
      const answer = await client.request('query($id: ID!) { node(id: $id) { id } project: node(id: $id) { ... on Project { name } } }', {
        id: createProject.project.id,
      });
      expect(answer.errors).toBeUndefined();
    }
  });

  it('a name that did not exist is found once created', async () => {
    const { client } = server();
    const name = uniqueName('not-yet');
    const missing = await client.error(StartRunDocument, { input: { project: name } });
    expect(missing.extensions?.code).toBe('NOT_FOUND');
    await client.data(CreateProjectDocument, { input: { name } });
    const run = await newRun(client, name, { name: 'now-it-exists' });
    expect(run.id).toBeTruthy();
  });
});

describe('model@alias resolved to its run', () => {
  it('reads the model, alias, version and run in one statement, then params and inputs (with their versions) in one round', async () => {
    const { client, app } = server();
    const run = await seededRun(client, project, { name: 'trained', params: { lr: '0.1', depth: '4' } });
    const dataset = uniqueName('train');
    const version = await newDatasetVersion(client, { dataset, version: 'v1', project });
    await client.data('mutation($i: LogInputsInput!) { logInputs(input: $i) { __typename } }', {
      i: { runId: run.id, datasets: [{ datasetVersionId: version.id, role: 'train' }] },
    });
    const model = uniqueName('counted-model');
    const registered = await newModelVersion(server(), client, model, run.id);
    await client.data('mutation($i: SetModelAliasInput!) { setModelAlias(input: $i) { __typename } }', {
      i: { model, alias: 'champion', version: registered.version },
    });
    type Resolved = {
      registeredModel: {
        alias: { version: number; run: { name: string; params: { key: string }[]; inputs: { role: string; datasetVersion: { digest: string } }[] } };
      };
    };
    const resolve = () =>
      client.data(
        `query($m: String!) { registeredModel(name: $m) { alias(name: "champion") { version run { name params { key value } inputs { role datasetVersion { digest } } } } } }`,
        { m: model },
      ) as Promise<Resolved>;
    await resolve();
    const before = app.db.statementCount();
    const { registeredModel } = await resolve();
    expect(app.db.statementCount() - before).toBe(4);
    expect(registeredModel.alias.version).toBe(registered.version);
    expect(registeredModel.alias.run.name).toBe('trained');
    expect(registeredModel.alias.run.params.map((p) => p.key).sort()).toEqual(['depth', 'lr']);
    expect(registeredModel.alias.run.inputs).toEqual([{ role: 'train', datasetVersion: { digest: version.digest } }]);
  });
});
