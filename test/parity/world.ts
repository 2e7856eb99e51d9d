// The world the parity matrix runs in: a server that requires tokens; project A (ana is ADMIN,
// vic is VIEWER) and project B (bob is ADMIN); an outsider with no role anywhere; in A a run with
// metrics, an MLflow model directory, a registered model whose versions come from A's run, B's
// run, and a run trained on quarantined data. Everything is made through the public API.
import { putArtifact, sha256 } from '../support/artifacts.js';
import { newRunId, postEvent, runEvent } from '../support/openlineage.js';
import type { GraphQLClient } from '../support/client.js';
import { type TestServer, uniqueName } from '../support/server.js';
import { tokenFor } from '../support/users.js';
import type { Caller } from './doors.js';

export interface RunRef {
  id: string;
  mlflowRunId: string;
}

export interface World {
  url: string;
  admin: Caller;
  ana: Caller;
  vic: Caller;
  bob: Caller;
  outsider: Caller;
  /** A VIEWER of A in its approver group ml-lead, which must approve moves of A's protected alias production. */
  lee: Caller;
  projectA: { name: string; experimentId: string };
  projectB: { name: string; experimentId: string };
  runA: RunRef;
  runB: RunRef;
  runQ: RunRef;
  /** An artifact of runA (bytes downloadable by A's members). */
  artifactA: string;
  /** A resumable upload session of runA opened by ana, with no bytes yet (of the file `sessionFile`). */
  uploadSessionA: string;
  sessionFile: string;
  /** A logged model (MLflow 3) of runA, with its MLmodel file. */
  loggedModel: string;
  /** A model of project A: v1 from runA, v2 from runB (project B), v3 from runQ (quarantined input). */
  model: string;
  dataset: { name: string; version: string; id: string };
  /** One of the admin's API tokens, which nobody else may see or revoke. */
  adminTokenId: string;
  /** The commit runA ran, and an OpenLineage run of project A. */
  commit: { repository: string; sha: string };
  pipelineRunUuid: string;
  /** A pending promotion request of the model's production (protected) back to v1, filed by ana. */
  promotionRequest: number;
  /** A webhook of project A (ana's), one of its deliveries, and a registry-wide MLflow webhook (the admin's). */
  webhookId: string;
  webhookDeliveryId: string;
  mlflowWebhookId: string;
  /** A retention plan (dry run) of project A, made by ana. */
  retentionPlanId: string;
  /** The job of that run (namespace = project A's name), and the dataset it writes, with column lineage. */
  job: { namespace: string; name: string };
  olDataset: { namespace: string; name: string };
}

const q =
  (client: GraphQLClient) =>
  async (query: string, variables: Record<string, unknown> = {}) =>
    client.data<Record<string, any>, Record<string, unknown>>(query, variables);

async function caller(server: TestServer, prefix: string, admin = false): Promise<Caller> {
  const name = uniqueName(prefix);
  return { name, secret: await tokenFor(server, name, admin) };
}

const client = (server: TestServer, c: Caller) => server.withToken(c.secret);

async function startRun(server: TestServer, c: Caller, project: string, codeVersion?: { repository: string; commit: string }): Promise<RunRef> {
  const data = await q(client(server, c))(
    'mutation($p: String!, $c: CodeVersionInput) { startRun(input: { project: $p, codeVersion: $c }) { run { id mlflowRunId } } }',
    { p: project, c: codeVersion ?? null },
  );
  return data.startRun.run;
}

