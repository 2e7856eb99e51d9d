// A training run meets the pipeline that made its data, from every door: the source of a
// dataset it logged (GraphQL registerDatasetVersion + logInputs, the Python client's
// log_dataset, MLflow's log_input) names an OpenLineage dataset, and the run reads the version
// current when it started, or the Iceberg snapshot / Delta version the source names; also when
// the pipeline's events arrive after the training run logged its input.
import { encodeGlobalID } from '@pothos/plugin-relay';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseMlflowRunId } from '../../src/modules/runs/mlflow-id.js';
import { newProject, newRun } from '../support/factories.js';
import { newRunId, postEvent, runEvent } from '../support/openlineage.js';
import { uniqueName, useServer } from '../support/server.js';

const server = useServer();
const q = <T>(query: string, variables: Record<string, unknown> = {}) => server().client.data<T, Record<string, unknown>>(query, variables);
const hours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
let project: string;

beforeAll(async () => {
  project = await newProject(server().client, 'training');
});

async function produce(namespace: string, name: string, at: string, version?: string) {
  const runId = newRunId();
  const res = await postEvent(
    server().url,
    runEvent({
      eventType: 'COMPLETE',
      eventTime: at,
      runId,
      job: { namespace: 'airflow://prod', name: `write.${name}` },
      outputs: [{ namespace, name, version }],
    }),
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return runId;
}

/** A training run that logged a dataset version (GraphQL) whose source is `sourceUri`. */
async function trainOn(sourceUri: string) {
  const run = await newRun(server().client, project, { name: uniqueName('train') });
  const digest = Buffer.from(uniqueName('d')).toString('hex').padEnd(64, '0').slice(0, 64);
  const { registerDatasetVersion } = await q<{ registerDatasetVersion: { datasetVersion: { id: string } } }>(
    'mutation($p: String!, $d: String!, $g: String!, $s: String!) { registerDatasetVersion(input: { project: $p, dataset: $d, version: "v1", digest: $g, sourceUri: $s }) { datasetVersion { id } } }',
    { p: project, d: uniqueName('train-data'), g: digest, s: sourceUri },
  );
  await q('mutation($r: ID!, $v: ID!) { logInputs(input: { runId: $r, datasets: [{ datasetVersionId: $v, role: "train" }] }) { datasetInputsWritten } }', {
    r: run.id,
    v: registerDatasetVersion.datasetVersion.id,
  });
  return run;
}

async function upstream(runId: string) {
  const { run } = await q<{ run: { lineage: { nodes: { label: string; type: string }[]; edges: { kind: string; role: string | null }[] } } }>(
    'query($r: ID!) { run(id: $r) { lineage(direction: UPSTREAM, depth: 5) { nodes { type label } edges { kind role } } } }',
    { r: runId },
  );
  return run.lineage.nodes.filter((n) => n.type !== 'RUN').map((n) => n.label);
}

describe('a training run whose logged data names an OpenLineage dataset', () => {
  it('reads the version current when it started, and is downstream of the pipeline run that produced it', async () => {
    const bucket = `s3://${uniqueName('raw')}`;
    const older = await produce(bucket, 'clicks', hours(-3));
    const current = await produce(bucket, 'clicks', hours(-1));
    await produce(bucket, 'clicks', hours(2)); // after the run started: not what it read
    const run = await trainOn(`${bucket}/clicks`);
    const labels = await upstream(run.id);
    expect(labels).toContain(`clicks@ol:run:${current}`);
    expect(labels).toContain('write.clicks complete');
    expect(labels).not.toContain(`clicks@ol:run:${older}`);
  });

  it('reads the Iceberg snapshot or Delta version its source names', async () => {
    const lake = `s3://${uniqueName('lake')}`;
    await produce(lake, 'warehouse/db/events', hours(-5), '8327445226912');
    await produce(lake, 'warehouse/db/events', hours(-4), '9000000000001');
    await produce(lake, 'delta/features', hours(-5), '11');
    await produce(lake, 'delta/features', hours(-4), '12');
    const iceberg = await trainOn(`${lake}/warehouse/db/events?snapshot-id=8327445226912`);
    expect(await upstream(iceberg.id)).toContain('warehouse/db/events@8327445226912');
    const delta = await trainOn(`${lake}/delta/features@v11`);
    expect(await upstream(delta.id)).toContain('delta/features@11');
  });

  it('is linked when the pipeline’s events arrive after the training run logged its input', async () => {
    const bucket = `s3://${uniqueName('late')}`;
    const run = await trainOn(`${bucket}/orders`);
    expect(await upstream(run.id)).not.toContainEqual(expect.stringContaining('orders@'));
    const producer = await produce(bucket, 'orders', hours(-2));
    expect(await upstream(run.id)).toContain(`orders@ol:run:${producer}`);
  });

  it('works from MLflow’s log_input (dataset source {"uri": ...})', async () => {
    const bucket = `s3://${uniqueName('mlflow')}`;
    const producer = await produce(bucket, 'sessions', hours(-1));
    const { createProject } = await q<{ createProject: { project: { mlflowExperimentId: string } } }>(
      'mutation($n: String!) { createProject(input: { name: $n }) { project { mlflowExperimentId } } }',
      { n: uniqueName('mlflow-exp') },
    );
    const api = async (path: string, body: unknown) => {
      const res = await fetch(`${server().url}/api/2.0/mlflow/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      return res.json() as Promise<any>;
    };
    const created = await api('runs/create', { experiment_id: createProject.project.mlflowExperimentId, start_time: Date.now() });
    const runId = created.run.info.run_id;
    await api('runs/log-inputs', {
      run_id: runId,
      datasets: [
        {
          dataset: { name: 'sessions', digest: 'abc123', source_type: 's3', source: JSON.stringify({ uri: `${bucket}/sessions` }) },
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
        },
      ],
    });
    const id = encodeGlobalID('Run', parseMlflowRunId(runId)!);
    expect(await upstream(id)).toContain(`sessions@ol:run:${producer}`);
  });
});
