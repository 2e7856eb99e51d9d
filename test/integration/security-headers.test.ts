// What every response carries (request id, nosniff, a content security policy, no framing),
// the policies of the two pages (/ and GraphiQL at /graphql), and what happens to a
// keep-alive connection when a body is refused for its size: answered 400, then closed, so the
// next request on it can neither hang nor be read from the refused body's bytes.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { testConfig, useServer } from '../support/server.js';

const LIMIT = 4096;
const server = useServer(() => testConfig({ RUNLEDGER_MAX_BODY_BYTES: String(LIMIT) }));

describe('security headers', () => {
  it('are on every door’s responses, refusals included, each with a request id', async () => {
    const { url } = server();
    const requests: [string, RequestInit][] = [
      ['/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }],
      ['/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ nope }"}' }],
      ['/api/2.0/mlflow/experiments/search', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
      ['/api/2.0/mlflow/experiments/get?experiment_id=424242', {}],
      ['/api/v1/lineage', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
      ['/artifacts/nope', {}],
      ['/healthz', {}],
      ['/assets/missing.js', {}],
    ];
    for (const [path, init] of requests) {
      const res = await fetch(`${url}${path}`, init);
      await res.arrayBuffer();
      const h = res.headers;
      expect(h.get('x-request-id'), path).toMatch(/^[0-9a-f]{16}$/);
      expect(h.get('x-content-type-options'), path).toBe('nosniff');
      expect(h.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      expect(h.get('x-frame-options'), path).toBe('DENY');
    }
  });

  it('give the dashboard its own files only, and GraphiQL its inline scripts by hash', async () => {
    const { url } = server();
    const page = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
    await page.text();
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'.*script-src 'self';.*frame-ancestors 'none'/);
    const graphiql = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
    const html = await graphiql.text();
    const policy = graphiql.headers.get('content-security-policy') ?? '';
    expect(html).toContain('YogaGraphiQL');
    expect(policy).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(policy).not.toMatch(/script-src[^;]*unsafe-(inline|eval)/);
    expect(policy).toContain("frame-ancestors 'none'");
    // The same policy on a second visit (the page is rendered once).
    const again = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
    await again.text();
    expect(again.headers.get('content-security-policy')).toBe(policy);
  });
});

/** Opens a keep-alive socket, sends `first`, then `second` once the first answer arrived; returns what came back. */
function twoRequests(port: number, first: (socket: net.Socket) => void, second: string): Promise<{ text: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let sentSecond = false;
    const done = (closedByServer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closedByServer });
    };
    // Only a hang reaches this: the server neither answered the second request nor closed.
    const timer = setTimeout(() => done(false), 15_000);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!sentSecond && /\r\n\r\n[\s\S]*\}/.test(text)) {
        sentSecond = true;
        socket.write(second, () => {});
      }
      if (text.split('HTTP/1.1 ').length > 2) done(false);
    });
    socket.on('error', () => {});
    socket.on('close', () => done(true));
    socket.on('connect', () => first(socket));
  });
}

describe('an MLflow body over the size limit on a keep-alive connection', () => {
  const port = () => Number(new URL(server().url).port);
  const next = 'GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n';

  it('answers 400 naming the limit, then closes the connection (declared length)', async () => {
    const body = JSON.stringify({ name: 'x'.repeat(LIMIT * 4) });
    const { text, closedByServer } = await twoRequests(
      port(),
      (socket) =>
        socket.write(
          `POST /api/2.0/mlflow/experiments/create HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: keep-alive\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        ),
      next,
    );
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
    expect(text).toContain('INVALID_PARAMETER_VALUE');
    expect(text).toContain(`${LIMIT}-byte limit`);
    expect(closedByServer).toBe(true);
  });

  it('does the same for a chunked body that grows past the limit', async () => {
    const chunk = 'x'.repeat(1024);
    const { text, closedByServer } = await twoRequests(
      port(),
      (socket) => {
        socket.write('POST /api/2.0/mlflow/runs/log-batch HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n');
        for (let i = 0; i < 8; i += 1) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
        socket.write('0\r\n\r\n');
      },
      next,
    );
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toMatch(/\r\nconnection: close\r\n/i);
    expect(closedByServer).toBe(true);
  });
});
