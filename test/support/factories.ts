// Factories: each test makes its own project and runs, so files can share one database.
import { CreateProjectDocument, LogBatchDocument, type MetricPointInput, type StartRunInput, StartRunDocument } from '../generated/graphql.js';
import type { GraphQLClient } from './client.js';
import { uniqueName } from './server.js';

export async function newProject(client: GraphQLClient, prefix = 'proj'): Promise<string> {
  const name = uniqueName(prefix);
  await client.data(CreateProjectDocument, { input: { name } });
  return name;
}

export async function newRun(client: GraphQLClient, project: string, input: Partial<StartRunInput> = {}) {
  const { startRun } = await client.data(StartRunDocument, { input: { project, ...input } });
  return startRun.run;
}

export async function logPoints(
  client: GraphQLClient,
  runId: string,
  metrics: MetricPointInput[],
  extra: { params?: { key: string; value: string }[]; tags?: { key: string; value: string }[] } = {},
) {
  return (await client.data(LogBatchDocument, { input: { runId, metrics, ...extra } })).logBatch;
}

/** A run with params, tags and metrics, as a search test needs them. */
export async function seededRun(
  client: GraphQLClient,
  project: string,
  spec: { name: string; params?: Record<string, string>; tags?: Record<string, string>; metrics?: Record<string, number | string>; user?: string },
) {
  const run = await newRun(client, project, { name: spec.name, user: spec.user ?? null });
  const kv = (o?: Record<string, string>) => Object.entries(o ?? {}).map(([key, value]) => ({ key, value }));
  await logPoints(
    client,
    run.id,
    Object.entries(spec.metrics ?? {}).map(([key, value]) => ({ key, value, step: 1 })),
    { params: kv(spec.params), tags: kv(spec.tags) },
  );
  return run;
}
