// One webhook POST: the body and headers of each format (runledger's envelope signed with
// HMAC-SHA256 over "<timestamp>.<body>"; MLflow 3's payload and X-MLflow-* headers signed as MLflow
// signs), sent with a time limit, reading at most a little of the answer.
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { guardedLookup } from './targets.js';

export type WebhookFormat = 'RUNLEDGER' | 'MLFLOW';

export interface OutgoingEvent {
  eventId: string;
  type: string;
  mlflowType: string | null;
  project: string | null;
  data: unknown;
  mlflowData: unknown;
  createdAt: Date;
}

export interface Attempt {
  ok: boolean;
  status: number | null;
  error: string | null;
  /** The start of the receiver's answer (for a test call). */
  body: string;
}

const BODY_SNIPPET = 4096;

export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** runledger's signature header value: "sha256=" and the hex HMAC-SHA256 of "<timestamp>.<body>". */
export function signRunledger(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** MLflow's: "v1," and the base64 HMAC-SHA256 of "<delivery id>.<timestamp>.<body>". */
export function signMlflow(secret: string, deliveryId: string, timestamp: string, body: string): string {
  return `v1,${createHmac('sha256', secret).update(`${deliveryId}.${timestamp}.${body}`).digest('base64')}`;
}

/** The request a delivery makes, for either format. */
export function encode(format: WebhookFormat, secret: string | null, event: OutgoingEvent, deliveryId: string, now = new Date()) {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  if (format === 'MLFLOW') {
    const [entity, action] = (event.mlflowType ?? '.').split('.');
    const body = JSON.stringify({ entity, action, timestamp: now.toISOString(), data: event.mlflowData });
    // MLflow names a delivery; runledger's delivery id is the event id, so a retry can be recognised.
    const headers: Record<string, string> = { 'x-mlflow-delivery-id': event.eventId, 'x-mlflow-timestamp': timestamp };
    if (secret) headers['x-mlflow-signature'] = signMlflow(secret, event.eventId, timestamp, body);
    return { body, headers };
  }
  const body = JSON.stringify({ id: event.eventId, type: event.type, createdAt: event.createdAt.toISOString(), project: event.project, data: event.data });
  const headers: Record<string, string> = {
    'x-runledger-event': event.type,
    'x-runledger-event-id': event.eventId,
    'x-runledger-delivery': deliveryId,
    'x-runledger-timestamp': timestamp,
  };
  if (secret) headers['x-runledger-signature'] = signRunledger(secret, timestamp, body);
  return { body, headers };
}

/** Posts a JSON body; ok on a 2xx answer within `timeoutMs`. Never throws. */
export function post(url: string, body: string, headers: Record<string, string>, options: { timeoutMs: number; allowPrivate: boolean }): Promise<Attempt> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (attempt: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(attempt);
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return done({ ok: false, status: null, error: 'not a URL', body: '' });
    }
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'runledger-webhooks/1', ...headers },
        lookup: guardedLookup(options.allowPrivate) as never,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < BODY_SNIPPET) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8').slice(0, BODY_SNIPPET);
          done({ ok: status >= 200 && status < 300, status, error: status >= 200 && status < 300 ? null : `HTTP ${status}`, body: text });
        });
        res.on('error', (error) => done({ ok: false, status: res.statusCode ?? null, error: error.message, body: '' }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      done({ ok: false, status: null, error: `no answer within ${options.timeoutMs} ms`, body: '' });
    }, options.timeoutMs);
    req.on('error', (error) => done({ ok: false, status: null, error: error.message, body: '' }));
    req.end(body);
  });
}
