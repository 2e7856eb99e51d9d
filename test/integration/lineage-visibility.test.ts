// Code commits belong to no project: a commit is visible only to callers who may see at least
// one run that used it, and lineage walks never reveal hidden nodes' ids or edge times.
import { beforeAll, describe, expect, it } from 'vitest';
import { type SignedIn, signInUsers } from '../support/users.js';
import { testConfig, uniqueName, useServer } from '../support/server.js';

const server = useServer(() => testConfig({ RUNLEDGER_AUTH: 'on' }));
let ana: SignedIn;
let bob: SignedIn;
let anaRun: string;
let commitId: string;
const repository = `git@example.com:${uniqueName('repo')}.git`;
const sha = 'abcdef0123456789abcdef0123456789abcdef01';

const START = 'mutation($i: StartRunInput!) { startRun(input: $i) { run { id } } }';
const COMMIT = 'query($r: String!, $c: String!) { codeCommit(repository: $r, commit: $c) { id repository } }';
const WALK = 'query($id: ID!) { lineage(id: $id) { nodes { id type redacted label } edges { from to createdAt } } }';

async function projectWithRun(user: SignedIn): Promise<string> {
  const project = uniqueName('vis');
  await user.client.data('mutation($n: String!) { createProject(input: {name: $n}) { created } }', { n: project });
  const data = await user.client.data<{ startRun: { run: { id: string } } }, unknown>(START, { i: { project, codeVersion: { repository, commit: sha } } });
  return data.startRun.run.id;
}

beforeAll(async () => {
  ({ ana, bob } = await signInUsers(server()));
  anaRun = await projectWithRun(ana);
  const data = await ana.client.data<{ codeCommit: { id: string } }, unknown>(COMMIT, { r: repository, c: sha });
  commitId = data.codeCommit.id;
});

describe('code commits', () => {
  it('are hidden from a caller who can see no run that used them, through every entry point', async () => {
    expect(await bob.client.data(COMMIT, { r: repository, c: sha })).toEqual({ codeCommit: null });
    expect(await bob.client.data('query($id: ID!) { node(id: $id) { id } }', { id: commitId })).toEqual({ node: null });
    expect(await bob.client.data('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: [commitId] })).toEqual({ nodes: [null] });
    const walk = await bob.client.request(WALK, { id: commitId });
    expect(walk.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    // Sequential ids enumerate nothing either.
    const number = Number(Buffer.from(commitId, 'base64').toString().split(':')[1]);
    for (let id = Math.max(1, number - 3); id <= number + 3; id += 1) {
      const { node } = await bob.client.data<{ node: unknown }, unknown>('query($id: ID!) { node(id: $id) { id } }', {
        id: Buffer.from(`CodeCommit:${id}`).toString('base64'),
      });
      expect(node).toBeNull();
    }
  });

  it("become visible once the caller can see a run that used them, and a walk from one hides other projects' runs", async () => {
    const bobRun = await projectWithRun(bob);
    expect(await bob.client.data(COMMIT, { r: repository, c: sha })).toEqual({ codeCommit: { id: commitId, repository } });
    const { lineage } = await bob.client.data<
      { lineage: { nodes: { id: string; type: string; redacted: boolean; label: string }[]; edges: { from: string; to: string; createdAt: string | null }[] } },
      unknown
    >(WALK, { id: commitId });
    const ids = lineage.nodes.map((n) => n.id);
    expect(ids).toContain(bobRun);
    expect(ids).not.toContain(anaRun);
    const hidden = lineage.nodes.filter((n) => n.redacted);
    expect(hidden).toHaveLength(1);
    expect(hidden[0]).toMatchObject({ type: 'RUN', label: 'Run (redacted)' });
    const hiddenEdge = lineage.edges.find((e) => e.to === hidden[0]!.id);
    expect(hiddenEdge?.createdAt).toBeNull();
    expect(JSON.stringify(lineage)).not.toContain(anaRun);
    const visibleEdge = lineage.edges.find((e) => e.to === bobRun);
    expect(visibleEdge?.createdAt).toBeTruthy();
  });
});
