// A governed project for the governance tests, made through the public API: its admin, an editor
// who asks for promotions, approvers in two groups, a viewer in none, and an outsider; a model
// with versions from runs that pass or fail the promotion rules.
import {
  CreateModelVersionDocument,
  GrantProjectRoleDocument,
  LogBatchDocument,
  LogInputsDocument,
  RegisterDatasetVersionDocument,
  StartRunDocument,
} from '../generated/graphql.js';
import { putArtifact, sha256 } from './artifacts.js';
import type { GraphQLClient } from './client.js';
import { newProject } from './factories.js';
import { type TestServer, uniqueName } from './server.js';
import { tokenFor } from './users.js';

export interface Person {
  name: string;
  secret: string;
  client: GraphQLClient;
}

export async function person(server: TestServer, prefix: string, admin = false): Promise<Person> {
  const name = uniqueName(prefix);
  const secret = await tokenFor(server, name, admin);
  return { name, secret, client: server.withToken(secret) };
}

export interface Governed {
  project: string;
  model: string;
  owner: Person;
  requester: Person;
  leads: [Person, Person];
  productOwner: Person;
  viewer: Person;
  outsider: Person;
}

/** What a run records, so it passes or fails the promotion rules. */
export interface RunSpec {
  metrics?: Record<string, number>;
  tags?: Record<string, string>;
  evalReport?: boolean;
  clean?: boolean;
  /** A dataset input with a content digest. */
  data?: boolean;
}

export async function governedProject(server: TestServer): Promise<Governed> {
  const people = await Promise.all(['owner', 'req', 'lead', 'lead', 'po', 'viewer', 'outsider'].map((p) => person(server, p)));
  const [owner, requester, lead1, lead2, productOwner, viewer, outsider] = people as [Person, Person, Person, Person, Person, Person, Person];
  const project = await newProject(owner.client, 'gov');
  const grant = (user: Person, role: 'VIEWER' | 'EDITOR' | 'ADMIN') =>
    owner.client.data(GrantProjectRoleDocument, { input: { project, user: user.name, role } });
  await grant(requester, 'EDITOR');
  await grant(lead1, 'EDITOR');
  await grant(lead2, 'VIEWER');
  await grant(productOwner, 'VIEWER');
  await grant(viewer, 'VIEWER');
  return { project, model: uniqueName('gov-model'), owner, requester, leads: [lead1, lead2], productOwner, viewer, outsider };
}

/** A run recording what `spec` says, with a MODEL artifact registered as the model's next version; returns the version number. */
export async function versionFrom(server: TestServer, who: Person, project: string, model: string, spec: RunSpec = {}): Promise<number> {
  const { startRun } = await who.client.data(StartRunDocument, {
    input: {
      project,
      codeVersion:
        spec.clean === undefined ? null : { repository: 'https://git.example/churn', commit: sha256(uniqueName('c')).slice(0, 40), dirty: !spec.clean },
    },
  });
  const run = startRun.run;
  const kv = (o: Record<string, string> = {}) => Object.entries(o).map(([key, value]) => ({ key, value }));
  await who.client.data(LogBatchDocument, {
    input: { runId: run.id, metrics: Object.entries(spec.metrics ?? {}).map(([key, value]) => ({ key, value, step: 1 })), tags: kv(spec.tags) },
  });
  const auth = { authorization: `Bearer ${who.secret}` };
  if (spec.evalReport) await putArtifact(server.url, run.id, `<html>eval ${Math.random()}</html>`, { name: 'eval.html', kind: 'EVAL_REPORT' }, auth);
  if (spec.data) {
    const dataset = uniqueName('gov-data');
    const { registerDatasetVersion } = await who.client.data(RegisterDatasetVersionDocument, {
      input: { dataset, project, version: 'v1', digest: sha256(dataset) },
    });
    await who.client.data(LogInputsDocument, {
      input: { runId: run.id, datasets: [{ datasetVersionId: registerDatasetVersion.datasetVersion.id, role: 'train' }] },
    });
  }
  const upload = await putArtifact(server.url, run.id, `weights ${Math.random()}`, { name: 'model/weights.pt', kind: 'MODEL' }, auth);
  if (!upload.body.artifact) throw new Error(`upload failed: ${JSON.stringify(upload.body)}`);
  const { createModelVersion } = await who.client.data(CreateModelVersionDocument, { input: { model, project, artifactId: upload.body.artifact.id } });
  return createModelVersion.modelVersion.version;
}
