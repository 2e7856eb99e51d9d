// The MLflow front door's wire rules over real HTTP, without a Python client: success is 200
// with a JSON object, errors are {error_code, message} with MLflow's statuses, int64 may come as
// strings, NaN as a string, run_id or run_uuid, DELETE carries a JSON body, retries write once.
import { describe, expect, it } from 'vitest';
import { testConfig, uniqueName, useServer } from '../support/server.js';
import { signInUsers } from '../support/users.js';

const server = useServer();
const secured = useServer(() => testConfig({ RUNLEDGER_AUTH: 'on' }));

interface Reply {
  status: number;
  body: Record<string, any>;
}

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const api = (method: string, path: string, body?: unknown) => call(server().url, method, `/api/2.0/mlflow/${path}`, body);

async function newExperiment(): Promise<string> {
  const created = await api('POST', 'experiments/create', { name: uniqueName('mlflow') });
  expect(created.status).toBe(200);
  return created.body.experiment_id as string;
}

async function newRunId(experimentId: string): Promise<string> {
  const created = await api('POST', 'runs/create', { experiment_id: experimentId, start_time: Date.now(), run_name: uniqueName('run') });
  expect(created.status).toBe(200);
  return created.body.run.info.run_id as string;
}

describe('MLflow wire rules', () => {
  it('has the Default experiment 0, and answers an unknown route with 404 ENDPOINT_NOT_FOUND', async () => {
    const byName = await api('GET', 'experiments/get-by-name?experiment_name=Default');
    expect(byName).toMatchObject({ status: 200, body: { experiment: { experiment_id: '0', name: 'Default', artifact_location: 'mlflow-artifacts:/0' } } });
    const unknown = await api('POST', 'runs/no-such-thing', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error_code).toBe('ENDPOINT_NOT_FOUND');
    const wrongMethod = await api('GET', 'runs/create');
    expect(wrongMethod).toMatchObject({ status: 404, body: { error_code: 'ENDPOINT_NOT_FOUND' } });
    expect(wrongMethod.body.message).toContain('POST');
  });

  it('answers a taken experiment name with 400 RESOURCE_ALREADY_EXISTS and a missing one with 404 RESOURCE_DOES_NOT_EXIST', async () => {
    const name = uniqueName('taken');
    expect((await api('POST', 'experiments/create', { name })).status).toBe(200);
    expect(await api('POST', 'experiments/create', { name })).toMatchObject({ status: 400, body: { error_code: 'RESOURCE_ALREADY_EXISTS' } });
    expect(await api('GET', 'experiments/get?experiment_id=987654')).toMatchObject({ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST' } });
    expect(await api('GET', 'runs/get?run_id=not-a-run')).toMatchObject({ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST' } });
  });

  it('takes int64 as strings, NaN and Infinity as strings, and run_uuid for run_id', async () => {
    const runId = await newRunId(await newExperiment());
    const logged = await api('POST', 'runs/log-batch', {
      run_uuid: runId,
      metrics: [
        { key: 'loss', value: 'NaN', timestamp: '1700000000001', step: '9007199254740991' },
        { key: 'loss', value: '-Infinity', timestamp: 1700000000002, step: 2 },
      ],
      params: [{ key: 'lr', value: '0.1' }],
    });
    expect(logged).toEqual({ status: 200, body: {} });
    const history = await api('GET', `metrics/get-history?run_id=${runId}&metric_key=loss`);
    expect(history.body.metrics).toEqual([
      { key: 'loss', value: '-Infinity', timestamp: 1700000000002, step: 2 },
      { key: 'loss', value: 'NaN', timestamp: 1700000000001, step: 9007199254740991 },
    ]);
    const run = await api('GET', `runs/get?run_uuid=${runId}`);
    expect(run.body.run.info).toMatchObject({ run_id: runId, run_uuid: runId, status: 'RUNNING' });
    expect(run.body.run.data.params).toEqual([{ key: 'lr', value: '0.1' }]);
  });

  it('refuses bad input with 400 INVALID_PARAMETER_VALUE naming the field, and writes nothing of the batch', async () => {
    const runId = await newRunId(await newExperiment());
    const bad = await api('POST', 'runs/log-batch', {
      run_id: runId,
      metrics: [
        { key: 'ok', value: 1, timestamp: 1 },
        { key: 'loss', value: 'lots', timestamp: 2 },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(bad.body.message).toContain('metrics[1].value');
    const noTimestamp = await api('POST', 'runs/log-metric', { run_id: runId, key: 'loss', value: 1 });
    expect(noTimestamp.body.message).toContain("Missing value for required parameter 'timestamp'");
    const badStep = await api('POST', 'runs/log-metric', { run_id: runId, key: 'loss', value: 1, timestamp: 1, step: '1.5' });
    expect(badStep).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    const farFuture = await api('POST', 'runs/log-metric', { run_id: runId, key: 'loss', value: 1, timestamp: 9007199254740991 });
    expect(farFuture).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });
    const nested = await api('POST', 'runs/log-batch', { run_id: runId, metrics: [{ key: 'a', value: 1, timestamp: 1, step: 'x' }] });
    expect(nested.body.message).toContain('metrics[0].step');
    const malformed = await fetch(`${server().url}/api/2.0/mlflow/runs/log-batch`, { method: 'POST', body: '{not json' });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error_code: string }).error_code).toBe('MALFORMED_REQUEST');
    const changed = await api('POST', 'runs/log-parameter', { run_id: runId, key: 'p', value: 'a' });
    expect(changed.status).toBe(200);
    expect(await api('POST', 'runs/log-parameter', { run_id: runId, key: 'p', value: 'b' })).toMatchObject({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE' },
    });
    const run = await api('GET', `runs/get?run_id=${runId}`);
    expect(run.body.run.data.metrics).toEqual([]);
    expect(run.body.run.data.params).toEqual([{ key: 'p', value: 'a' }]);
  });

  it('writes a CreateRun retried with its Idempotency-Key, and a retried LogBatch, once; identical creates without a key are distinct runs', async () => {
    const experimentId = await newExperiment();
    const body = { experiment_id: experimentId, start_time: 1700000000000, run_name: 'retried', tags: [{ key: 'mlflow.user', value: 'ana' }] };
    const keyed = { 'content-type': 'application/json', 'idempotency-key': uniqueName('create') };
    const first = await call(server().url, 'POST', '/api/2.0/mlflow/runs/create', body, keyed);
    const again = await call(server().url, 'POST', '/api/2.0/mlflow/runs/create', body, keyed);
    expect(again.body.run.info.run_id).toBe(first.body.run.info.run_id);
    // What GridSearchCV's autolog sends: the same body for each child run, and no key.
    const [a, b] = await Promise.all([api('POST', 'runs/create', body), api('POST', 'runs/create', body)]);
    expect(new Set([a.body.run.info.run_id, b.body.run.info.run_id, first.body.run.info.run_id]).size).toBe(3);
    const runId = first.body.run.info.run_id as string;
    // The new run's answer (built from what was written) is the run as runs/get reads it back.
    expect(first.body.run).toEqual((await api('GET', `runs/get?run_id=${runId}`)).body.run);
    expect(first.body.run.data.tags).toEqual(
      expect.arrayContaining([
        { key: 'mlflow.runName', value: 'retried' },
        { key: 'mlflow.user', value: 'ana' },
      ]),
    );
    const batch = {
      run_id: runId,
      metrics: [{ key: 'm', value: 1, timestamp: 5, step: 0 }],
      params: [{ key: 'a', value: '1' }],
      tags: [{ key: 't', value: 'x' }],
    };
    await api('POST', 'runs/log-batch', batch);
    await api('POST', 'runs/log-batch', batch);
    expect((await api('GET', `metrics/get-history?run_id=${runId}&metric_key=m`)).body.metrics).toHaveLength(1);
    // The keyed run once, plus the two unkeyed ones.
    const search = await api('POST', 'runs/search', { experiment_ids: [experimentId] });
    expect(search.body.runs).toHaveLength(3);
  });

  it('takes DELETE with a JSON body (aliases) and maps tags, search and delete-tag', async () => {
    const experimentId = await newExperiment();
    const runId = await newRunId(experimentId);
    expect(await api('POST', 'runs/set-tag', { run_id: runId, key: 'mlflow.runName', value: 'renamed' })).toEqual({ status: 200, body: {} });
    expect((await api('GET', `runs/get?run_id=${runId}`)).body.run.info.run_name).toBe('renamed');
    expect((await api('POST', 'runs/delete-tag', { run_id: runId, key: 'mlflow.runName' })).status).toBe(200);
    expect(await api('POST', 'runs/delete-tag', { run_id: runId, key: 'mlflow.runName' })).toMatchObject({
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST' },
    });
    const filtered = await api('POST', 'runs/search', {
      experiment_ids: [experimentId],
      filter: "attributes.run_name = 'renamed' or params.x = '1'",
      order_by: ['start_time DESC'],
    });
    expect(filtered.body.runs.map((r: any) => r.info.run_id)).toEqual([runId]);
    const badFilter = await api('POST', 'runs/search', { experiment_ids: [experimentId], filter: 'metrics.loss <<< 1' });
    expect(badFilter).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE' } });

    const artifactUri = `${server().url}/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/model/MLmodel`;
    expect((await fetch(artifactUri, { method: 'PUT', body: 'flavors: {}\n' })).status).toBe(200);
    const name = uniqueName('model');
    // Without runledger.project nothing is written until the first version names the run.
    expect((await api('POST', 'registered-models/create', { name })).status).toBe(200);
    expect(await api('GET', `registered-models/get?name=${name}`)).toMatchObject({ status: 404, body: { error_code: 'RESOURCE_DOES_NOT_EXIST' } });
    const owned = uniqueName('owned');
    const project = (await api('GET', `experiments/get?experiment_id=${experimentId}`)).body.experiment.name as string;
    expect((await api('POST', 'registered-models/create', { name: owned, tags: [{ key: 'runledger.project', value: project }] })).status).toBe(200);
    expect(await api('POST', 'registered-models/create', { name: owned })).toMatchObject({ status: 400, body: { error_code: 'RESOURCE_ALREADY_EXISTS' } });
    const version = await api('POST', 'model-versions/create', { name, source: `runs:/${runId}/model`, run_id: runId });
    expect(version.body.model_version).toMatchObject({
      name,
      version: '1',
      run_id: runId,
      status: 'READY',
      // The source as the client named it, as MLflow's server keeps it.
      source: `runs:/${runId}/model`,
    });
    expect((await api('GET', `registered-models/get?name=${name}`)).body.registered_model.latest_versions[0].version).toBe('1');
    expect((await api('POST', 'registered-models/alias', { name, alias: 'production', version: '1' })).status).toBe(200);
    expect((await api('GET', `registered-models/alias?name=${name}&alias=production`)).body.model_version.aliases).toEqual(['production']);
    expect(await api('DELETE', 'registered-models/alias', { name, alias: 'production' })).toEqual({ status: 200, body: {} });
    expect(await api('GET', `registered-models/alias?name=${name}&alias=production`)).toMatchObject({
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST' },
    });
    const download = await fetch(artifactUri);
    expect(await download.text()).toBe('flavors: {}\n');
  });

  it('is served under /ajax-api too', async () => {
    const reply = await call(server().url, 'GET', '/ajax-api/2.0/mlflow/experiments/get?experiment_id=0');
    expect(reply.body.experiment.name).toBe('Default');
  });
});

describe('MLflow auth', () => {
  it('refuses without a token (401), resolves Bearer and Basic to one principal, and maps a viewer write to 403 PERMISSION_DENIED', async () => {
    const { admin, ana } = await signInUsers(secured());
    const base = secured().url;
    const noToken = await call(base, 'GET', '/api/2.0/mlflow/experiments/get?experiment_id=0');
    expect(noToken).toMatchObject({ status: 401, body: { error_code: 'UNAUTHENTICATED' } });
    const project = uniqueName('viewed');
    await admin.client.data(`mutation($i: CreateProjectInput!) { createProject(input: $i) { created } }`, { i: { name: project } });
    await admin.client.data(`mutation($i: GrantProjectRoleInput!) { grantProjectRole(input: $i) { __typename } }`, {
      i: { project, user: ana.name, role: 'VIEWER' },
    });
    const bearer = { authorization: `Bearer ${ana.secret}` };
    const basic = { authorization: `Basic ${Buffer.from(`whoever:${ana.secret}`).toString('base64')}` };
    const viaBearer = await call(base, 'GET', `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${project}`, undefined, bearer);
    const viaBasic = await call(base, 'GET', `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${project}`, undefined, basic);
    expect(viaBasic.body).toEqual(viaBearer.body);
    const experimentId = viaBearer.body.experiment.experiment_id as string;
    const refused = await call(base, 'POST', '/api/2.0/mlflow/runs/create', { experiment_id: experimentId, start_time: 1 }, basic);
    expect(refused).toMatchObject({ status: 403, body: { error_code: 'PERMISSION_DENIED' } });
    const runs = await admin.client.data<{ runs: { totalCount: number } }, { p: string }>(`query($p: String!) { runs(project: $p) { totalCount } }`, {
      p: project,
    });
    expect(runs.runs.totalCount).toBe(0);
    const audit = await admin.client.data<{ auditEvents: { edges: { node: { operation: string; outcome: string } }[] } }, { a: string }>(
      `query($a: String!) { auditEvents(first: 10, filter: {actor: $a}) { edges { node { operation outcome } } } }`,
      { a: ana.name },
    );
    expect(audit.auditEvents.edges.map((e) => e.node)).toContainEqual({ operation: 'mlflow POST /mlflow/runs/create', outcome: 'PERMISSION_DENIED' });
  });
});
