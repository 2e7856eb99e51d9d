// Every list argument has a maximum, and the cost model counts list sizes: nodes(ids) with
// 800,000 ids was one unit of cost and stalled the server.
import { describe, expect, it } from 'vitest';
import { testConfig, useServer } from '../support/server.js';
import { signInUsers } from '../support/users.js';

const server = useServer(() => testConfig({ RUNLEDGER_AUTH: 'on' }));
const runIds = (n: number) => Array.from({ length: n }, (_, i) => Buffer.from(`Run:${i + 1}`).toString('base64'));

describe('list arguments', () => {
  it('refuses nodes(ids) past 100 ids, sent as a variable or a literal, even from a user with no role', async () => {
    const { bob } = await signInUsers(server());
    for (const n of [101, 800_000]) {
      const res = await bob.client.request('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: runIds(n) });
      expect(res.status).toBeLessThan(500);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', max: 100 });
      expect(res.errors?.[0]?.message).toContain(`got ${n}`);
    }
    const literal = await bob.client.request(`{ nodes(ids: ${JSON.stringify(runIds(101))}) { id } }`);
    expect(literal.errors?.[0]?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'Query.nodes.ids', max: 100 });
    const fine = await bob.client.data('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: runIds(100) });
    expect(fine).toEqual({ nodes: Array(100).fill(null) });
  });

  it('refuses compareRuns(ids) past 100 ids', async () => {
    const { admin } = await signInUsers(server());
    const res = await admin.client.request('query($ids: [ID!]!) { compareRuns(ids: $ids) { runs { id } } }', { ids: runIds(5000) });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', max: 100 });
  });

  it('refuses any list past 100,000 items, wherever it is in the variables', async () => {
    const { admin } = await signInUsers(server());
    const res = await admin.client.request('query($t: [LineageNodeType!]) { lineage(id: "x", types: $t) { nodes { id } } }', { t: Array(100_001).fill('RUN') });
    expect(res.status).toBeLessThan(500);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'listItems', max: 100_000 });
    expect(res.errors?.[0]?.message).toContain('$t');
  });

  it('counts the ids of nodes(ids) in the cost of a query', async () => {
    const { admin } = await signInUsers(server());
    const query = 'query($ids: [ID!]!) { nodes(ids: $ids) { ... on Run { children(first: 1000) { edges { node { id name } } } } } }';
    const res = await admin.client.request(query, { ids: runIds(2) });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'cost' });
    // A variable list counts at its maximum (100 ids); one literal id costs a hundredth of that.
    const one = await admin.client.request(query.replace('query($ids: [ID!]!)', 'query').replace('$ids', JSON.stringify(runIds(1))));
    expect(one.errors).toBeUndefined();
  });
});