/** An MLflow model directory (its MLmodel file) as a MODEL artifact of a run; returns the artifact id. */
async function modelFile(server: TestServer, c: Caller, run: RunRef): Promise<string> {
  const res = await putArtifact(
    server.url,
    run.id,
    `artifact_path: model\nflavors: {}\nrun: ${run.mlflowRunId} ${Math.random()}\n`,
    { name: 'model/MLmodel', kind: 'MODEL' },
    { authorization: `Bearer ${c.secret}` },
  );
  if (!res.body.artifact) throw new Error(`upload failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.artifact.id;
}

export async function buildWorld(server: TestServer): Promise<World> {
  const [admin, ana, vic, bob, outsider] = [
    await caller(server, 'admin', true),
    await caller(server, 'ana'),
    await caller(server, 'vic'),
    await caller(server, 'bob'),
    await caller(server, 'out'),
  ];
  const lee = await caller(server, 'lee');
  const asAna = q(client(server, ana));
  const asBob = q(client(server, bob));
  const asAdmin = q(client(server, admin));
  const create = 'mutation($n: String!) { createProject(input: { name: $n }) { project { name mlflowExperimentId } } }';
  const projectA = (await asAna(create, { n: uniqueName('parity-a') })).createProject.project;
  const projectB = (await asBob(create, { n: uniqueName('parity-b') })).createProject.project;
  for (const viewer of [vic, lee]) {
    await asAna('mutation($p: String!, $u: String!) { grantProjectRole(input: { project: $p, user: $u, role: VIEWER }) { role } }', {
      p: projectA.name,
      u: viewer.name,
    });
  }

  const commit = { repository: `https://git.example/${uniqueName('repo')}`, sha: sha256(uniqueName('commit')).slice(0, 40) };
  const runA = await startRun(server, ana, projectA.name, { repository: commit.repository, commit: commit.sha });
  const runB = await startRun(server, bob, projectB.name);
  const runQ = await startRun(server, ana, projectA.name);
  await asAna(
    'mutation($r: ID!) { logBatch(input: { runId: $r, metrics: [{ key: "loss", value: 0.5, step: 1 }], params: [{ key: "lr", value: "0.1" }] }) { pointsWritten } }',
    {
      r: runA.id,
    },
  );

  const dataset = { name: uniqueName('parity-ds'), version: 'v1', id: '' };
  dataset.id = (
    await asAna(
      'mutation($d: String!, $p: String!, $g: String!) { registerDatasetVersion(input: { dataset: $d, project: $p, version: "v1", digest: $g }) { datasetVersion { id } } }',
      { d: dataset.name, p: projectA.name, g: sha256(dataset.name) },
    )
  ).registerDatasetVersion.datasetVersion.id;
  await asAna('mutation($r: ID!, $v: ID!) { logInputs(input: { runId: $r, datasets: [{ datasetVersionId: $v, role: "train" }] }) { datasetInputsWritten } }', {
    r: runQ.id,
    v: dataset.id,
  });

  const model = uniqueName('parity-model');
  const register =
    'mutation($m: String!, $a: ID!, $p: String) { createModelVersion(input: { model: $m, artifactId: $a, project: $p }) { modelVersion { version } } }';
  const artifactA = await modelFile(server, ana, runA);
  await asAna(register, { m: model, a: artifactA, p: projectA.name });
  // v2 comes from B's run: only someone with a role in both projects can register it.
  await asAdmin(register, { m: model, a: await modelFile(server, bob, runB) });
  await asAna(register, { m: model, a: await modelFile(server, ana, runQ) });
  await asAna('mutation($v: ID!) { quarantineDatasetVersion(input: { id: $v, reason: "labels leaked" }) { created } }', { v: dataset.id });

  const sessionFile = 'parity session bytes';
  const opened = await fetch(`${server.url}/artifacts/runs/${encodeURIComponent(runA.id)}/uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ana.secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'session.bin', sizeBytes: sessionFile.length, sha256: sha256(sessionFile) }),
  });
  if (opened.status !== 201) throw new Error(`upload session refused: ${opened.status} ${await opened.text()}`);
  const uploadSessionA = ((await opened.json()) as { uploadId: string }).uploadId;

  const loggedModel = await mlflowLoggedModel(server, ana, projectA.mlflowExperimentId, runA);
  const governance = await governWorld(server, { asAna, asAdmin, admin, projectA: projectA.name, model, lee });
  const adminTokenId = (await asAdmin('query { apiTokens { id } }')).apiTokens[0].id;
  const pipelineRunUuid = newRunId();
  const job = { namespace: projectA.name, name: 'nightly' };
  const olDataset = { namespace: `parity://${uniqueName('warehouse')}`, name: uniqueName('parity_nightly_out') };
  const columnLineage = { fields: { id: { inputFields: [{ namespace: olDataset.namespace, name: 'src', field: 'id' }] } } };
  const started = await postEvent(
    server.url,
    runEvent({
      eventType: 'START',
      eventTime: new Date().toISOString(),
      runId: pipelineRunUuid,
      job,
      outputs: [{ ...olDataset, facets: { columnLineage } }],
    }),
    ana.secret,
  );
  if (started.status !== 201) throw new Error(`OpenLineage event refused: ${JSON.stringify(started.body)}`);
  return {
    url: server.url,
    adminTokenId,
    commit,
    pipelineRunUuid,
    job,
    olDataset,
    admin,
    ana,
    vic,
    bob,
    outsider,
    projectA: { name: projectA.name, experimentId: projectA.mlflowExperimentId },
    projectB: { name: projectB.name, experimentId: projectB.mlflowExperimentId },
    runA,
    runB,
    runQ,
    artifactA,
    uploadSessionA,
    sessionFile,
    loggedModel,
    model,
    dataset,
    lee,
    ...governance,
  };
}

/**
 * Project A's governance: production (at v3, moved there with an override) is protected by one
 * approval of ml-lead (lee), with a request back to v1 pending; a webhook of A (to a port nothing
 * listens on) with one delivery; and a registry-wide MLflow webhook.
 */
async function governWorld(
  server: TestServer,
  w: { asAna: ReturnType<typeof q>; asAdmin: ReturnType<typeof q>; admin: Caller; projectA: string; model: string; lee: Caller },
) {
  const { asAna, projectA, model } = w;
  await asAna('mutation($p: String!, $u: String!) { setApproverGroup(input: { project: $p, name: "ml-lead", members: [$u] }) { group { name } } }', {
    p: projectA,
    u: w.lee.name,
  });
  const move =
    'mutation($m: String!, $a: String!, $v: Int!, $o: AliasOverrideInput) { setModelAlias(input: { model: $m, alias: $a, version: $v, override: $o }) { changed } }';
  await asAna(move, { m: model, a: 'production', v: 1 });
  await asAna(move, { m: model, a: 'production', v: 3, o: { reason: 'parity world' } });
  await asAna(
    'mutation($p: String!) { protectAlias(input: { project: $p, alias: "production", requirements: [{ count: 1, groups: ["ml-lead"] }] }) { protectedAlias { alias } } }',
    {
      p: projectA,
    },
  );
  const requested = await asAna(
    'mutation($m: String!) { requestPromotion(input: { model: $m, version: 1, alias: "production", reason: "back to v1" }) { request { number } } }',
    { m: model },
  );
  const hook = await asAna(
    'mutation($p: String!) { createWebhook(input: { project: $p, url: "http://127.0.0.1:9/parity", events: ["alias.moved"] }) { webhook { id } } }',
    { p: projectA },
  );
  await asAna(move, { m: model, a: 'canary', v: 1 });
  const listed = await asAna('query($p: String!) { webhooks(project: $p) { deliveries(first: 1) { edges { node { id } } } } }', { p: projectA });
  const res = await fetch(`${server.url}/api/2.0/mlflow/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${w.admin.secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'parity', url: 'http://127.0.0.1:9/mlflow', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] }),
  });
  const mlflowHook = (await res.json()) as { webhook: { webhook_id: string } };
  const plan = await asAna('mutation($p: String!) { planRetention(input: { project: $p }) { id } }', { p: projectA });
  return {
    retentionPlanId: plan.planRetention.id as string,
    promotionRequest: requested.requestPromotion.request.number as number,
    webhookId: hook.createWebhook.webhook.id as string,
    webhookDeliveryId: listed.webhooks[0].deliveries.edges[0].node.id as string,
    mlflowWebhookId: mlflowHook.webhook.webhook_id,
  };
}

/** A logged model of a run through MLflow's REST door, with its MLmodel file uploaded where MLflow 3 clients put it. */
async function mlflowLoggedModel(server: TestServer, c: Caller, experimentId: string, run: RunRef): Promise<string> {
  const headers = { authorization: `Bearer ${c.secret}`, 'content-type': 'application/json' };
  const created = await fetch(`${server.url}/api/2.0/mlflow/logged-models`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ experiment_id: experimentId, name: 'model', source_run_id: run.mlflowRunId }),
  });
  const body = (await created.json()) as { model?: { info: { model_id: string } } };
  if (!body.model) throw new Error(`logged model refused: ${created.status} ${JSON.stringify(body)}`);
  const id = body.model.info.model_id;
  const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/models/${id}/artifacts/MLmodel`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${c.secret}` },
    body: 'flavors: {}\n',
  });
  if (put.status !== 200) throw new Error(`logged model file refused: ${put.status}`);
  return id;
}

/** The alias history of a model as the admin reads it: who moved what. */
export async function aliasHistory(server: TestServer, world: World): Promise<{ alias: string; who: string; to: number | null }[]> {
  const data = await q(client(server, world.admin))('query($m: String!) { registeredModel(name: $m) { history { alias who to { version } } } }', {
    m: world.model,
  });
  return data.registeredModel.history.map((e: { alias: string; who: string; to: { version: number } | null }) => ({
    alias: e.alias,
    who: e.who,
    to: e.to?.version ?? null,
  }));
}

/** Audit events of an actor, newest first, as the admin reads them. */
export async function auditOf(server: TestServer, world: World, actor: string): Promise<{ operation: string; outcome: string }[]> {
  const data = await q(client(server, world.admin))(
    'query($a: String!) { auditEvents(first: 100, filter: { actor: $a }) { edges { node { operation outcome } } } }',
    {
      a: actor,
    },
  );
  return data.auditEvents.edges.map((e: { node: { operation: string; outcome: string } }) => e.node);
}
