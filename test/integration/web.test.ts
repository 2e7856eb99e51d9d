// The dashboard's front door over real HTTP: page URLs answer with the app, assets are served
// with long caching, and everything else (GraphQL, health, artifacts, /api) is left alone.
// Also Project.registeredModels, the one field the dashboard needed that the API lacked.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebRoutes } from '../../src/http/web/routes.js';
import { ProjectModelsDocument } from '../generated/graphql.js';
import { newProject, newRun } from '../support/factories.js';
import { newModelVersion } from '../support/registry-factories.js';
import { uniqueName, useServer } from '../support/server.js';

describe('static front door', () => {
  let dir: string;
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'runledger-web-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(path.join(dir, 'assets', 'app-abc123.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'secret.txt'), 'not served');
    const handle = createWebRoutes(dir);
    server = http.createServer(async (req, res) => {
      if (!(await handle(req, res))) res.writeHead(418).end('next handler');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every page URL with index.html, so pasted links open their page', async () => {
    for (const page of [
      '/',
      '/projects/churn/runs?filter=x',
      '/runs/UnVuOjE=',
      '/compare?ids=a,b',
      '/lineage/abc?at=2026-01-01',
      '/models/churn',
      '/incident',
      '/audit',
    ]) {
      const res = await fetch(base + page);
      expect(res.status, page).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toContain('<title>app</title>');
    }
  });

  it('serves hashed assets with immutable caching, and nothing outside assets/', async () => {
    const res = await fetch(`${base}/assets/app-abc123.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('javascript');
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(418);
    expect((await fetch(`${base}/assets/..%2Fsecret.txt`)).status).toBe(418);
    expect((await fetch(`${base}/secret.txt`)).status).toBe(418);
  });

  it('leaves GraphQL, health, artifacts, the /api routes and writes to other handlers', async () => {
    for (const other of ['/graphql', '/healthz', '/artifacts/1', '/api/2.0/mlflow/runs/get', '/api/v1/lineage', '/ajax-api/2.0/x']) {
      expect((await fetch(base + other)).status, other).toBe(418);
    }
    expect((await fetch(`${base}/runs/1`, { method: 'POST' })).status).toBe(418);
  });

  it('says how to build the app when it is not built', async () => {
    const handle = createWebRoutes(path.join(dir, 'nowhere'));
    const s = http.createServer(async (req, res) => void (await handle(req, res)));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/runs/1`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build:web');
    await new Promise((r) => s.close(r));
  });
});

describe('Project.registeredModels', () => {
  const server = useServer();

  it('lists the models of the project by name, a page at a time', async () => {
    const s = server();
    const project = await newProject(s.client, 'web-models');
    const other = await newProject(s.client, 'web-other');
    const prefix = uniqueName('m');
    const run = await newRun(s.client, project);
    for (const name of ['c', 'a', 'b']) await newModelVersion(s, s.client, `${prefix}-${name}`, run.id);
    await newModelVersion(s, s.client, `${prefix}-elsewhere`, (await newRun(s.client, other)).id);

    const first = await s.client.data(ProjectModelsDocument, { project, first: 2 });
    const page = first.project!.registeredModels;
    expect(page.edges.map((e) => e.node.name)).toEqual([`${prefix}-a`, `${prefix}-b`]);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const second = await s.client.data(ProjectModelsDocument, { project, first: 2, after: page.pageInfo.endCursor });
    expect(second.project!.registeredModels.edges.map((e) => e.node.name)).toEqual([`${prefix}-c`]);
    expect(second.project!.registeredModels.pageInfo.hasNextPage).toBe(false);
  });
});
