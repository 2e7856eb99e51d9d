// The door-parity matrix: each rule of the core, driven through every door that exposes the
// operation, with the one outcome they must all give. `route` names what a door serves, so
// coverage.test.ts can hold every MLflow route and GraphQL mutation to appearing here.
// The outage rule (503 UNAVAILABLE with Retry-After at every door) needs its database stopped,
// so it is driven through every door by test/faults/outage-doors.test.ts on a private cluster.
import { MLMODEL_FILE } from '../../src/http/mlflow/artifacts.js';
import { sha256 } from '../support/artifacts.js';
import { GraphQLClient } from '../support/client.js';
import { newRunId, runEvent } from '../support/openlineage.js';
import {
  artifactGet,
  artifactPut,
  type Caller,
  graphql,
  graphqlUpload,
  marquez,
  mlflow,
  mlflowArtifact,
  mlflowGraphql,
  type Outcome,
  openLineage,
  sse,
  uploadSession,
} from './doors.js';
import type { World } from './world.js';

export interface DoorCase {
  /** `graphql mutation setModelAlias`, `mlflow POST /mlflow/runs/log-batch`, `openlineage POST /api/v1/lineage`, ... */
  route: string;
  call(w: World): Promise<Outcome | Outcome[]>;
}

export interface Row {
  rule: string;
  expected: Outcome;
  doors: DoorCase[];
}

const gql = (route: string, caller: (w: World) => Caller, query: string, vars: (w: World) => Record<string, unknown>, nullIsNotFound?: string): DoorCase => ({
  route: `graphql ${route}`,
  call: (w) => graphql(w.url, caller(w), query, vars(w), nullIsNotFound),
});

/** An MLflow route; `path` may depend on the world (ids in the path), `route` is the route table's pattern. */
const rest = (method: string, path: string | ((w: World) => string), caller: (w: World) => Caller, body: (w: World) => unknown, route?: string): DoorCase => ({
  route: `mlflow ${method} ${route ?? `/mlflow${path}`}`,
  call: (w) => mlflow(w.url, caller(w), method, typeof path === 'string' ? `/mlflow${path}` : path(w), body(w)),
});

const outsider = (w: World) => w.outsider;
const bob = (w: World) => w.bob;

/** A list read: NOT_FOUND when the hidden item is absent from what the caller got (as if it did not exist), OK when it leaked. */
const absent =
  (read: (w: World) => Promise<unknown>, leaked: (w: World, got: string) => boolean) =>
  async (w: World): Promise<Outcome> => {
    const got = JSON.stringify(await read(w));
    return leaked(w, got) ? 'OK' : 'NOT_FOUND';
  };
const gqlData = (w: World, c: Caller, query: string, variables: Record<string, unknown> = {}) =>
  new GraphQLClient(`${w.url}/graphql`, { authorization: `Bearer ${c.secret}` }).data<unknown, Record<string, unknown>>(query, variables);
const restData = async (w: World, c: Caller, method: string, path: string, body?: Record<string, unknown>) => {
  const query = method === 'GET' && body ? `?${new URLSearchParams(body as Record<string, string>)}` : '';
  const res = await fetch(`${w.url}/api/2.0${path}${query}`, {
    method,
    headers: { authorization: `Bearer ${c.secret}`, 'content-type': 'application/json' },
    body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
  });
  return res.json();
};
const vic = (w: World) => w.vic;
const ana = (w: World) => w.ana;

const loggedModelOf = (w: World) => w.loggedModel;

/** The routes of resumable upload sessions, as `caller` on runA and on ana's session of it. */
const sessionDoors = (who: (w: World) => Caller, name = 'x.bin'): DoorCase[] => [
  {
    route: 'artifacts POST /artifacts/runs/{runId}/uploads',
    call: (w) =>
      uploadSession(w.url, who(w), 'POST', `/runs/${encodeURIComponent(w.runA.id)}/uploads`, { json: { name, sizeBytes: 5, sha256: sha256('bytes') } }),
  },
  {
    route: 'artifacts PUT /artifacts/uploads/{uploadId}',
    call: (w) => uploadSession(w.url, who(w), 'PUT', `/uploads/${w.uploadSessionA}`, { bytes: w.sessionFile, offset: 0 }),
  },
  {
    route: 'artifacts POST /artifacts/uploads/{uploadId}/complete',
    call: (w) => uploadSession(w.url, who(w), 'POST', `/uploads/${w.uploadSessionA}/complete`),
  },
  { route: 'artifacts DELETE /artifacts/uploads/{uploadId}', call: (w) => uploadSession(w.url, who(w), 'DELETE', `/uploads/${w.uploadSessionA}`) },
];
const artifactPath = (w: World, file: string) => `${w.projectA.experimentId}/${w.runA.mlflowRunId}/artifacts/${file}`;

const event = (w: World) =>
  runEvent({
    eventType: 'COMPLETE',
    eventTime: new Date().toISOString(),
    runId: newRunId(),
    job: { namespace: w.projectA.name, name: 'parity-job' },
    outputs: [{ namespace: 'parity', name: `out-${w.projectA.name}` }],
  });

/** A Marquez route (`route` is the route table's pattern below /api/v1); `path` may depend on the world. */
const mq = (method: 'GET' | 'PUT', route: string, path: (w: World) => string, caller: (w: World) => Caller, body?: unknown): DoorCase => ({
  route: `marquez ${method} /api/v1${route}`,
  call: (w) => marquez(w.url, caller(w), method, path(w), body),
});
const enc = encodeURIComponent;
const mqRead = (w: World, c: Caller, path: string) =>
  fetch(`${w.url}/api/v1${path}`, { headers: { authorization: `Bearer ${c.secret}` } }).then((r) => r.json());

