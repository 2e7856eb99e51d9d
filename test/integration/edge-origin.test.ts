// The edge in local mode (authentication off, the default `npm start`): what a web page on
// another site can make a browser send is refused at every door, before any handler runs:
// a foreign Host (DNS rebinding), a foreign Origin (no CORS for it, ever), and cross-site
// writes of every content type. Programs that send neither Origin nor Sec-Fetch-Site work.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testConfig, uniqueName, useServer } from '../support/server.js';

const server = useServer();
const configured = useServer(() =>
  testConfig({ RUNLEDGER_ALLOWED_ORIGINS: 'https://dash.example', RUNLEDGER_ALLOWED_HOSTS: 'runledger.internal,*.corp.example' }),
);

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** node:http, not fetch: fetch may not set Host, Origin or Sec-Fetch-* itself. */
function send(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const EVIL = 'http://evil.example';

/** One request per door, as a page could make a browser send it. */
function doorRequests(name: string) {
  const event = {
    eventType: 'START',
    eventTime: '2026-01-01T00:00:00Z',
    producer: 'https://evil.example',
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent',
    run: { runId: randomUUID() },
    job: { namespace: name, name: 'job' },
  };
  return [
    {
      door: 'graphql',
      method: 'POST',
      path: '/graphql',
      body: JSON.stringify({ query: `mutation { createProject(input: { name: "${name}" }) { created } }` }),
    },
    { door: 'graphql GET', method: 'GET', path: '/graphql?query=%7Bprojects%7Bedges%7Bnode%7Bname%7D%7D%7D%7D', body: undefined },
    { door: 'mlflow', method: 'POST', path: '/api/2.0/mlflow/experiments/create', body: JSON.stringify({ name }) },
    { door: 'mlflow ajax', method: 'POST', path: '/ajax-api/2.0/mlflow/experiments/create', body: JSON.stringify({ name }) },
    { door: 'openlineage', method: 'POST', path: '/api/v1/lineage', body: JSON.stringify(event) },
    { door: 'artifacts', method: 'PUT', path: '/artifacts/runs/UnVuOjE=?name=x', body: 'bytes' },
    { door: 'mlflow-artifacts', method: 'PUT', path: `/api/2.0/mlflow-artifacts/artifacts/0/${'0'.repeat(32)}/artifacts/x`, body: 'bytes' },
  ];
}

async function nothingWritten(base: string, name: string) {
  const project = await send(
    base,
    'POST',
    '/graphql',
    { 'content-type': 'application/json' },
    JSON.stringify({ query: `{ project(name: "${name}") { name } }` }),
  );
  expect(JSON.parse(project.body)).toEqual({ data: { project: null } });
  const experiment = await send(base, 'GET', `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${name}`);
  expect(experiment.status).toBe(404);
}

describe('Host (DNS rebinding)', () => {
  it('refuses a Host that is not this server at every door, WebSocket included', async () => {
    const name = uniqueName('rebind');
    for (const r of [...doorRequests(name), { door: 'dashboard', method: 'GET', path: '/', body: undefined }]) {
      const reply = await send(server().url, r.method, r.path, { host: 'evil.example', 'content-type': 'text/plain' }, r.body);
      expect(reply.status, `${r.door}: ${reply.body}`).toBe(403);
      expect(reply.body).toContain('headers.host');
      expect(reply.headers['access-control-allow-origin']).toBeUndefined();
    }
    await expect(openSocket(server().url, { host: 'evil.example:80' })).rejects.toThrow(/403/);
    await nothingWritten(server().url, name);
  });

  it('serves loopback names, addresses and the probe path whatever the Host', async () => {
    const port = new URL(server().url).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `app.localhost:${port}`, '10.1.2.3']) {
      expect((await send(server().url, 'GET', '/graphql?query=%7B__typename%7D', { host, 'x-graphql-yoga-csrf': '1' })).status, host).toBe(200);
    }
    expect((await send(server().url, 'GET', '/healthz', { host: 'kubernetes-probe.internal' })).status).toBe(200);
  });

  it('serves names listed in RUNLEDGER_ALLOWED_HOSTS, and only those', async () => {
    for (const [host, status] of [
      ['runledger.internal', 200],
      ['runledger.internal:8443', 200],
      ['a.corp.example', 200],
      ['corp.example', 403],
      ['runledger.internal.evil.example', 403],
    ] as const) {
      expect((await send(configured().url, 'GET', '/graphql?query=%7B__typename%7D', { host, 'x-graphql-yoga-csrf': '1' })).status, host).toBe(status);
    }
  });
});

