// Hostile requests are refused before they cost anything, each with LIMIT_EXCEEDED naming the
// limit; forms and <img> tags cannot send operations (CSRF); introspection can be switched off.
import { describe, expect, it } from 'vitest';
import { startServer, testConfig, useServer } from '../support/server.js';

const server = useServer(() => testConfig({ RUNLEDGER_MAX_BODY_BYTES: '100000' }));

async function post(body: unknown, headers: Record<string, string> = {}, url = `${server().url}/graphql`) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: { data?: unknown; errors?: { message: string; extensions?: { code?: string; limit?: string } }[] } | unknown[];
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`not JSON (${res.status}): ${text.slice(0, 200)}`);
  }
  return { status: res.status, json };
}

function firstError(json: unknown) {
  return (json as { errors: { message: string; extensions?: { code?: string; limit?: string } }[] }).errors[0]!;
}

describe('request limits', () => {
  it('refuses deep queries', async () => {
    const deep = `{ runs(project: "x") { edges { node { ${'parent { '.repeat(20)} id ${'} '.repeat(20)} } } } }`;
    const { json } = await post({ query: deep });
    expect(firstError(json).extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'depth' });
  });

  it('refuses alias bombs, also through fragments', async () => {
    const aliases = Array.from({ length: 60 }, (_, i) => `a${i}: __typename`).join(' ');
    expect(firstError((await post({ query: `{ ${aliases} }` })).json).extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'aliases' });
    const fragment = `fragment F on Query { ${Array.from({ length: 10 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    const spread = `query { ...F ... on Query { ...F } ... on Query { ... on Query { ...F } } ${Array.from({ length: 5 }, () => '... on Query { ...F }').join(' ')} } ${fragment}`;
    expect(firstError((await post({ query: spread })).json).extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'aliases' });
  });

  it('refuses documents with too many tokens', async () => {
    const query = `{ ${'a '.repeat(25_000)}}`;
    const { json } = await post({ query });
    expect(firstError(json).extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'tokens' });
  });

  it('refuses queries whose result could be huge (cost)', async () => {
    const query = `{ runs(project: "x", first: 1000) { edges { node { children(first: 1000) { edges { node { id name } } } } } } }`;
    const { json } = await post({ query });
    expect(firstError(json).extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'cost' });
  });

  it('refuses large bodies and large batches', async () => {
    const big = await post({ query: '{ __typename }', variables: { pad: 'x'.repeat(200_000) } });
    expect(big.status).toBe(413);
    expect(firstError(big.json).extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'bodyBytes' });

    const ok = await post(Array.from({ length: 3 }, () => ({ query: '{ __typename }' })));
    expect(ok.json).toEqual(Array.from({ length: 3 }, () => ({ data: { __typename: 'Query' } })));
    const batch = await post(Array.from({ length: 11 }, () => ({ query: '{ __typename }' })));
    expect(firstError(batch.json).extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'batch' });
  });

  it('counts the bytes of a body sent without Content-Length (chunked)', async () => {
    // Its own server: refused mid-body, the connection is closed, and a pooled keep-alive
    // connection to the shared server could then fail the next test with ECONNRESET.
    const own = await startServer(testConfig({ RUNLEDGER_MAX_BODY_BYTES: '100000' }));
    const chunked = async (body: unknown) => {
      const bytes = new TextEncoder().encode(JSON.stringify(body));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 16_384) controller.enqueue(bytes.slice(i, i + 16_384));
          controller.close();
        },
      });
      const res = await fetch(`${own.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      return { status: res.status, json: (await res.json()) as unknown };
    };
    try {
      const small = await chunked({ query: '{ __typename }', variables: { pad: 'x'.repeat(50_000) } });
      expect(small).toEqual({ status: 200, json: { data: { __typename: 'Query' } } });
      const big = await chunked({ query: '{ __typename }', variables: { pad: 'x'.repeat(200_000) } });
      expect(big.status).toBe(413);
      expect(firstError(big.json).extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'bodyBytes' });
    } finally {
      await own.app.stop();
    }
  });

  it('still accepts a 10,000-point logBatch sent with variables', async () => {
    const own = await startServer(testConfig());
    try {
      const { json: p } = await post({ query: 'mutation { createProject(input: { name: "limits-ok" }) { project { id } } }' }, {}, `${own.url}/graphql`);
      expect((p as { errors?: unknown }).errors).toBeUndefined();
      const run = (await post({ query: 'mutation { startRun(input: { project: "limits-ok" }) { run { id } } }' }, {}, `${own.url}/graphql`)).json as {
        data: { startRun: { run: { id: string } } };
      };
      const metrics = Array.from({ length: 10_000 }, (_, i) => ({
        key: 'loss',
        value: 1 / (i + 1),
        step: i,
        timestamp: new Date(1_700_000_000_000 + i).toISOString(),
      }));
      const { json } = await post(
        { query: 'mutation($i: LogBatchInput!) { logBatch(input: $i) { pointsWritten } }', variables: { i: { runId: run.data.startRun.run.id, metrics } } },
        {},
        `${own.url}/graphql`,
      );
      expect(json).toEqual({ data: { logBatch: { pointsWritten: 10_000 } } });
    } finally {
      await own.app.stop();
    }
  });
});

describe('CSRF prevention', () => {
  it('refuses operations a browser could send cross-site without a preflight', async () => {
    const form = await fetch(`${server().url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=%7B__typename%7D',
    });
    expect(form.status).toBe(403);
    const get = await fetch(`${server().url}/graphql?query=%7B__typename%7D`);
    expect(get.status).toBe(403);
    const withHeader = await fetch(`${server().url}/graphql?query=%7B__typename%7D`, { headers: { 'x-graphql-yoga-csrf': '1', accept: 'application/json' } });
    expect(await withHeader.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('introspection and GraphiQL', () => {
  it('can be switched off for production', async () => {
    const own = await startServer(testConfig({ RUNLEDGER_INTROSPECTION: 'off', RUNLEDGER_GRAPHIQL: 'off' }));
    try {
      const { json } = await post({ query: '{ __schema { types { name } } }' }, {}, `${own.url}/graphql`);
      expect(firstError(json).message).toMatch(/introspection/i);
      expect(firstError(json).extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const page = await fetch(`${own.url}/graphql`, { headers: { accept: 'text/html' } });
      expect((await page.text()).toLowerCase()).not.toContain('graphiql');
      expect((await post({ query: '{ __typename }' }, {}, `${own.url}/graphql`)).json).toEqual({ data: { __typename: 'Query' } });
    } finally {
      await own.app.stop();
    }
    const { json } = await post({ query: '{ __schema { queryType { name } } }' });
    expect(json).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });
});
