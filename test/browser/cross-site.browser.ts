// Local mode (authentication off) against a web page of another site, in real Chromium: the
// page cannot read projects, cannot write through any door with any content type (fetch,
// forms, WebSocket), and a rebound DNS name (evil.example pointing at this machine) is refused.
// Chromium resolves evil.example to 127.0.0.1 itself (--host-resolver-rules), so the attack
// page is truly cross-site and nothing leaves the machine.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_URL } from '../support/openlineage.js';
import { uniqueName, useServer } from '../support/server.js';
import { useBrowser } from './browser.js';

const server = useServer();
// Chromium's own Local Network Access checks would stop some of these requests before they
// leave the page; other browsers have no such checks, and the server must not rely on them.
const browser = useBrowser([
  '--host-resolver-rules=MAP evil.example 127.0.0.1',
  '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults',
]);

/** The attacker's site: one empty page, served on a port of its own. */
let attacker: http.Server;
let attackerPort: number;
beforeAll(async () => {
  attacker = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>cute cats</title>');
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerPort = (attacker.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => attacker.close(resolve));
});

async function attackPage() {
  const context = await browser().newContext();
  // Only this machine: evil.example is mapped to it; anything else is refused.
  await context.route('**/*', (route) => {
    const { hostname } = new URL(route.request().url());
    return ['127.0.0.1', 'evil.example'].includes(hostname) ? route.continue() : route.abort('internetdisconnected');
  });
  const page = await context.newPage();
  await page.goto(`http://evil.example:${attackerPort}/`);
  return { page, context };
}

async function gql<T>(query: string): Promise<T> {
  const res = await fetch(`${server().url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return ((await res.json()) as { data: T }).data;
}

describe('a page of another site, in Chromium', () => {
  it('cannot read projects', async () => {
    const name = uniqueName('secret');
    await gql(`mutation { createProject(input: { name: "${name}" }) { created } }`);
    const { page, context } = await attackPage();
    const outcome = await page.evaluate(async (api) => {
      try {
        const res = await fetch(`${api}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ projects { edges { node { name } } } }' }),
        });
        return `read: ${await res.text()}`;
      } catch (error) {
        return `blocked: ${String(error)}`;
      }
    }, server().url);
    expect(outcome).toMatch(/^blocked/);
    expect(outcome).not.toContain(name);
    await context.close();
  });

  it('cannot create a project, an experiment or a lineage event, by fetch, form or WebSocket', async () => {
    const project = uniqueName('csrf-gql');
    const experiment = uniqueName('csrf-mlflow');
    const formExperiment = uniqueName('csrf-form');
    const namespace = uniqueName('csrf-ol');
    const event = {
      eventType: 'START',
      eventTime: '2026-01-01T00:00:00Z',
      producer: 'https://evil.example',
      schemaURL: SCHEMA_URL,
      run: { runId: randomUUID() },
      job: { namespace, name: 'job' },
    };
    const { page, context } = await attackPage();
    const api = server().url;
    // Simple requests (no preflight): the browser sends them, and only the server can refuse
    // them. Their answers stay opaque to the page (and CORP fails them), so what counts is
    // what was written, checked below.
    await page.evaluate(
      async ({ api, project, experiment, event }) => {
        const send = (path: string, body: BodyInit, type?: string) =>
          fetch(`${api}${path}`, { method: 'POST', mode: 'no-cors', headers: type ? { 'content-type': type } : {}, body }).catch(() => null);
        const form = new FormData();
        form.set('operations', JSON.stringify({ query: `mutation { createProject(input: { name: "${project}" }) { created } }` }));
        await send('/graphql', JSON.stringify({ query: `mutation { createProject(input: { name: "${project}" }) { created } }` }), 'text/plain');
        await send('/graphql', form);
        await send('/api/2.0/mlflow/experiments/create', JSON.stringify({ name: experiment }), 'text/plain');
        await send('/ajax-api/2.0/mlflow/experiments/create', JSON.stringify({ name: experiment }), 'application/x-www-form-urlencoded');
        await send('/api/v1/lineage', JSON.stringify(event), 'text/plain');
      },
      { api, project, experiment, event },
    );

    // A text/plain form whose body reads as JSON: {"name":"<experiment>","x":"="}
    await page.setContent(
      `<form method="POST" enctype="text/plain" action="${api}/api/2.0/mlflow/experiments/create">` +
        `<input name='{"name":"${formExperiment}","x":"' value='"}'></form>`,
    );
    await Promise.all([page.waitForNavigation(), page.evaluate(() => document.forms[0]!.submit())]);
    const formAnswer = await page.content();

    await page.goto(`http://evil.example:${attackerPort}/`);
    const socket = await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(url, 'graphql-transport-ws');
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        }),
      `${api.replace('http', 'ws')}/graphql`,
    );
    expect(socket).toBe('refused');
    await context.close();

    const written = await gql<{ a: unknown; b: unknown }>(`{ a: project(name: "${project}") { name } b: project(name: "${namespace}") { name } }`);
    expect(written).toEqual({ a: null, b: null });
    for (const name of [experiment, formExperiment]) {
      const res = await fetch(`${api}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${name}`);
      expect(res.status, name).toBe(404);
    }
    expect(formAnswer).toContain('PERMISSION_DENIED');
  });

  it('is refused when it renames this server (DNS rebinding: Host evil.example)', async () => {
    const context = await browser().newContext();
    const port = new URL(server().url).port;
    const page = await context.newPage();
    // Opened directly, the renamed server refuses to serve anything.
    const response = await page.goto(`http://evil.example:${port}/`);
    expect(response?.status()).toBe(403);
    expect(await page.content()).toContain('headers.host');
    // The attack proper: the page came from the attacker's server under that name, then the
    // name was pointed at this machine; the page's same-origin requests now reach runledger.
    await context.route(`http://evil.example:${port}/rebound`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: '<title>rebound</title>' }),
    );
    await page.goto(`http://evil.example:${port}/rebound`);
    const project = uniqueName('rebound');
    const statuses = await page.evaluate(async (project) => {
      const read = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ projects { edges { node { name } } } }' }),
      });
      const write = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `mutation { createProject(input: { name: "${project}" }) { created } }` }),
      });
      return [read.status, write.status];
    }, project);
    expect(statuses).toEqual([403, 403]);
    expect(await gql(`{ project(name: "${project}") { name } }`)).toEqual({ project: null });
    await context.close();
  });
});
