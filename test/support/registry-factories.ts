// Factories for datasets, artifacts and model versions, over the real API.
import { CreateModelVersionDocument, RegisterDatasetVersionDocument, type RegisterDatasetVersionInput } from '../generated/graphql.js';
import { putArtifact, sha256 } from './artifacts.js';
import type { GraphQLClient } from './client.js';
import type { TestServer } from './server.js';

export async function newDatasetVersion(client: GraphQLClient, input: Partial<RegisterDatasetVersionInput> & { dataset: string; version: string }) {
  const digest = input.digest ?? sha256(`${input.dataset}/${input.version}/${Math.random()}`);
  const { registerDatasetVersion } = await client.data(RegisterDatasetVersionDocument, { input: { ...input, digest } });
  return registerDatasetVersion.datasetVersion;
}

/** Uploads bytes as an artifact of a run through the streaming route. */
export async function newArtifact(
  server: TestServer,
  runId: string,
  name: string,
  kind: string,
  content = `${name} ${Math.random()}`,
  mediaType?: string,
  headers: Record<string, string> = {},
) {
  const res = await putArtifact(server.url, runId, content, { name, kind }, { ...headers, ...(mediaType ? { 'content-type': mediaType } : {}) });
  if (res.status >= 300 || !res.body.artifact) throw new Error(`upload failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.artifact;
}

/** A MODEL artifact of the run, registered as the next version of `model`. */
export async function newModelVersion(server: TestServer, client: GraphQLClient, model: string, runId: string) {
  // As the client's caller (its token, when it has one).
  const artifact = await newArtifact(server, runId, 'model/weights.pt', 'MODEL', undefined, undefined, client.headers);
  const { createModelVersion } = await client.data(CreateModelVersionDocument, { input: { model, artifactId: artifact.id } });
  return createModelVersion.modelVersion;
}
