// The four questions of issue 3, each answered by one GraphQL request on seeded data.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LogInputsDocument,
  ProductionAtDocument,
  ProductionModelNowDocument,
  ReproduceRunDocument,
  RunsTrainedOnDocument,
  SetModelAliasDocument,
} from '../generated/graphql.js';
import { sha256 } from '../support/artifacts.js';
import { logPoints, newProject, newRun } from '../support/factories.js';
import { newArtifact, newDatasetVersion, newModelVersion } from '../support/registry-factories.js';
import { uniqueName, useServer } from '../support/server.js';

const server = useServer();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const commitA = 'a1b2c3d4e5f6';
const commitB = 'b2c3d4e5f6a7';
const diff = 'diff --git a/train.py b/train.py\n-dropout = 0.1\n+dropout = 0.2\n';
const lockfile = 'torch==2.5.0\nscikit-learn==1.5.2\n';

let seeded: Awaited<ReturnType<typeof seed>>;

async function seed() {
  const s = server();
  const { client } = s;
  const project = await newProject(client, 'churn');
  const trainName = uniqueName('churn-train');
  const validName = uniqueName('churn-valid');
  const trainAug = await newDatasetVersion(client, {
    dataset: trainName,
    project,
    version: 'v1',
    sourceUri: 's3://bucket/churn/train/v1',
    coverageStart: '2026-08-01T00:00:00Z',
    coverageEnd: '2026-09-01T00:00:00Z',
  });
  const trainSep = await newDatasetVersion(client, { dataset: trainName, version: 'v2', sourceUri: 's3://bucket/churn/train/v2', derivedFrom: [trainAug.id] });
  const valid = await newDatasetVersion(client, { dataset: validName, project, version: 'v1', sourceUri: 'iceberg://warehouse/churn.valid@snapshot=8812' });

  const trainRun = async (name: string, commit: string, train: string, metric: number, extra: { dirty?: boolean } = {}) => {
    const run = await newRun(client, project, {
      name,
      user: 'ana',
      seed: '42',
      environment: { python: '3.11.7', packages: { torch: '2.5.0' } },
      codeVersion: { repository: 'git@example.com:ml/churn.git', commit, branch: 'main', dirty: extra.dirty ?? false },
    });
    await logPoints(client, run.id, [{ key: 'val/auc', value: metric, step: 10 }], {
      params: [
        { key: 'lr', value: name === 'run-a' ? '0.01' : '0.003' },
        { key: 'epochs', value: '10' },
      ],
    });
    await client.data(LogInputsDocument, {
      input: {
        runId: run.id,
        datasets: [
          { datasetVersionId: train, role: 'train' },
          { datasetVersionId: valid.id, role: 'validation' },
        ],
      },
    });
    return run;
  };
  const runA = await trainRun('run-a', commitA, trainAug.id, 0.81, { dirty: true });
  const diffArtifact = await newArtifact(s, runA.id, 'git/working-tree.diff', 'CODE_DIFF', diff, 'text/x-diff');
  const lock = await newArtifact(s, runA.id, 'requirements.txt', 'ENVIRONMENT', lockfile, 'text/plain');
  const runB = await trainRun('run-b', commitB, trainSep.id, 0.86);
  // An evaluation run that read the August data for validation only: not a training run of it.
  const evalRun = await newRun(client, project, { name: 'eval' });
  await client.data(LogInputsDocument, { input: { runId: evalRun.id, datasets: [{ datasetVersionId: trainAug.id, role: 'validation' }] } });

  const model = uniqueName('churn-model');
  const v1 = await newModelVersion(s, client, model, runA.id);
  const v2 = await newModelVersion(s, client, model, runB.id);
  const e1 = (await s.as('ana').data(SetModelAliasDocument, { input: { model, alias: 'production', version: v1.version, reason: 'launch' } })).setModelAlias
    .event!;
  await pause(5);
  const e2 = (
    await s.as('ben').data(SetModelAliasDocument, { input: { model, alias: 'production', version: v2.version, reason: 'trained on September data' } })
  ).setModelAlias.event!;
  return { project, trainName, validName, trainAug, trainSep, valid, runA, runB, evalRun, diffArtifact, lock, model, v1, v2, e1, e2 };
}

beforeAll(async () => {
  seeded = await seed();
});

