// Drives one operation through each front door as a given caller and reads the answer back
// into the core's error taxonomy, using each door's own mapping (src/http/mlflow/errors.ts,
// src/http/respond.ts, GraphQL extensions). A matrix row then asserts one outcome for all doors.
import { parse } from 'graphql';
import type { ErrorCode } from '../../src/errors.js';
import { BY_DOMAIN_CODE } from '../../src/http/mlflow/errors.js';
import { STATUS } from '../../src/http/respond.js';
import { putArtifact } from '../support/artifacts.js';
import { GraphQLClient } from '../support/client.js';
import { subscribeSse } from '../support/live.js';
import { postEvent } from '../support/openlineage.js';

/** What a door answered, in the core's terms: success, or the taxonomy code of the refusal. */
export type Outcome = 'OK' | ErrorCode | 'UNAVAILABLE';

/** An answer a door gave that fits none of its protocol's shapes for a code: the door is wrong. */
export class UnmappedAnswer extends Error {}

export interface Caller {
  name: string;
  secret: string;
}

const bearer = (caller: Caller) => ({ authorization: `Bearer ${caller.secret}` });

/**
 * GraphQL: the error's extensions.code; a read that answers null for a node (or a list of nulls,
 * `nodes`) counts as NOT_FOUND, which is how GraphQL hides one.
 */
export async function graphql(url: string, caller: Caller, query: string, variables: Record<string, unknown> = {}, nullIsNotFound?: string): Promise<Outcome> {
  const result = await new GraphQLClient(`${url}/graphql`, bearer(caller)).request<Record<string, unknown>, Record<string, unknown>>(query, variables);
  const code = result.errors?.[0]?.extensions?.code;
  if (code) return code as Outcome;
  const value = nullIsNotFound ? result.data?.[nullIsNotFound] : undefined;
  if (nullIsNotFound && (value == null || (Array.isArray(value) && value.every((v) => v == null)))) return 'NOT_FOUND';
  return 'OK';
}

/** GraphQL multipart upload (the GraphQL multipart request spec, as uploadArtifact takes it). */
export async function graphqlUpload(url: string, caller: Caller, runId: string, content: string): Promise<Outcome> {
  const form = new FormData();
  form.set(
    'operations',
    JSON.stringify({
      query: 'mutation($r: ID!, $f: File!) { uploadArtifact(input: { runId: $r, file: $f }) { created } }',
      variables: { r: runId, f: null },
    }),
  );
  form.set('map', JSON.stringify({ 0: ['variables.f'] }));
  form.set('0', new Blob([content], { type: 'text/plain' }), 'upload.txt');
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { ...bearer(caller), 'x-graphql-yoga-csrf': '1' }, body: form });
  const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
  return (body.errors?.[0]?.extensions?.code as Outcome | undefined) ?? 'OK';
}

/** The domain code whose MLflow mapping is this answer; several codes share one (see mlflowAgrees). */
function mlflowCodes(status: number, errorCode: string): ErrorCode[] {
  return (Object.entries(BY_DOMAIN_CODE) as [ErrorCode, { errorCode: string; status: number }][])
    .filter(([, m]) => m.status === status && m.errorCode === errorCode)
    .map(([code]) => code);
}

/**
 * MLflow REST (`path` below /api/2.0, e.g. /mlflow/runs/get): 200 is OK; otherwise `{error_code}`
 * and the status, mapped back through the door's own table. RESOURCE_ALREADY_EXISTS is how
 * MLflow says CONFLICT when a create meets a taken name (its creates are not idempotent).
 */
