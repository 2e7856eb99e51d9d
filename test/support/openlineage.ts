// OpenLineage events as integrations send them (spec 2-0-2), and a poster for POST /api/v1/lineage.
import { randomUUID } from 'node:crypto';

export const SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent';

export interface DatasetSpec {
  namespace: string;
  name: string;
  version?: string;
  facets?: Record<string, unknown>;
}

function dataset(d: DatasetSpec) {
  const facets: Record<string, unknown> = { ...(d.facets ?? {}) };
  if (d.version)
    facets.version = { _producer: 'test', _schemaURL: 'https://openlineage.io/spec/facets/1-0-0/DatasetVersionDatasetFacet.json', datasetVersion: d.version };
  return { namespace: d.namespace, name: d.name, facets };
}

export function runEvent(spec: {
  eventType: string;
  eventTime: string;
  runId: string;
  job: { namespace: string; name: string; facets?: Record<string, unknown> };
  runFacets?: Record<string, unknown>;
  inputs?: DatasetSpec[];
  outputs?: DatasetSpec[];
}) {
  return {
    eventType: spec.eventType,
    eventTime: spec.eventTime,
    producer: 'https://github.com/runledger/tests',
    schemaURL: SCHEMA_URL,
    run: { runId: spec.runId, facets: spec.runFacets ?? {} },
    job: { namespace: spec.job.namespace, name: spec.job.name, facets: spec.job.facets ?? {} },
    inputs: (spec.inputs ?? []).map(dataset),
    outputs: (spec.outputs ?? []).map(dataset),
  };
}

export const newRunId = () => randomUUID();

export async function postEvent(url: string, body: unknown, token?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/v1/lineage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
