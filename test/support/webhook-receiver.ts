// A real HTTP receiver on loopback for the webhook tests: it records every POST and answers as
// told: 204, 500, or not in time (it holds the answer past the sender's timeout).
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceiverMode = 'ok' | 'fail' | 'timeout';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  json: { id: string; type: string; createdAt: string; project: string | null; data: Record<string, unknown> } & Record<string, unknown>;
  /** True when the receiver answered 2xx to a sender still waiting: the sender knows it was delivered. */
  acknowledged: boolean;
}

export interface Receiver {
  url: string;
  mode: ReceiverMode;
  received: Received[];
  close(): Promise<void>;
  /** Waits until `predicate` holds of what was received (polling), or fails after `timeoutMs`. */
  until(predicate: (received: Received[]) => boolean, timeoutMs?: number): Promise<void>;
}

export async function startReceiver(holdMs = 1500): Promise<Receiver> {
  const received: Received[] = [];
  const state = { mode: 'ok' as ReceiverMode };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const entry: Received = { headers: req.headers, body, json: JSON.parse(body), acknowledged: false };
      received.push(entry);
      const mode = state.mode;
      if (mode === 'fail') {
        res.writeHead(500).end('broken');
      } else if (mode === 'timeout') {
        setTimeout(() => {
          if (!res.destroyed && !req.socket.destroyed) res.writeHead(200).end('late');
        }, holdMs);
      } else {
        res.writeHead(204).end();
        entry.acknowledged = true;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    get mode() {
      return state.mode;
    },
    set mode(mode: ReceiverMode) {
      state.mode = mode;
    },
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    async until(predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline)
          throw new Error(`receiver: condition not met in ${timeoutMs} ms; got ${received.length} posts: ${received.map((r) => r.json.type).join(', ')}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

/** Checks a runledger signature as a receiver would: HMAC-SHA256 over "<timestamp>.<body>". */
export function verifies(secret: string, received: Received): boolean {
  const timestamp = String(received.headers['x-runledger-timestamp']);
  const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${received.body}`).digest('hex')}`;
  return received.headers['x-runledger-signature'] === expected;
}