export async function mlflow(url: string, caller: Caller, method: string, path: string, body?: unknown): Promise<Outcome[]> {
  const query = method === 'GET' && body ? `?${new URLSearchParams(body as Record<string, string>)}` : '';
  // The MLflow UI's downloads (/get-artifact, /model-versions/get-artifact) sit at the server's root.
  const prefix = path.startsWith('/mlflow') ? '/api/2.0' : '';
  const res = await fetch(`${url}${prefix}${path}${query}`, {
    method,
    headers: { ...bearer(caller), ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
    body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
  });
  if (res.status === 200) return ['OK'];
  const json = (await res.json().catch(() => ({}))) as { error_code?: string };
  if (res.status === 400 && json.error_code === 'RESOURCE_ALREADY_EXISTS') return ['CONFLICT'];
  const codes = mlflowCodes(res.status, json.error_code ?? '');
  if (!codes.length) throw new UnmappedAnswer(`MLflow ${method} ${path} answered ${res.status} ${JSON.stringify(json)}`);
  return codes;
}

/** The MLflow artifact proxy (PUT/GET bytes under /api/2.0/mlflow-artifacts). */
export async function mlflowArtifact(url: string, caller: Caller, method: 'GET' | 'PUT', path: string, body?: string): Promise<Outcome[]> {
  const res = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${path}`, { method, headers: bearer(caller), body });
  if (res.status === 200) return ['OK'];
  const json = (await res.json().catch(() => ({}))) as { error_code?: string };
  const codes = mlflowCodes(res.status, json.error_code ?? '');
  if (!codes.length) throw new UnmappedAnswer(`MLflow artifacts ${method} ${path} answered ${res.status} ${JSON.stringify(json)}`);
  return codes;
}

/** The JSON doors that answer in the core's own terms (OpenLineage, /artifacts): the body's code, at the status the edge maps it to. */
function jsonDoorOutcome(door: string, status: number, body: { errors?: { extensions?: { code?: string } }[] }): Outcome {
  if (status < 300) return 'OK';
  const code = body.errors?.[0]?.extensions?.code as ErrorCode | undefined;
  if (!code || STATUS[code] !== status) throw new UnmappedAnswer(`${door} answered ${status} ${JSON.stringify(body)}`);
  return code;
}

export async function openLineage(url: string, caller: Caller, event: unknown): Promise<Outcome> {
  const { status, body } = await postEvent(url, event, caller.secret);
  return jsonDoorOutcome('OpenLineage', status, body);
}

/**
 * Marquez's REST door (/api/v1 below, e.g. /namespaces/x/jobs): 200 is OK; otherwise Marquez's
 * `{code, message}` with the core's code beside it as `error`, at the status the edge maps it to.
 */
export async function marquez(url: string, caller: Caller, method: 'GET' | 'PUT', path: string, body?: unknown): Promise<Outcome> {
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { ...bearer(caller), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as { code?: number; error?: string };
  if (res.status === 200) return 'OK';
  const code = json.error as ErrorCode | undefined;
  if (!code || STATUS[code] !== res.status || json.code !== res.status)
    throw new UnmappedAnswer(`Marquez ${method} ${path} answered ${res.status} ${JSON.stringify(json)}`);
  return code;
}

export async function artifactPut(url: string, caller: Caller, runId: string, content: string, query: Record<string, string>): Promise<Outcome> {
  const { status, body } = await putArtifact(url, runId, content, query, bearer(caller));
  return jsonDoorOutcome('PUT /artifacts', status, body);
}

/** A resumable upload session route under /artifacts: `path` after /artifacts, a JSON body or bytes with an Upload-Offset. */
export async function uploadSession(
  url: string,
  caller: Caller,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: { json: unknown } | { bytes: string; offset: number },
): Promise<Outcome> {
  const headers: Record<string, string> = { ...bearer(caller) };
  let payload: string | undefined;
  if (body && 'json' in body) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body.json);
  } else if (body) {
    headers['upload-offset'] = String(body.offset);
    payload = body.bytes;
  }
  const res = await fetch(`${url}/artifacts${path}`, { method, headers, body: payload });
  return jsonDoorOutcome(`${method} /artifacts${path}`, res.status, (await res.json()) as never);
}

export async function artifactGet(url: string, caller: Caller, artifactId: string): Promise<Outcome> {
  const res = await fetch(`${url}/artifacts/${encodeURIComponent(artifactId)}`, { headers: bearer(caller) });
  if (res.status === 200) {
    await res.arrayBuffer();
    return 'OK';
  }
  return jsonDoorOutcome('GET /artifacts', res.status, (await res.json()) as never);
}

/** A subscription over server-sent events: the first event's error code, or OK once it is live. */
export async function sse(url: string, caller: Caller, query: string, variables: Record<string, unknown>): Promise<Outcome> {
  const stream = await subscribeSse(url, parse(query), variables, bearer(caller));
  try {
    if (stream.status !== 200) return jsonDoorOutcome('SSE', stream.status, {});
    const first = (await Promise.race([stream.next(), new Promise((resolve) => setTimeout(() => resolve('live'), 1500))])) as
      | { errors?: { extensions?: { code?: string } }[] }
      | 'live'
      | null;
    if (first === 'live' || first === null) return 'OK';
    return (first.errors?.[0]?.extensions?.code as Outcome | undefined) ?? 'OK';
  } finally {
    stream.close();
  }
}

/** Whether a door's answer is the expected core outcome under that door's protocol (MLflow folds several codes into one). */
export function agrees(expected: Outcome, got: Outcome | Outcome[]): boolean {
  return Array.isArray(got) ? got.includes(expected) : got === expected;
}

/** MLflow's GraphQL (its own operations on /graphql): a refused field answers MLflow's apiError, mapped like its REST answers. */
export async function mlflowGraphql(url: string, caller: Caller, query: string): Promise<Outcome[]> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { ...bearer(caller), 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { data?: Record<string, { apiError?: { code?: string } } | null>; errors?: unknown[] | null };
  if (res.status !== 200 || body.errors) throw new UnmappedAnswer(`MLflow GraphQL answered ${res.status} ${JSON.stringify(body)}`);
  const code = Object.values(body.data ?? {})[0]?.apiError?.code;
  if (!code) return ['OK'];
  const status = Object.values(BY_DOMAIN_CODE).find((m) => m.errorCode === code)?.status ?? 0;
  const codes = mlflowCodes(status, code);
  if (!codes.length) throw new UnmappedAnswer(`MLflow GraphQL apiError ${code}`);
  return codes;
}
