// Datasets over real HTTP: immutable versions by digest, derivations, coverage windows and run inputs.
import { describe, expect, it } from 'vitest';
import { DatasetVersionsDocument, LogInputsDocument, RegisterDatasetVersionDocument } from '../generated/graphql.js';
import { sha256 } from '../support/artifacts.js';
import { newProject, newRun } from '../support/factories.js';
import { newDatasetVersion, newModelVersion } from '../support/registry-factories.js';
import { uniqueName, useServer } from '../support/server.js';

const server = useServer();

describe('dataset versions', () => {
  it('registers a version with its metadata, and the same name and digest again returns it', async () => {
    const { client, as } = server();
    const project = await newProject(client, 'datasets');
    const dataset = uniqueName('churn-events');
    const digest = sha256(dataset);
    const input = {
      dataset,
      version: 'v42',
      digest: `sha256:${digest.toUpperCase()}`,
      sourceUri: 's3://bucket/churn/v42',
      coverageStart: '2026-08-01T00:00:00.000Z',
      coverageEnd: '2026-09-01T00:00:00.000Z',
      rowCount: 3_000_000_000,
      schema: { columns: [{ name: 'user_id', type: 'int64' }] },
      splits: { train: 8000, validation: 1000, test: 1000 },
    };
    const first = (await as('ana').data(RegisterDatasetVersionDocument, { input: { ...input, project } })).registerDatasetVersion;
    expect(first.created).toBe(true);
    expect(first.datasetVersion).toMatchObject({ ...input, digest, createdBy: 'ana', dataset: { name: dataset, project: { name: project } }, derivedFrom: [] });

    const again = (await client.data(RegisterDatasetVersionDocument, { input: { ...input, version: 'v42-retry' } })).registerDatasetVersion;
    expect(again.created).toBe(false);
    expect(again.datasetVersion.id).toBe(first.datasetVersion.id);

    const conflict = await client.error(RegisterDatasetVersionDocument, { input: { ...input, digest: sha256('other content') } });
    expect(conflict.extensions?.code).toBe('CONFLICT');
    expect(conflict.message).toMatch(/^input\.version: /);
  });

  it('refuses bad digests, windows and counts, naming the field', async () => {
    const { client } = server();
    const base = { dataset: uniqueName('ds'), version: 'v1', digest: sha256('x') };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ digest: 'abc' }, /^input\.digest: /],
      [{ coverageStart: '2026-09-01T00:00:00Z', coverageEnd: '2026-08-01T00:00:00Z' }, /^input\.coverageEnd: /],
      [{ rowCount: -1 }, /^input\.rowCount: /],
      [{ schema: 'not an object' }, /^input\.schema: /],
      [{ dataset: 'bad\u0000name' }, /^input\.dataset: /],
    ];
    for (const [patch, message] of cases) {
      const err = await client.error(RegisterDatasetVersionDocument, { input: { ...base, ...patch } as never });
      expect(err.extensions?.code).toBe('BAD_USER_INPUT');
      expect(err.message).toMatch(message);
    }
  });

  it('needs a project for a new dataset, and refuses another project for an existing one, naming the field', async () => {
    const { client } = server();
    const project = await newProject(client, 'owner');
    const other = await newProject(client, 'other');
    const dataset = uniqueName('owned');
    const missing = await client.error(RegisterDatasetVersionDocument, { input: { dataset, version: 'v1', digest: sha256('a') } });
    expect(missing.extensions?.code).toBe('BAD_USER_INPUT');
    expect(missing.message).toMatch(/^input\.project: is required when the dataset is new/);
    const unknown = await client.error(RegisterDatasetVersionDocument, {
      input: { dataset, project: uniqueName('nowhere'), version: 'v1', digest: sha256('a') },
    });
    expect(unknown.extensions?.code).toBe('NOT_FOUND');
    await newDatasetVersion(client, { dataset, project, version: 'v1' });
    // Once it exists the project may be left out, or given as its own; another one is a conflict.
    expect((await newDatasetVersion(client, { dataset, version: 'v2' })).dataset).toMatchObject({ name: dataset, project: { name: project } });
    await newDatasetVersion(client, { dataset, project, version: 'v3' });
    const moved = await client.error(RegisterDatasetVersionDocument, { input: { dataset, project: other, version: 'v4', digest: sha256('b') } });
    expect(moved.extensions?.code).toBe('CONFLICT');
    expect(moved.message).toMatch(/^input\.project: dataset .* belongs to project /);
    const { dataset: found } = await client.data(DatasetVersionsDocument, { name: dataset });
    expect(found?.versions.edges.map((e) => e.node.version)).toEqual(['v3', 'v2', 'v1']);
  });

  it('links derived versions to their parents and finds "the August data" by coverage', async () => {
    const { client } = server();
    const dataset = uniqueName('events');
    const july = await newDatasetVersion(client, {
      dataset,
      project: await newProject(client, 'events'),
      version: 'july',
      coverageStart: '2026-07-01T00:00:00Z',
      coverageEnd: '2026-08-01T00:00:00Z',
    });
    const august = await newDatasetVersion(client, { dataset, version: 'august', coverageStart: '2026-08-01T00:00:00Z', coverageEnd: '2026-09-01T00:00:00Z' });
    const summer = await newDatasetVersion(client, {
      dataset,
      version: 'summer',
      coverageStart: '2026-06-01T00:00:00Z',
      coverageEnd: '2026-09-01T00:00:00Z',
      derivedFrom: [july.id, august.id],
    });
    expect(summer.derivedFrom.map((d) => d.version).sort()).toEqual(['august', 'july']);

    const { dataset: found } = await client.data(DatasetVersionsDocument, {
      name: dataset,
      covering: { start: '2026-08-01T00:00:00Z', end: '2026-09-01T00:00:00Z' },
    });
    expect(found?.versions.edges.map((e) => e.node.version)).toEqual(['summer', 'august']);
    const page1 = await client.data(DatasetVersionsDocument, { name: dataset, first: 2 });
    expect(page1.dataset?.versions.pageInfo.hasNextPage).toBe(true);
    const page2 = await client.data(DatasetVersionsDocument, { name: dataset, first: 2, after: page1.dataset?.versions.pageInfo.endCursor });
    expect(page2.dataset?.versions.edges.map((e) => e.node.version)).toEqual(['july']);

    const missing = await client.error(RegisterDatasetVersionDocument, {
      input: { dataset, version: 'x', digest: sha256('y'), derivedFrom: [Buffer.from('DatasetVersion:99999999').toString('base64')] },
    });
    expect(missing.extensions?.code).toBe('NOT_FOUND');
  });

  it('logs a run’s inputs with roles; logging them again changes nothing', async () => {
    const s = server();
    const project = await newProject(s.client, 'inputs');
    const base = await newRun(s.client, project, { name: 'pretrain' });
    const baseModel = await newModelVersion(s, s.client, uniqueName('base'), base.id);
    const run = await newRun(s.client, project, { name: 'finetune' });
    const train = await newDatasetVersion(s.client, { dataset: uniqueName('train'), project, version: 'v1' });
    const valid = await newDatasetVersion(s.client, { dataset: uniqueName('valid'), project, version: 'v1' });
    const input = {
      runId: run.id,
      datasets: [
        { datasetVersionId: train.id, role: 'train' },
        { datasetVersionId: valid.id, role: 'validation' },
      ],
      models: [{ modelVersionId: baseModel.id, role: 'base-model' }],
    };
    const first = (await s.client.data(LogInputsDocument, { input })).logInputs;
    expect(first).toMatchObject({ datasetInputsWritten: 2, modelInputsWritten: 1 });
    expect(first.run.inputs).toEqual([
      { role: 'train', datasetVersion: { id: train.id, version: 'v1' }, modelVersion: null },
      { role: 'validation', datasetVersion: { id: valid.id, version: 'v1' }, modelVersion: null },
      { role: 'base-model', datasetVersion: null, modelVersion: { id: baseModel.id, version: 1 } },
    ]);
    const again = (await s.client.data(LogInputsDocument, { input })).logInputs;
    expect(again).toMatchObject({ datasetInputsWritten: 0, modelInputsWritten: 0 });
    expect(again.run.inputs).toHaveLength(3);

    // Roles follow the key rule (MLflow's dataset context lands here): `;` is outside it.
    const badRole = await s.client.error(LogInputsDocument, { input: { runId: run.id, datasets: [{ datasetVersionId: train.id, role: 'no;semicolons' }] } });
    expect(badRole.message).toMatch(/^input\.datasets\[0\]\.role: /);
    const wrongId = await s.client.error(LogInputsDocument, { input: { runId: run.id, datasets: [{ datasetVersionId: run.id, role: 'train' }] } });
    expect(wrongId.extensions?.code).toBe('BAD_USER_INPUT');
    expect(wrongId.message).toMatch(/^input\.datasets\[0\]\.datasetVersionId: expected a DatasetVersion id/);
  });
});