describe('the questions an on-call engineer asks, one request each', () => {
  it('what model is in production now, which run produced it, with which params, commit and dataset versions', async () => {
    const { registeredModel } = await server().client.data(ProductionModelNowDocument, { model: seeded.model });
    const production = registeredModel!.alias!;
    expect(production.version).toBe(2);
    expect(production.run).toMatchObject({
      id: seeded.runB.id,
      name: 'run-b',
      params: [
        { key: 'epochs', value: '10' },
        { key: 'lr', value: '0.003' },
      ],
      codeVersion: { repository: 'git@example.com:ml/churn.git', commit: commitB, branch: 'main', dirty: false },
    });
    expect(production.run!.inputs).toEqual([
      {
        role: 'train',
        datasetVersion: { version: 'v2', digest: seeded.trainSep.digest, sourceUri: 's3://bucket/churn/train/v2', dataset: { name: seeded.trainName } },
      },
      {
        role: 'validation',
        datasetVersion: { version: 'v1', digest: seeded.valid.digest, sourceUri: seeded.valid.sourceUri, dataset: { name: seeded.validName } },
      },
    ]);
    expect(production.artifact!.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('what was under production at a past instant, and when did it change', async () => {
    const between = new Date(new Date(seeded.e2.at).getTime() - 1).toISOString();
    const { registeredModel } = await server().client.data(ProductionAtDocument, { model: seeded.model, at: between });
    expect(registeredModel?.aliasAt).toEqual({ version: 1, run: { id: seeded.runA.id } });
    expect(registeredModel?.history).toEqual([
      { alias: 'production', action: 'SET', who: 'ana', at: seeded.e1.at, reason: 'launch', from: null, to: { version: 1 } },
      { alias: 'production', action: 'SET', who: 'ben', at: seeded.e2.at, reason: 'trained on September data', from: { version: 1 }, to: { version: 2 } },
    ]);
  });

  it('which runs trained on a dataset version, and their validation metrics', async () => {
    const { datasetVersion } = await server().client.data(RunsTrainedOnDocument, { dataset: seeded.trainName, version: 'v1', role: 'train' });
    expect(datasetVersion?.digest).toBe(seeded.trainAug.digest);
    expect(datasetVersion?.usedBy.totalCount).toBe(1);
    expect(datasetVersion?.usedBy.edges.map((e) => e.node)).toEqual([
      { id: seeded.runA.id, name: 'run-a', metric: { last: 0.81 }, metrics: [{ key: 'val/auc', last: 0.81 }] },
    ]);
    const anyRole = await server().client.data(RunsTrainedOnDocument, { dataset: seeded.trainName, version: 'v1' });
    expect(anyRole.datasetVersion?.usedBy.edges.map((e) => e.node.name)).toEqual(['run-a', 'eval']);
  });

  it('everything needed to reproduce a run: commit, dirty diff, params, seed, lockfile, dataset versions with digests and URIs', async () => {
    const { url, client } = server();
    const { run } = await client.data(ReproduceRunDocument, { id: seeded.runA.id });
    expect(run).toMatchObject({
      seed: '42',
      params: [
        { key: 'epochs', value: '10' },
        { key: 'lr', value: '0.01' },
      ],
      environment: { python: '3.11.7', packages: { torch: '2.5.0' } },
      codeVersion: {
        commit: commitA,
        branch: 'main',
        dirty: true,
        diff: { digest: sha256(diff), sizeBytes: diff.length, downloadUrl: seeded.diffArtifact.downloadUrl },
      },
      artifacts: [{ name: 'requirements.txt', digest: sha256(lockfile), downloadUrl: seeded.lock.downloadUrl, mediaType: 'text/plain' }],
    });
    expect(run?.inputs).toEqual([
      {
        role: 'train',
        modelVersion: null,
        datasetVersion: { version: 'v1', digest: seeded.trainAug.digest, sourceUri: 's3://bucket/churn/train/v1', dataset: { name: seeded.trainName } },
      },
      {
        role: 'validation',
        modelVersion: null,
        datasetVersion: { version: 'v1', digest: seeded.valid.digest, sourceUri: seeded.valid.sourceUri, dataset: { name: seeded.validName } },
      },
    ]);
    // The links lead to the bytes.
    expect(await (await fetch(`${url}${run!.codeVersion!.diff!.downloadUrl}`)).text()).toBe(diff);
    expect(await (await fetch(`${url}${run!.artifacts[0]!.downloadUrl}`)).text()).toBe(lockfile);
  });
});
