// Lineage over HTTP for what the tracking core links: commits feed runs, parents own children.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { describe, expect, it } from 'vitest';
import { CodeCommitLineageDocument, LineageDocument, LineagePathDocument, RunsWithLineageDocument, StartRunDocument } from '../generated/graphql.js';
import { newProject, newRun } from '../support/factories.js';
import { quiesceBackground, uniqueName, useServer } from '../support/server.js';

const server = useServer();

function commitSha() {
  return Buffer.from(uniqueName('c')).toString('hex').slice(0, 40);
}

describe('lineage of runs', () => {
  it('links the commit and the parent run to a run when it starts, once however often it is retried', async () => {
    const { client } = server();
    const project = await newProject(client);
    const repository = 'git@example.com:ml/churn.git';
    const commit = commitSha();
    const parent = await newRun(client, project, { name: 'sweep', codeVersion: { repository, commit } });
    const input = { project, name: 'trial-1', clientRunId: uniqueName('job'), parentRunId: parent.id, codeVersion: { repository, commit } };
    const child = (await client.data(StartRunDocument, { input })).startRun.run;
    const again = (await client.data(StartRunDocument, { input })).startRun;
    expect(again.created).toBe(false);

    const { lineage } = await client.data(LineageDocument, { id: child.id, direction: 'UPSTREAM' });
    expect(lineage).toMatchObject({ source: 'POSTGRES', requestedDepth: 10, appliedDepth: 10, depthClamped: false, direction: 'UPSTREAM', at: null });
    const commitNode = lineage.nodes.find((n) => n.type === 'CODE_COMMIT')!;
    expect(commitNode).toMatchObject({ depth: 1, label: `${commit.slice(0, 10)} ${repository}`, node: { id: commitNode.id, __typename: 'CodeCommit' } });
    expect(lineage.nodes.map((n) => [n.type, n.depth, n.label])).toEqual([
      ['RUN', 0, 'trial-1'],
      ['CODE_COMMIT', 1, `${commit.slice(0, 10)} ${repository}`],
      ['RUN', 1, 'sweep'],
    ]);
    expect(lineage.nodes[2]!.node).toEqual({ id: parent.id, __typename: 'Run' });
    // Both runs used the commit; the parent also owns the child.
    const name = (id: string) => ({ [parent.id]: 'parent', [child.id]: 'child', [commitNode.id]: 'commit' })[id] ?? id;
    expect(lineage.edges.map((e) => [e.kind, name(e.from), name(e.to)]).sort()).toEqual([
      ['INPUT_TO', 'commit', 'child'],
      ['INPUT_TO', 'commit', 'parent'],
      ['PARENT_OF', 'parent', 'child'],
    ]);

    // What did this commit reach?
    const { codeCommit } = await client.data(CodeCommitLineageDocument, { repository, commit: commit.toUpperCase() });
    expect(codeCommit!.id).toBe(commitNode.id);
    expect(codeCommit!.lineage.nodes.map((n) => n.label).sort()).toEqual([`${commit.slice(0, 10)} ${repository}`, 'sweep', 'trial-1']);
  });

  it('returns the start alone at depth 0, clamps a huge depth and says so', async () => {
    const { client } = server();
    const project = await newProject(client);
    const run = await newRun(client, project, { codeVersion: { repository: 'r', commit: commitSha() } });
    const zero = (await client.data(LineageDocument, { id: run.id, depth: 0 })).lineage;
    expect(zero.nodes.map((n) => n.id)).toEqual([run.id]);
    expect(zero.edges).toEqual([]);
    const huge = (await client.data(LineageDocument, { id: run.id, depth: 1_000_000 })).lineage;
    expect(huge).toMatchObject({ requestedDepth: 1_000_000, appliedDepth: 50, depthClamped: true });
    expect(huge.nodes).toHaveLength(2);
    const negative = await client.error(LineageDocument, { id: run.id, depth: -1 });
    expect(negative.extensions?.code).toBe('BAD_USER_INPUT');
    expect(negative.message).toContain('depth');
  });

  it('answers NOT_FOUND for an unknown node and BAD_USER_INPUT for an id that is not a lineage node', async () => {
    const { client } = server();
    const missing = await client.error(LineageDocument, { id: encodeGlobalID('Run', 987654321) });
    expect(missing.extensions?.code).toBe('NOT_FOUND');
    const notANode = await client.error(LineageDocument, { id: encodeGlobalID('Project', 1) });
    expect(notANode.extensions?.code).toBe('BAD_USER_INPUT');
    expect(notANode.message).toContain('id:');
    const garbage = await client.error(LineageDocument, { id: 'not-an-id' });
    expect(garbage.extensions?.code).toBe('BAD_USER_INPUT');
    const pathMissing = await client.error(LineagePathDocument, { from: encodeGlobalID('Run', 987654321), to: encodeGlobalID('Run', 987654322) });
    expect(pathMissing.extensions?.code).toBe('NOT_FOUND');
  });

  it('finds the path between a commit and a child run, and none as of before it existed', async () => {
    const { client } = server();
    const project = await newProject(client);
    const commit = commitSha();
    const before = new Date(Date.now() - 1000).toISOString();
    const parent = await newRun(client, project, { codeVersion: { repository: 'r', commit } });
    const child = await newRun(client, project, { parentRunId: parent.id });
    const { lineage } = await client.data(LineageDocument, { id: parent.id, direction: 'UPSTREAM', depth: 1 });
    const commitId = lineage.nodes.find((n) => n.type === 'CODE_COMMIT')!.id;
    const path = (await client.data(LineagePathDocument, { from: child.id, to: commitId })).lineagePath!;
    expect(path.nodes.map((n) => n.id)).toEqual([commitId, parent.id, child.id]);
    expect(path.edges.map((e) => e.kind)).toEqual(['INPUT_TO', 'PARENT_OF']);
    expect((await client.data(LineagePathDocument, { from: commitId, to: child.id, at: before })).lineagePath).toBeNull();
    const asOfBefore = (await client.data(LineageDocument, { id: child.id, at: before })).lineage;
    expect(asOfBefore.nodes.map((n) => n.id)).toEqual([child.id]);
  });

  it('loads the lineage of a whole page of runs with the same number of statements as one run', async () => {
    const { client, app } = server();
    await quiesceBackground(app);
    const project = await newProject(client);
    const commit = commitSha();
    for (let i = 0; i < 12; i += 1) await newRun(client, project, { name: `r${i}`, codeVersion: { repository: 'r', commit } });
    const count = async (first: number) => {
      const before = app.db.statementCount();
      const data = await client.data(RunsWithLineageDocument, { project, first });
      const statements = app.db.statementCount() - before;
      for (const edge of data.runs.edges) {
        expect(edge.node.lineage.nodes.map((n) => n.type)).toEqual(['RUN', 'CODE_COMMIT']);
        expect(edge.node.lineage.edges).toHaveLength(1);
      }
      expect(data.runs.edges).toHaveLength(first);
      return statements;
    };
    const one = await count(1);
    const twelve = await count(12);
    expect(twelve).toBe(one);
  });
});