export const READS_HIDDEN: Row = {
  rule: 'a caller with no role in a project reads nothing of it: NOT_FOUND, exactly as if it did not exist',
  expected: 'NOT_FOUND',
  doors: [
    gql('query run', outsider, 'query($id: ID!) { run(id: $id) { id } }', (w) => ({ id: w.runA.id }), 'run'),
    gql('query node', outsider, 'query($id: ID!) { node(id: $id) { id } }', (w) => ({ id: w.runA.id }), 'node'),
    gql('query project', outsider, 'query($n: String!) { project(name: $n) { name } }', (w) => ({ n: w.projectA.name }), 'project'),
    gql('query runs', outsider, 'query($n: String!) { runs(project: $n) { totalCount } }', (w) => ({ n: w.projectA.name })),
    gql('query runGroups', outsider, 'query($n: String!) { runGroups(project: $n, groupBy: "attributes.user") { key } }', (w) => ({ n: w.projectA.name })),
    gql('query paramValues', outsider, 'query($n: String!) { paramValues(project: $n, key: "lr") { value } }', (w) => ({ n: w.projectA.name })),
    gql('query compareRuns', outsider, 'query($id: ID!) { compareRuns(ids: [$id]) { params { key } } }', (w) => ({ id: w.runA.id })),
    gql('query registeredModel', outsider, 'query($m: String!) { registeredModel(name: $m) { name } }', (w) => ({ m: w.model }), 'registeredModel'),
    gql(
      'query datasetVersion',
      outsider,
      'query($d: String!) { datasetVersion(dataset: $d, version: "v1") { id } }',
      (w) => ({ d: w.dataset.name }),
      'datasetVersion',
    ),
    gql('query dataset', outsider, 'query($d: String!) { dataset(name: $d) { id } }', (w) => ({ d: w.dataset.name }), 'dataset'),
    gql('query lineage', outsider, 'query($id: ID!) { lineage(id: $id) { nodes { id } } }', (w) => ({ id: w.runA.id })),
    gql('query impact', outsider, 'query($id: ID!) { impact(id: $id) { id } }', (w) => ({ id: w.dataset.id })),
    gql('query lookup', outsider, 'query($r: String!) { lookup(ref: $r) { id } }', (w) => ({ r: `${w.model}/1` }), 'lookup'),
    gql('query lineagePath', outsider, 'query($a: ID!, $b: ID!) { lineagePath(from: $a, to: $b) { nodes { id } } }', (w) => ({
      a: w.dataset.id,
      b: w.runQ.id,
    })),
    gql(
      'query codeCommit',
      outsider,
      'query($r: String!, $c: String!) { codeCommit(repository: $r, commit: $c) { id } }',
      (w) => ({ r: w.commit.repository, c: w.commit.sha }),
      'codeCommit',
    ),
    gql('query pipelineRun', outsider, 'query($r: String!) { pipelineRun(runId: $r) { id } }', (w) => ({ r: w.pipelineRunUuid }), 'pipelineRun'),
    // An upload id names a pending direct upload; one the caller may not complete is as absent as an unknown one.
    gql(
      'mutation completeArtifactUpload',
      outsider,
      'mutation { completeArtifactUpload(input: { uploadId: "00000000-0000-4000-8000-000000000000" }) { created } }',
      () => ({}),
    ),
    gql('query nodes', outsider, 'query($id: ID!) { nodes(ids: [$id]) { id } }', (w) => ({ id: w.runA.id }), 'nodes'),
    gql('query mlflowRun', outsider, 'query($r: String!) { mlflowRun(id: $r) { id } }', (w) => ({ r: w.runA.mlflowRunId }), 'mlflowRun'),
    gql(
      'query mlflowExperiment',
      outsider,
      'query($e: String!) { mlflowExperiment(id: $e) { name } }',
      (w) => ({ e: w.projectA.experimentId }),
      'mlflowExperiment',
    ),
    gql('query metricHistories', outsider, 'query($id: ID!) { metricHistories(runIds: [$id], keys: ["loss"]) { key } }', (w) => ({ id: w.runA.id })),
    gql(
      'query job',
      outsider,
      'query($n: String!, $j: String!) { job(namespace: $n, name: $j) { id } }',
      (w) => ({ n: w.job.namespace, j: w.job.name }),
      'job',
    ),
    gql('query columnLineage', outsider, 'query($n: String!, $d: String!) { columnLineage(namespace: $n, name: $d) { edges { depth } } }', (w) => ({
      n: w.olDataset.namespace,
      d: w.olDataset.name,
    })),
    {
      route: 'graphql query jobs',
      call: absent(
        (w) => gqlData(w, w.outsider, 'query($n: String!) { jobs(namespace: $n) { edges { node { name } } } }', { n: w.job.namespace }),
        (w, got) => got.includes(w.job.name),
      ),
    },
    {
      route: 'graphql query search',
      call: absent(
        (w) => gqlData(w, w.outsider, 'query($q: String!) { search(query: $q) { name } }', { q: w.olDataset.name }),
        (w, got) => got.includes(w.olDataset.name),
      ),
    },
    {
      route: 'graphql query projects',
      call: absent(
        (w) => gqlData(w, w.outsider, 'query { projects(first: 1000) { edges { node { name } } } }'),
        (w, got) => got.includes(w.projectA.name),
      ),
    },
    {
      route: 'graphql query models',
      call: absent(
        (w) => gqlData(w, w.outsider, 'query($d: String!) { models(usedDataset: { name: $d }) { id } }', { d: w.dataset.name }),
        (_w, got) => got !== '{"models":[]}',
      ),
    },
    {
      route: 'mlflow GET /mlflow/experiments/search',
      call: absent(
        (w) => restData(w, w.outsider, 'GET', '/mlflow/experiments/search', { max_results: '1000' }),
        (w, got) => got.includes(w.projectA.name),
      ),
    },
    {
      route: 'mlflow POST /mlflow/experiments/search',
      call: absent(
        (w) => restData(w, w.outsider, 'POST', '/mlflow/experiments/search', { max_results: 1000 }),
        (w, got) => got.includes(w.projectA.name),
      ),
    },
    {
      route: 'mlflow GET /mlflow/registered-models/search',
      call: absent(
        (w) => restData(w, w.outsider, 'GET', '/mlflow/registered-models/search', { max_results: '1000' }),
        (w, got) => got.includes(w.model),
      ),
    },
    {
      route: 'graphql subscription metricLogged',
      call: (w) => sse(w.url, w.outsider, 'subscription($r: ID!) { metricLogged(runId: $r) { resumeFromStep } }', { r: w.runA.id }),
    },
    {
      route: 'graphql subscription runUpdated',
      call: (w) => sse(w.url, w.outsider, 'subscription($p: String!) { runUpdated(project: $p) { id } }', { p: w.projectA.name }),
    },
    rest('GET', '/runs/get', outsider, (w) => ({ run_id: w.runA.mlflowRunId })),
    rest('GET', '/experiments/get', outsider, (w) => ({ experiment_id: w.projectA.experimentId })),
    rest('GET', '/experiments/get-by-name', outsider, (w) => ({ experiment_name: w.projectA.name })),
    rest('POST', '/runs/search', outsider, (w) => ({ experiment_ids: [w.projectA.experimentId] })),
    rest('GET', '/metrics/get-history', outsider, (w) => ({ run_id: w.runA.mlflowRunId, metric_key: 'loss' })),
    rest('GET', '/metrics/get-history-bulk-interval', outsider, (w) => ({ run_ids: w.runA.mlflowRunId, metric_key: 'loss' })),
    rest('GET', '/registered-models/get', outsider, (w) => ({ name: w.model })),
    rest('GET', '/registered-models/get-latest-versions', outsider, (w) => ({ name: w.model })),
    rest('POST', '/registered-models/get-latest-versions', outsider, (w) => ({ name: w.model })),
    rest('GET', '/registered-models/alias', outsider, (w) => ({ name: w.model, alias: 'champion' })),
    rest('GET', '/model-versions/get', outsider, (w) => ({ name: w.model, version: '1' })),
    rest('GET', '/model-versions/get-download-uri', outsider, (w) => ({ name: w.model, version: '1' })),
    {
      route: 'mlflow GET /mlflow/model-versions/search',
      call: absent(
        (w) => restData(w, w.outsider, 'GET', '/mlflow/model-versions/search', { filter: `name = '${w.model}'` }),
        (w, got) => got.includes(w.model),
      ),
    },
    rest('POST', '/logged-models/search', outsider, (w) => ({ experiment_ids: [w.projectA.experimentId] })),
    rest(
      'GET',
      (w) => `/mlflow/logged-models/${loggedModelOf(w)}`,
      outsider,
      () => undefined,
      '/mlflow/logged-models/{modelId}',
    ),
    {
      route: 'mlflow GET /mlflow-artifacts/artifacts/{path+}',
      call: (w) => mlflowArtifact(w.url, w.outsider, 'GET', artifactPath(w, `model/${MLMODEL_FILE}`)),
    },
    rest(
      'GET',
      () => '/mlflow-artifacts/artifacts',
      outsider,
      (w) => ({ path: artifactPath(w, 'model') }),
      '/mlflow-artifacts/artifacts',
    ),
    { route: 'artifacts GET /artifacts/{artifactId}', call: (w) => artifactGet(w.url, w.outsider, w.artifactA) },
    { route: 'artifacts GET /artifacts/uploads/{uploadId}', call: (w) => uploadSession(w.url, w.outsider, 'GET', `/uploads/${w.uploadSessionA}`) },
    ...sessionDoors(outsider),
    rest('POST', '/experiments/search-datasets', outsider, (w) => ({ experiment_ids: [w.projectA.experimentId] })),
    rest('GET', '/metrics/get-history-bulk', outsider, (w) => ({ run_id: w.runA.mlflowRunId, metric_key: 'loss' })),
    rest('GET', '/artifacts/list', outsider, (w) => ({ run_id: w.runA.mlflowRunId })),
    rest(
      'GET',
      (w) => `/mlflow/logged-models/${loggedModelOf(w)}/artifacts/directories`,
      outsider,
      () => undefined,
      '/mlflow/logged-models/{modelId}/artifacts/directories',
    ),
    rest(
      'GET',
      (w) => `/mlflow/logged-models/${loggedModelOf(w)}/artifacts/files`,
      outsider,
      () => ({ artifact_file_path: 'MLmodel' }),
      '/mlflow/logged-models/{modelId}/artifacts/files',
    ),
    rest(
      'GET',
      () => '/get-artifact',
      outsider,
      (w) => ({ run_id: w.runA.mlflowRunId, path: `model/${MLMODEL_FILE}` }),
      '/get-artifact',
    ),
    rest(
      'GET',
      () => '/model-versions/get-artifact',
      outsider,
      (w) => ({ name: w.model, version: '1', path: MLMODEL_FILE }),
      '/model-versions/get-artifact',
    ),
    ...(
      [
        ['mlflowGetRun', (w: World) => `{ mlflowGetRun(input: { runId: "${w.runA.mlflowRunId}" }) { run { info { runId } } apiError { code } } }`],
        [
          'mlflowGetExperiment',
          (w: World) => `{ mlflowGetExperiment(input: { experimentId: "${w.projectA.experimentId}" }) { experiment { name } apiError { code } } }`,
        ],
        [
          'mlflowSearchRuns',
          (w: World) => `{ mlflowSearchRuns(input: { experimentIds: ["${w.projectA.experimentId}"] }) { runs { info { runId } } apiError { code } } }`,
        ],
        [
          'mlflowGetMetricHistoryBulkInterval',
          (w: World) =>
            `{ mlflowGetMetricHistoryBulkInterval(input: { runIds: ["${w.runA.mlflowRunId}"], metricKey: "loss" }) { metrics { step } apiError { code } } }`,
        ],
        ['mlflowListArtifacts', (w: World) => `{ mlflowListArtifacts(input: { runId: "${w.runA.mlflowRunId}" }) { files { path } apiError { code } } }`],
        [
          'mlflowSearchDatasets',
          (w: World) =>
            `mutation { mlflowSearchDatasets(input: { experimentIds: ["${w.projectA.experimentId}"] }) { datasetSummaries { name } apiError { code } } }`,
        ],
      ] as const
    ).map(([root, query]) => ({ route: `mlflow graphql ${root}`, call: (w: World) => mlflowGraphql(w.url, w.outsider, query(w)) })),
    {
      route: 'mlflow graphql mlflowSearchModelVersions',
      call: absent(
        async (w) => {
          const res = await fetch(`${w.url}/graphql`, {
            method: 'POST',
            headers: { authorization: `Bearer ${w.outsider.secret}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              query: `{ mlflowSearchModelVersions(input: { filter: "name = '${w.model}'" }) { modelVersions { name } apiError { code } } }`,
            }),
          });
          return res.json();
        },
        (w, got) => got.includes(w.model),
      ),
    },
    gql('query promotionRequest', outsider, 'query($n: Int!) { promotionRequest(number: $n) { id } }', (w) => ({ n: w.promotionRequest }), 'promotionRequest'),
    {
      route: 'graphql query promotionRequests',
      call: absent(
        (w) => gqlData(w, w.outsider, 'query { promotionRequests(first: 100) { edges { node { number model { name } } } } }'),
        (w, got) => got.includes(w.model),
      ),
    },
    gql('query webhooks', outsider, 'query($p: String!) { webhooks(project: $p) { id } }', (w) => ({ p: w.projectA.name })),
    gql('query conventionReport', outsider, 'query($p: String!) { conventionReport(project: $p, since: "2020-01-01T00:00:00Z") { checked } }', (w) => ({
      p: w.projectA.name,
    })),
    gql('query complianceExport', outsider, 'query($m: String!) { complianceExport(model: $m, version: 1) { html } }', (w) => ({ m: w.model })),
    gql('mutation approvePromotion', outsider, 'mutation($n: Int!) { approvePromotion(input: { request: $n }) { moved } }', (w) => ({ n: w.promotionRequest })),
    gql('mutation applyRetention', outsider, 'mutation($id: ID!) { applyRetention(input: { plan: $id }) { id } }', (w) => ({ id: w.retentionPlanId })),
    gql('mutation updateWebhook', outsider, 'mutation($id: ID!) { updateWebhook(input: { id: $id, active: false }) { webhook { id } } }', (w) => ({
      id: w.webhookId,
    })),
    mq('GET', '/namespaces/{namespace}', (w) => `/namespaces/${enc(w.job.namespace)}`, outsider),
    mq('GET', '/namespaces/{namespace}/datasets/{dataset}', (w) => `/namespaces/${enc(w.olDataset.namespace)}/datasets/${enc(w.olDataset.name)}`, outsider),
    mq(
      'GET',
      '/namespaces/{namespace}/datasets/{dataset}/versions',
      (w) => `/namespaces/${enc(w.olDataset.namespace)}/datasets/${enc(w.olDataset.name)}/versions`,
      outsider,
    ),
    mq(
      'GET',
      '/namespaces/{namespace}/datasets/{dataset}/versions/{version}',
      (w) => `/namespaces/${enc(w.olDataset.namespace)}/datasets/${enc(w.olDataset.name)}/versions/v1`,
      outsider,
    ),
    mq('GET', '/namespaces/{namespace}/jobs/{job}', (w) => `/namespaces/${enc(w.job.namespace)}/jobs/${enc(w.job.name)}`, outsider),
    mq('GET', '/namespaces/{namespace}/jobs/{job}/runs', (w) => `/namespaces/${enc(w.job.namespace)}/jobs/${enc(w.job.name)}/runs`, outsider),
    mq('GET', '/jobs/runs/{runId}', (w) => `/jobs/runs/${w.pipelineRunUuid}`, outsider),
    mq('GET', '/lineage', (w) => `/lineage?nodeId=${enc(`dataset:${w.olDataset.namespace}:${w.olDataset.name}`)}`, outsider),
    mq('GET', '/column-lineage', (w) => `/column-lineage?nodeId=${enc(`datasetField:${w.olDataset.namespace}:${w.olDataset.name}:id`)}`, outsider),
    ...(
      [
        ['/namespaces', () => '/namespaces?limit=1000', (w: World, got: string) => got.includes(JSON.stringify(w.job.namespace))],
        [
          '/namespaces/{namespace}/datasets',
          (w: World) => `/namespaces/${enc(w.olDataset.namespace)}/datasets`,
          (w: World, got: string) => got.includes(w.olDataset.name),
        ],
        ['/namespaces/{namespace}/jobs', (w: World) => `/namespaces/${enc(w.job.namespace)}/jobs`, (w: World, got: string) => got.includes(w.job.name)],
        ['/search', (w: World) => `/search?q=${enc(w.olDataset.name)}`, (w: World, got: string) => got.includes(w.olDataset.name)],
        ['/events/lineage', () => '/events/lineage?limit=1000', (w: World, got: string) => got.includes(w.pipelineRunUuid)],
        ['/events', () => '/events?limit=1000', (w: World, got: string) => got.includes(w.pipelineRunUuid)],
      ] as const
    ).map(([route, path, leaked]) => ({
      route: `marquez GET /api/v1${route}`,
      call: absent((w) => mqRead(w, w.outsider, path(w)), leaked),
    })),
  ],
};

export const VIEWER_CANNOT_WRITE: Row = {
  rule: 'a VIEWER of a project cannot change it: FORBIDDEN at every door',
  expected: 'FORBIDDEN',
  doors: [
    gql('mutation startRun', vic, 'mutation($p: String!) { startRun(input: { project: $p }) { created } }', (w) => ({ p: w.projectA.name })),
    gql('mutation finishRun', vic, 'mutation($r: ID!) { finishRun(input: { runId: $r }) { run { id } } }', (w) => ({ r: w.runA.id })),
    gql('mutation resumeRun', vic, 'mutation($r: ID!) { resumeRun(input: { runId: $r }) { resumed } }', (w) => ({ r: w.runA.id })),
    gql('mutation updateRun', vic, 'mutation($r: ID!) { updateRun(input: { runId: $r, notes: "x" }) { run { id } } }', (w) => ({ r: w.runA.id })),
    gql('mutation deleteRun', vic, 'mutation($r: ID!) { deleteRun(input: { runId: $r }) { run { id } } }', (w) => ({ r: w.runA.id })),
    gql('mutation restoreRun', vic, 'mutation($r: ID!) { restoreRun(input: { runId: $r }) { run { id } } }', (w) => ({ r: w.runA.id })),
    gql('mutation setTags', vic, 'mutation($r: ID!) { setTags(input: { runId: $r, tags: [{ key: "k", value: "v" }] }) { run { id } } }', (w) => ({
      r: w.runA.id,
    })),
    gql(
      'mutation logBatch',
      vic,
      'mutation($r: ID!) { logBatch(input: { runId: $r, metrics: [{ key: "loss", value: 1, step: 9 }] }) { pointsWritten } }',
      (w) => ({ r: w.runA.id }),
    ),
    gql(
      'mutation logInputs',
      vic,
      'mutation($r: ID!, $v: ID!) { logInputs(input: { runId: $r, datasets: [{ datasetVersionId: $v, role: "eval" }] }) { datasetInputsWritten } }',
      (w) => ({ r: w.runA.id, v: w.dataset.id }),
    ),
    gql(
      'mutation registerDatasetVersion',
      vic,
      'mutation($d: String!, $g: String!) { registerDatasetVersion(input: { dataset: $d, version: "v2", digest: $g }) { created } }',
      (w) => ({ d: w.dataset.name, g: sha256(`${w.dataset.name}/v2`) }),
    ),
    gql('mutation createModelVersion', vic, 'mutation($m: String!, $a: ID!) { createModelVersion(input: { model: $m, artifactId: $a }) { created } }', (w) => ({
      m: w.model,
      a: w.artifactA,
    })),
    gql('mutation setModelAlias', vic, 'mutation($m: String!) { setModelAlias(input: { model: $m, alias: "champion", version: 1 }) { changed } }', (w) => ({
      m: w.model,
    })),
    gql('mutation removeModelAlias', vic, 'mutation($m: String!) { removeModelAlias(input: { model: $m, alias: "champion" }) { changed } }', (w) => ({
      m: w.model,
    })),
    gql(
      'mutation rollbackModelAlias',
      vic,
      'mutation($m: String!) { rollbackModelAlias(input: { model: $m, alias: "champion", reason: "x" }) { changed } }',
      (w) => ({ m: w.model }),
    ),
    gql('mutation quarantineDatasetVersion', vic, 'mutation($v: ID!) { quarantineDatasetVersion(input: { id: $v, reason: "x" }) { created } }', (w) => ({
      v: w.dataset.id,
    })),
    gql('mutation releaseQuarantine', vic, 'mutation($v: ID!) { releaseQuarantine(input: { id: $v, reason: "x" }) { released } }', (w) => ({
      v: w.dataset.id,
    })),
    gql(
      'mutation grantProjectRole',
      vic,
      'mutation($p: String!, $u: String!) { grantProjectRole(input: { project: $p, user: $u, role: ADMIN }) { role } }',
      (w) => ({ p: w.projectA.name, u: w.vic.name }),
    ),
    gql('mutation revokeProjectRole', vic, 'mutation($p: String!, $u: String!) { revokeProjectRole(input: { project: $p, user: $u }) { role } }', (w) => ({
      p: w.projectA.name,
      u: w.ana.name,
    })),
    rest('POST', '/runs/create', vic, (w) => ({ experiment_id: w.projectA.experimentId })),
    rest('POST', '/runs/update', vic, (w) => ({ run_id: w.runA.mlflowRunId, status: 'FINISHED' })),
    rest('POST', '/runs/delete', vic, (w) => ({ run_id: w.runA.mlflowRunId })),
    rest('POST', '/runs/restore', vic, (w) => ({ run_id: w.runA.mlflowRunId })),
    rest('POST', '/runs/log-metric', vic, (w) => ({ run_id: w.runA.mlflowRunId, key: 'loss', value: 1, timestamp: 1, step: 9 })),
    rest('POST', '/runs/log-parameter', vic, (w) => ({ run_id: w.runA.mlflowRunId, key: 'p', value: '1' })),
    rest('POST', '/runs/set-tag', vic, (w) => ({ run_id: w.runA.mlflowRunId, key: 'k', value: 'v' })),
    rest('POST', '/runs/delete-tag', vic, (w) => ({ run_id: w.runA.mlflowRunId, key: 'k' })),
    rest('POST', '/runs/log-batch', vic, (w) => ({ run_id: w.runA.mlflowRunId, metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 9 }] })),
    rest('POST', '/runs/log-inputs', vic, (w) => ({
      run_id: w.runA.mlflowRunId,
      datasets: [{ dataset: { name: 'd', digest: 'abc', source_type: 'local', source: '{}' } }],
    })),
    rest('POST', '/runs/outputs', vic, (w) => ({ run_id: w.runA.mlflowRunId, models: [] })),
    rest('POST', '/registered-models/create', vic, (w) => ({ name: `${w.model}-new`, tags: [{ key: 'runledger.project', value: w.projectA.name }] })),
    rest('PATCH', '/registered-models/update', vic, (w) => ({ name: w.model, description: 'x' })),
    rest('POST', '/registered-models/alias', vic, (w) => ({ name: w.model, alias: 'champion', version: '1' })),
    rest('DELETE', '/registered-models/alias', vic, (w) => ({ name: w.model, alias: 'champion' })),
    rest('POST', '/model-versions/create', vic, (w) => ({ name: w.model, source: `runs:/${w.runA.mlflowRunId}/model` })),
    rest('PATCH', '/model-versions/update', vic, (w) => ({ name: w.model, version: '1', description: 'x' })),
    rest('POST', '/logged-models', vic, (w) => ({ experiment_id: w.projectA.experimentId, source_run_id: w.runA.mlflowRunId })),
    rest('POST', '/experiments/delete', vic, (w) => ({ experiment_id: w.projectA.experimentId })),
    rest('POST', '/experiments/restore', vic, (w) => ({ experiment_id: w.projectA.experimentId })),
    rest('POST', '/experiments/update', vic, (w) => ({ experiment_id: w.projectA.experimentId, new_name: `${w.projectA.name}-renamed` })),
    rest('POST', '/experiments/set-experiment-tag', vic, (w) => ({ experiment_id: w.projectA.experimentId, key: 'k', value: 'v' })),
    rest('POST', '/experiments/delete-experiment-tag', vic, (w) => ({ experiment_id: w.projectA.experimentId, key: 'k' })),
    rest('POST', '/registered-models/set-tag', vic, (w) => ({ name: w.model, key: 'k', value: 'v' })),
    rest('DELETE', '/registered-models/delete-tag', vic, (w) => ({ name: w.model, key: 'k' })),
    rest('POST', '/model-versions/set-tag', vic, (w) => ({ name: w.model, version: '1', key: 'k', value: 'v' })),
    rest('DELETE', '/model-versions/delete-tag', vic, (w) => ({ name: w.model, version: '1', key: 'k' })),
    {
      route: 'mlflow POST /mlflow/upload-artifact',
      call: async (w) => {
        const res = await fetch(`${w.url}/ajax-api/2.0/mlflow/upload-artifact?run_uuid=${w.runA.mlflowRunId}&path=notes.txt`, {
          method: 'POST',
          headers: { authorization: `Bearer ${w.vic.secret}` },
          body: 'hello',
        });
        return res.status === 403 ? 'FORBIDDEN' : res.status === 200 ? 'OK' : 'NOT_FOUND';
      },
    },
    {
      route: 'mlflow PUT /mlflow-artifacts/artifacts/{path+}',
      call: (w) => mlflowArtifact(w.url, w.vic, 'PUT', `${w.projectA.experimentId}/models/${w.loggedModel}/artifacts/notes.txt`, 'hello'),
    },
    {
      route: 'mlflow PUT /mlflow-artifacts/artifacts/{path+}',
      call: (w) => mlflowArtifact(w.url, w.vic, 'PUT', artifactPath(w, 'notes.txt'), 'hello'),
    },
    { route: 'openlineage POST /api/v1/lineage', call: (w) => openLineage(w.url, w.vic, event(w)) },
    mq('PUT', '/namespaces/{namespace}', (w) => `/namespaces/${enc(w.job.namespace)}`, vic, { ownerName: 'vic' }),
    { route: 'artifacts PUT /artifacts/runs/{runId}', call: (w) => artifactPut(w.url, w.vic, w.runA.id, 'bytes', { name: 'x.txt' }) },
    ...sessionDoors(vic),
    { route: 'graphql mutation uploadArtifact', call: (w) => graphqlUpload(w.url, w.vic, w.runA.id, 'bytes') },
    gql(
      'mutation setApproverGroup',
      vic,
      'mutation($p: String!) { setApproverGroup(input: { project: $p, name: "ml-lead", members: ["x"] }) { group { name } } }',
      (w) => ({
        p: w.projectA.name,
      }),
    ),
    gql(
      'mutation protectAlias',
      vic,
      'mutation($p: String!) { protectAlias(input: { project: $p, alias: "staging", requirements: [{ count: 1, users: ["x"] }] }) { protectedAlias { alias } } }',
      (w) => ({ p: w.projectA.name }),
    ),
    gql('mutation unprotectAlias', vic, 'mutation($p: String!) { unprotectAlias(input: { project: $p, alias: "production" }) { removed } }', (w) => ({
      p: w.projectA.name,
    })),
    gql(
      'mutation setPromotionRules',
      vic,
      'mutation($p: String!) { setPromotionRules(input: { project: $p, rules: [] }) { promotionRules { overrideGroups } } }',
      (w) => ({
        p: w.projectA.name,
      }),
    ),
    gql(
      'mutation setRunConventions',
      vic,
      'mutation($p: String!) { setRunConventions(input: { project: $p, requiredParams: ["lr"] }) { conventions { requiredParams } } }',
      (w) => ({
        p: w.projectA.name,
      }),
    ),
    gql(
      'mutation requestPromotion',
      vic,
      'mutation($m: String!) { requestPromotion(input: { model: $m, version: 1, alias: "staging", reason: "x" }) { moved } }',
      (w) => ({ m: w.model }),
    ),
    gql('mutation approvePromotion', vic, 'mutation($n: Int!) { approvePromotion(input: { request: $n }) { moved } }', (w) => ({ n: w.promotionRequest })),
    gql('mutation rejectPromotion', vic, 'mutation($n: Int!) { rejectPromotion(input: { request: $n, comment: "no" }) { moved } }', (w) => ({
      n: w.promotionRequest,
    })),
    gql('mutation cancelPromotion', vic, 'mutation($n: Int!) { cancelPromotion(input: { request: $n }) { moved } }', (w) => ({ n: w.promotionRequest })),
    gql(
      'mutation createWebhook',
      vic,
      'mutation($p: String!) { createWebhook(input: { project: $p, url: "http://127.0.0.1:9/x", events: ["alias.moved"] }) { secret } }',
      (w) => ({ p: w.projectA.name }),
    ),
    gql('mutation updateWebhook', vic, 'mutation($id: ID!) { updateWebhook(input: { id: $id, active: false }) { webhook { id } } }', (w) => ({
      id: w.webhookId,
    })),
    gql('mutation deleteWebhook', vic, 'mutation($id: ID!) { deleteWebhook(input: { id: $id }) { webhook { id } } }', (w) => ({ id: w.webhookId })),
    gql('mutation resendWebhookDelivery', vic, 'mutation($id: ID!) { resendWebhookDelivery(input: { id: $id }) { delivery { id } } }', (w) => ({
      id: w.webhookDeliveryId,
    })),
    gql('query webhooks', vic, 'query($p: String!) { webhooks(project: $p) { id } }', (w) => ({ p: w.projectA.name })),
    gql(
      'mutation setRetentionPolicy',
      vic,
      'mutation($p: String!) { setRetentionPolicy(input: { project: $p, deleteRunsAfterDays: 1 }) { graceDays } }',
      (w) => ({
        p: w.projectA.name,
      }),
    ),
    gql('mutation planRetention', vic, 'mutation($p: String!) { planRetention(input: { project: $p }) { id } }', (w) => ({ p: w.projectA.name })),
    gql('mutation applyRetention', vic, 'mutation($id: ID!) { applyRetention(input: { plan: $id }) { id } }', (w) => ({ id: w.retentionPlanId })),
    rest('POST', '/webhooks', vic, () => ({ name: 'x', url: 'http://127.0.0.1:9/x', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] })),
    gql(
      'mutation createArtifactUpload',
      vic,
      'mutation($r: ID!, $s: String!) { createArtifactUpload(input: { runId: $r, name: "direct.bin", sizeBytes: 5, sha256: $s }) { uploadId } }',
      (w) => ({ r: w.runA.id, s: sha256('bytes') }),
    ),
  ],
};

/** The logged-model writes take the id in the path; they answer like the writes above. */
for (const [method, suffix, body] of [
  ['PATCH', '', { status: 'LOGGED_MODEL_READY' }],
  ['DELETE', '', {}],
  ['PATCH', '/tags', { tags: [{ key: 'k', value: 'v' }] }],
  ['POST', '/params', { params: [{ key: 'p', value: '1' }] }],
  ['DELETE', '/tags/k', {}],
] as const) {
  VIEWER_CANNOT_WRITE.doors.push(
    rest(
      method,
      (w) => `/mlflow/logged-models/${loggedModelOf(w)}${suffix}`,
      vic,
      () => body,
      `/mlflow/logged-models/{modelId}${suffix.replace('/k', '/{key}')}`,
    ),
  );
}

export const VERSION_OF_ANOTHER_PROJECT: Row = {
  rule: "an EDITOR of A cannot point A's alias at a version whose run is in a project they have no role in: NOT_FOUND",
  expected: 'NOT_FOUND',
  doors: [
    gql('mutation setModelAlias', ana, 'mutation($m: String!) { setModelAlias(input: { model: $m, alias: "cross", version: 2 }) { changed } }', (w) => ({
      m: w.model,
    })),
    rest('POST', '/registered-models/alias', ana, (w) => ({ name: w.model, alias: 'cross', version: '2' })),
    rest('GET', '/model-versions/get', ana, (w) => ({ name: w.model, version: '2' })),
  ],
};

export const QUARANTINE_GATE: Row = {
  rule: 'an alias cannot move onto a version trained on quarantined data without an override: CONFLICT',
  expected: 'CONFLICT',
  doors: [
    gql('mutation setModelAlias', ana, 'mutation($m: String!) { setModelAlias(input: { model: $m, alias: "gated", version: 3 }) { changed } }', (w) => ({
      m: w.model,
    })),
    rest('POST', '/registered-models/alias', ana, (w) => ({ name: w.model, alias: 'gated', version: '3' })),
  ],
};

export const PROTECTED_ALIAS: Row = {
  rule: 'a protected alias never moves without its approvals: every move is refused (FORBIDDEN) and filed as a promotion request',
  expected: 'FORBIDDEN',
  doors: [
    gql('mutation setModelAlias', ana, 'mutation($m: String!) { setModelAlias(input: { model: $m, alias: "production", version: 1 }) { changed } }', (w) => ({
      m: w.model,
    })),
    gql(
      'mutation rollbackModelAlias',
      ana,
      'mutation($m: String!) { rollbackModelAlias(input: { model: $m, alias: "production", reason: "incident", fromVersion: 3 }) { changed } }',
      (w) => ({ m: w.model }),
    ),
    gql('mutation removeModelAlias', ana, 'mutation($m: String!) { removeModelAlias(input: { model: $m, alias: "production" }) { changed } }', (w) => ({
      m: w.model,
    })),
    rest('POST', '/registered-models/alias', ana, (w) => ({ name: w.model, alias: 'production', version: '1' })),
    rest('DELETE', '/registered-models/alias', ana, (w) => ({ name: w.model, alias: 'production' })),
    // Nor does its requester approve it.
    gql('mutation approvePromotion', ana, 'mutation($n: Int!) { approvePromotion(input: { request: $n }) { moved } }', (w) => ({ n: w.promotionRequest })),
  ],
};

/** A registry-wide webhook is the global admins': to anyone else it does not exist. */
export const GLOBAL_WEBHOOKS: Row = {
  rule: 'a webhook for every project exists only for global admins: NOT_FOUND to anyone else, at every door',
  expected: 'NOT_FOUND',
  doors: [
    rest(
      'GET',
      (w) => `/mlflow/webhooks/${w.mlflowWebhookId}`,
      ana,
      () => undefined,
      '/mlflow/webhooks/{webhook_id}',
    ),
    rest(
      'PATCH',
      (w) => `/mlflow/webhooks/${w.mlflowWebhookId}`,
      ana,
      () => ({ status: 'DISABLED' }),
      '/mlflow/webhooks/{webhook_id}',
    ),
    rest(
      'DELETE',
      (w) => `/mlflow/webhooks/${w.mlflowWebhookId}`,
      ana,
      () => ({}),
      '/mlflow/webhooks/{webhook_id}',
    ),
    rest(
      'POST',
      (w) => `/mlflow/webhooks/${w.mlflowWebhookId}/test`,
      ana,
      () => ({}),
      '/mlflow/webhooks/{webhook_id}/test',
    ),
    {
      route: 'mlflow GET /mlflow/webhooks',
      call: absent(
        (w) => restData(w, w.ana, 'GET', '/mlflow/webhooks'),
        (w, got) => got.includes(`"webhook_id":"${w.mlflowWebhookId}"`),
      ),
    },
  ],
};

export const NAME_TAKEN_ELSEWHERE: Row = {
  rule: 'creating under a name taken in a project the caller has no role in is refused without saying it exists (never "already exists"): FORBIDDEN, as MLflow\'s auth plugin answers',
  expected: 'FORBIDDEN',
  doors: [
    gql('mutation createProject', outsider, 'mutation($n: String!) { createProject(input: { name: $n }) { created } }', (w) => ({ n: w.projectA.name })),
    rest('POST', '/experiments/create', outsider, (w) => ({ name: w.projectA.name })),
    rest('POST', '/registered-models/create', outsider, (w) => ({ name: w.model })),
    // bob may write B, and asks for A's model name there.
    rest('POST', '/registered-models/create', bob, (w) => ({ name: w.model, tags: [{ key: 'runledger.project', value: w.projectB.name }] })),
    gql(
      'mutation registerDatasetVersion',
      outsider,
      'mutation($d: String!, $g: String!) { registerDatasetVersion(input: { dataset: $d, version: "v9", digest: $g }) { created } }',
      (w) => ({ d: w.dataset.name, g: sha256(`${w.dataset.name}/v9`) }),
    ),
  ],
};

export const TOKENS_ARE_OWN: Row = {
  rule: "a caller's tokens are their own: another user's token is NOT_FOUND to them",
  expected: 'NOT_FOUND',
  doors: [
    gql('mutation revokeApiToken', outsider, 'mutation($t: ID!) { revokeApiToken(input: { tokenId: $t }) { token { id } } }', (w) => ({ t: w.adminTokenId })),
  ],
};

export const TOKENS_FOR_OTHERS: Row = {
  rule: 'only a global admin creates tokens for someone else: FORBIDDEN',
  expected: 'FORBIDDEN',
  doors: [
    gql('mutation createApiToken', outsider, 'mutation($u: String!) { createApiToken(input: { user: $u }) { secret } }', (w) => ({ u: w.ana.name })),
    gql('query auditEvents', outsider, 'query { auditEvents(first: 1) { edges { cursor } } }', () => ({})),
    gql('query apiTokens', outsider, 'query($u: String!) { apiTokens(user: $u) { id } }', (w) => ({ u: w.ana.name })),
  ],
};

const NUL = 'a\u0000b';

export const INPUT_RULES: Row = {
  rule: 'the shared input rules (no NUL, instants PostgreSQL can hold) refuse the same input at every door: BAD_USER_INPUT, nothing written',
  expected: 'BAD_USER_INPUT',
  doors: [
    gql('mutation startRun', ana, 'mutation($p: String!, $n: String!) { startRun(input: { project: $p, name: $n }) { created } }', (w) => ({
      p: w.projectA.name,
      n: NUL,
    })),
    gql(
      'mutation logBatch',
      ana,
      'mutation($r: ID!) { logBatch(input: { runId: $r, metrics: [{ key: "loss", value: 1, step: 1, timestamp: "0000-01-01T00:00:00Z" }] }) { pointsWritten } }',
      (w) => ({ r: w.runA.id }),
    ),
    rest('POST', '/runs/create', ana, (w) => ({ experiment_id: w.projectA.experimentId, run_name: NUL })),
    rest('POST', '/runs/log-metric', ana, (w) => ({ run_id: w.runA.mlflowRunId, key: 'loss', value: 1, timestamp: 8_640_000_000_000_000, step: 1 })),
    rest('POST', '/runs/set-tag', ana, (w) => ({ run_id: w.runA.mlflowRunId, key: 'k', value: NUL })),
    {
      route: 'openlineage POST /api/v1/lineage',
      call: (w) =>
        openLineage(
          w.url,
          w.ana,
          runEvent({ eventType: 'START', eventTime: new Date().toISOString(), runId: newRunId(), job: { namespace: w.projectA.name, name: NUL } }),
        ),
    },
    { route: 'artifacts PUT /artifacts/runs/{runId}', call: (w) => artifactPut(w.url, w.ana, w.runA.id, 'bytes', { name: NUL }) },
    sessionDoors(ana, NUL)[0]!,
    // Governance's operations: a promotion's reason, an approver's comment, a webhook's name, a report's instant.
    gql(
      'mutation requestPromotion',
      ana,
      'mutation($m: String!, $r: String!) { requestPromotion(input: { model: $m, version: 1, alias: "production", reason: $r }) { moved } }',
      (w) => ({
        m: w.model,
        r: NUL,
      }),
    ),
    gql('mutation rejectPromotion', ana, 'mutation($n: Int!, $c: String!) { rejectPromotion(input: { request: $n, comment: $c }) { moved } }', (w) => ({
      n: w.promotionRequest,
      c: NUL,
    })),
    gql(
      'mutation createWebhook',
      ana,
      'mutation($p: String!, $n: String!) { createWebhook(input: { project: $p, name: $n, url: "http://127.0.0.1:9/x", events: ["alias.moved"] }) { secret } }',
      (w) => ({
        p: w.projectA.name,
        n: NUL,
      }),
    ),
    gql('query conventionReport', ana, 'query($p: String!) { conventionReport(project: $p, since: "0000-01-01T00:00:00Z") { checked } }', (w) => ({
      p: w.projectA.name,
    })),
    rest('POST', '/webhooks', ana, () => ({ name: NUL, url: 'http://127.0.0.1:9/x', events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }] })),
    rest('POST', '/registered-models/alias', ana, (w) => ({ name: w.model, alias: NUL, version: '1' })),
  ],
};

export const KEY_AND_NAME_RULES: Row = {
  rule: "the spec's key and display-name rules (schema/input-rules.json, which the Python client checks too) refuse the same keys and run names at every door: BAD_USER_INPUT, nothing written",
  expected: 'BAD_USER_INPUT',
  doors: [
    gql(
      'mutation logBatch',
      ana,
      'mutation($r: ID!) { logBatch(input: { runId: $r, metrics: [{ key: "a/../b", value: 1, step: 1 }] }) { pointsWritten } }',
      (w) => ({
        r: w.runA.id,
      }),
    ),
    gql('mutation setTags', ana, 'mutation($r: ID!) { setTags(input: { runId: $r, tags: [{ key: "/abs", value: "v" }] }) { run { id } } }', (w) => ({
      r: w.runA.id,
    })),
    gql('mutation startRun', ana, 'mutation($p: String!, $n: String!) { startRun(input: { project: $p, name: $n }) { created } }', (w) => ({
      p: w.projectA.name,
      n: 'bell\u0007',
    })),
    rest('POST', '/runs/log-metric', ana, (w) => ({ run_id: w.runA.mlflowRunId, key: 'a/../b', value: 1, timestamp: 1_700_000_000_000, step: 1 })),
    rest('POST', '/runs/log-parameter', ana, (w) => ({ run_id: w.runA.mlflowRunId, key: 'bad key!', value: '1' })),
    rest('POST', '/runs/set-tag', ana, (w) => ({ run_id: w.runA.mlflowRunId, key: '/abs', value: 'v' })),
    rest('POST', '/runs/create', ana, (w) => ({ experiment_id: w.projectA.experimentId, run_name: 'bell\u0007' })),
  ],
};

export const ALL_ROWS: Row[] = [
  INPUT_RULES,
  KEY_AND_NAME_RULES,
  READS_HIDDEN,
  VIEWER_CANNOT_WRITE,
  VERSION_OF_ANOTHER_PROJECT,
  QUARANTINE_GATE,
  PROTECTED_ALIAS,
  GLOBAL_WEBHOOKS,
  NAME_TAKEN_ELSEWHERE,
  TOKENS_ARE_OWN,
  TOKENS_FOR_OTHERS,
];