describe('Origin and cross-site writes', () => {
  it('refuses a foreign Origin at every door, for every content type, and writes nothing', async () => {
    const name = uniqueName('csrf');
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json']) {
      for (const r of doorRequests(name)) {
        const reply = await send(server().url, r.method, r.path, { origin: EVIL, 'sec-fetch-site': 'cross-site', 'content-type': type }, r.body);
        expect(reply.status, `${r.door} ${type}: ${reply.body}`).toBe(403);
        expect(reply.headers['access-control-allow-origin']).toBeUndefined();
        expect(reply.body).toContain('headers.origin');
      }
    }
    await nothingWritten(server().url, name);
  });

  it('answers MLflow paths in MLflow’s error shape', async () => {
    const reply = await send(server().url, 'POST', '/api/2.0/mlflow/experiments/create', { origin: EVIL }, '{}');
    expect(JSON.parse(reply.body)).toMatchObject({ error_code: 'PERMISSION_DENIED' });
  });

  it('refuses cross-site requests that carry no Origin, and an opaque "null" origin', async () => {
    const name = uniqueName('nullorigin');
    for (const r of doorRequests(name)) {
      const noOrigin = await send(
        server().url,
        r.method,
        r.path,
        { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'content-type': 'text/plain' },
        r.body,
      );
      expect(noOrigin.status, `${r.door}: ${noOrigin.body}`).toBe(403);
      const nullOrigin = await send(server().url, r.method, r.path, { origin: 'null', 'content-type': 'text/plain' }, r.body);
      expect(nullOrigin.status, `${r.door}: ${nullOrigin.body}`).toBe(403);
    }
    // A form posted from another site is a navigation, and still a write: refused.
    const form = await send(server().url, 'POST', '/api/2.0/mlflow/experiments/create', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' }, '{}');
    expect(form.status).toBe(403);
    await nothingWritten(server().url, name);
  });

  it('lets another site link to a page (a GET navigation), and a page of this server call it', async () => {
    const page = await send(server().url, 'GET', '/', { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' });
    expect(page.status).toBe(200);
    const own = new URL(server().url).origin;
    const name = uniqueName('same-origin');
    const write = await send(
      server().url,
      'POST',
      '/api/2.0/mlflow/experiments/create',
      { origin: own, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
      JSON.stringify({ name }),
    );
    expect(write.status, write.body).toBe(200);
    expect(write.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('lets programs that send neither header write (the Python client, mlflow, curl)', async () => {
    const name = uniqueName('program');
    const write = await send(server().url, 'POST', '/api/2.0/mlflow/experiments/create', { 'content-type': 'application/json' }, JSON.stringify({ name }));
    expect(write.status, write.body).toBe(200);
  });

  it('never reflects a foreign origin in CORS, preflight included', async () => {
    const preflight = await send(server().url, 'OPTIONS', '/graphql', {
      origin: EVIL,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('gives origins listed in RUNLEDGER_ALLOWED_ORIGINS CORS, with a preflight', async () => {
    const origin = 'https://dash.example';
    const preflight = await send(configured().url, 'OPTIONS', '/graphql', {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, authorization',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
      'access-control-allow-headers': 'content-type, authorization',
    });
    const read = await send(configured().url, 'POST', '/graphql', { origin, 'content-type': 'application/json' }, JSON.stringify({ query: '{ __typename }' }));
    expect(read.status).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBe(origin);
    expect(read.headers.vary).toContain('Origin');
    const other = await send(configured().url, 'POST', '/graphql', { origin: 'https://dash.example.evil', 'content-type': 'application/json' }, '{}');
    expect(other.status).toBe(403);
  });
});

function openSocket(base: string, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', { headers });
    ws.on('open', () => {
      ws.close();
      resolve();
    });
    ws.on('unexpected-response', (_req, res) => reject(new Error(`unexpected ${res.statusCode}`)));
    ws.on('error', reject);
  });
}

describe('WebSocket upgrades (cross-site WebSocket hijacking)', () => {
  it('refuses a socket opened by a page of another origin, and accepts this server’s own pages and programs', async () => {
    await expect(openSocket(server().url, { origin: EVIL })).rejects.toThrow(/403/);
    await openSocket(server().url, { origin: new URL(server().url).origin });
    await openSocket(server().url, {});
  });
});
