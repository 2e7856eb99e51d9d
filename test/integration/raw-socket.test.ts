// Malformed requests over a raw TCP socket (node:net) to the real server process: each gets
// an answer or a closed socket, never a dead process, and the server keeps serving afterwards.
// A handler that fails ends its own request with a 500 naming a request id.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardRequests } from '../../src/http/edge/guard.js';
import { createLogger } from '../../src/logger.js';
import { freePort, type ServerProcess, startProcess } from '../support/process.js';

let dataDir: string;
let proc: ServerProcess;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'runledger-raw-'));
  proc = await startProcess({ RUNLEDGER_DATA_DIR: dataDir, RUNLEDGER_AUTH: 'on' }, { logLevel: 'error' });
}, 120_000);
afterAll(async () => {
  proc?.child.kill('SIGTERM');
  await proc?.exited;
  await rm(dataDir, { recursive: true, force: true });
});

/** Sends raw bytes and collects whatever comes back until the server closes or 5 s pass. */
function exchange(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const finish = () => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(finish, 3000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      finish();
    });
    socket.write(bytes, () => socket.end());
  });
}

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);

const get = (target: string, headers = '') => `GET ${target} HTTP/1.1\r\nhost: localhost\r\n${headers}\r\n`;

const HOSTILE: [string, string | Buffer][] = [
  ['GET //', get('//')],
  ['GET /\\', get('/\\')],
  ['GET //artifacts/x', get('//artifacts/x')],
  ['GET /artifacts//', get('/artifacts//')],
  ['GET /artifacts/%', get('/artifacts/%')],
  ['GET /artifacts/%E0%A4%A', get('/artifacts/%E0%A4%A')],
  ['GET \\\\evil', get('\\\\evil')],
  ['GET *', get('*')],
  ['OPTIONS *', 'OPTIONS * HTTP/1.1\r\nhost: localhost\r\n\r\n'],
  ['absolute-form target', get('http://[::1/graphql')],
  ['GET //graphql?query={__typename}', get('//graphql?query={__typename}')],
  ['garbage request line', 'HELLO\r\n\r\n'],
  ['binary junk', Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10])],
  ['header without colon', get('/graphql', 'broken header line\r\n')],
  ['NUL in header value', get('/graphql', 'x-runledger-user: a\u0000b\r\n')],
  ['huge header', get('/graphql', `x-big: ${'a'.repeat(100_000)}\r\n`)],
  ['bad authorization', get('/graphql?query={viewer{name}}', 'authorization: Bearer \u00ff\u00fe\r\n')],
  ['bad content-length', 'POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: abc\r\n\r\n{}'],
  ['two content-lengths', 'POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}'],
  ['short body', 'POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"query"'],
  ['invalid JSON body', 'POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 9\r\n\r\n{"query":'],
  [
    'bad chunked body',
    'POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
  ],
  ['PUT artifact without token, bad chunks', 'PUT /artifacts/runs/UnVuOjE= HTTP/1.1\r\nhost: localhost\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab'],
  ['multipart without boundary', 'POST /graphql HTTP/1.1\r\nhost: localhost\r\ncontent-type: multipart/form-data\r\ncontent-length: 4\r\n\r\nabcd'],
  ['websocket upgrade to //', get('//', 'connection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: x\r\n')],
  ['websocket upgrade with a bad key', get('/graphql', 'connection: upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: !!\r\n')],
];

describe('malformed requests over a raw socket', () => {
  it.each(HOSTILE)('%s: answered without a crash, and the server still serves', async (_name, bytes) => {
    const response = await exchange(proc.port, bytes);
    const status = statusOf(response);
    // An answer is optional (the server may just close), but a 5xx means a handler failed.
    if (status) expect(status, response.slice(0, 500)).toBeLessThan(500);
    expect(proc.child.exitCode).toBeNull();
    const health = await fetch(`${proc.url}/healthz`);
    expect(health.status).toBe(200);
    expect(proc.output()).not.toMatch(/"level":"error"/);
  });

  it('GET // and GET /\\ answer like any unknown path', async () => {
    for (const target of ['//', '/\\']) {
      const response = await exchange(proc.port, get(target));
      expect(statusOf(response), response.slice(0, 300)).toBeGreaterThanOrEqual(400);
      expect(statusOf(response)).toBeLessThan(500);
    }
  });
});

describe('a handler that fails', () => {
  it('ends only its own request: 500 with a request id, logged with the same id', async () => {
    const lines: string[] = [];
    const log = createLogger('error', {}, (line) => lines.push(line));
    const handler = guardRequests(async (req, res) => {
      await new Promise((r) => setTimeout(r, 5));
      if (req.url === '/async') throw new Error('rejected later');
      if (req.url === '/midway') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
        throw new Error('failed mid-response');
      }
      res.end('ok');
    }, log);
    // The sync case must throw before the handler's first await, like a bad `new URL`.
    const server = http.createServer((req, res) => {
      if (req.url === '/sync')
        return guardRequests(() => {
          throw new Error('thrown synchronously');
        }, log)(req, res);
      return handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      for (const target of ['/sync', '/async']) {
        const res = await fetch(`${base}${target}`);
        expect(res.status).toBe(500);
        const requestId = res.headers.get('x-request-id');
        expect(requestId).toMatch(/^[0-9a-f]{16}$/);
        const body = (await res.json()) as { errors: { message: string; extensions: { code: string; requestId: string } }[] };
        expect(body.errors[0]!.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId });
        expect(lines.some((l) => l.includes(requestId!) && l.includes('request failed'))).toBe(true);
      }
      // Headers already sent: the response is cut, not corrupted, and the server goes on.
      await expect(fetch(`${base}/midway`).then((r) => r.text())).rejects.toThrow();
      expect(await (await fetch(`${base}/fine`)).text()).toBe('ok');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('starting on a busy port', () => {
  it('says which port is taken and which variable changes it', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'runledger-busy-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), RUNLEDGER_DATA_DIR: dir, LOG_LEVEL: 'warn' };
      delete env.DATABASE_URL;
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(1);
      expect(stderr).toContain(`Port ${port}`);
      expect(stderr).toContain('PORT');
      expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      blocker.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
