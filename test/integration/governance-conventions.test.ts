// Run conventions enforced in CI: a project declares required params, tags with their allowed
// values and input roles; the report lists every run that breaks them, and a run about to start
// can be checked first (the client fails fast on it).
import { beforeAll, describe, expect, it } from 'vitest';
import { ConventionCheckDocument, ConventionReportDocument, LogInputsDocument, SetRunConventionsDocument } from '../generated/graphql.js';
import { sha256 } from '../support/artifacts.js';
import { newProject, seededRun } from '../support/factories.js';
import { newDatasetVersion } from '../support/registry-factories.js';
import { testConfig, useServer } from '../support/server.js';

const server = useServer(() => testConfig());
let project: string;

beforeAll(async () => {
  const { client } = server();
  project = await newProject(client, 'conv');
  const { setRunConventions } = await client.data(SetRunConventionsDocument, {
    input: {
      project,
      requiredParams: ['lr', 'batch_size'],
      requiredTags: [{ key: 'team', allowedValues: ['search', 'ads'] }, { key: 'owner' }],
      requiredInputs: ['train'],
    },
  });
  expect(setRunConventions.conventions.requiredTags).toEqual([
    { key: 'team', allowedValues: ['search', 'ads'] },
    { key: 'owner', allowedValues: null },
  ]);
});

describe('run conventions', () => {
  it('report every run that breaks them, naming what it lacks', async () => {
    const { client } = server();
    const since = new Date(Date.now() - 60_000).toISOString();
    await seededRun(client, project, { name: 'sloppy', params: { lr: '0.1' }, tags: { team: 'sales' } });
    const good = await seededRun(client, project, { name: 'tidy', params: { lr: '0.1', batch_size: '64' }, tags: { team: 'ads', owner: 'ana' } });
    const dv = await newDatasetVersion(client, { dataset: `conv-${sha256(project).slice(0, 8)}`, version: 'v1', project });
    await client.data(LogInputsDocument, { input: { runId: good.id, datasets: [{ datasetVersionId: dv.id, role: 'train' }] } });

    const { conventionReport } = await client.data(ConventionReportDocument, { project, since });
    expect(conventionReport.checked).toBe(2);
    expect(conventionReport.failing.map((f) => f.run.name)).toEqual(['sloppy']);
    expect(conventionReport.failing[0]!.violations.map((v) => v.message)).toEqual([
      'param batch_size is required',
      'tag team is "sales"; allowed: search, ads',
      'tag owner is required',
      'a dataset input with role train is required',
    ]);
    expect(conventionReport.failing[0]!.run.conventionViolations.map((v) => v.kind)).toEqual(['PARAM', 'TAG_VALUE', 'TAG', 'INPUT']);
  });

  it('check a run before it starts, on the params and tags it will log', async () => {
    const { client } = server();
    const { project: found } = await client.data(ConventionCheckDocument, {
      project,
      params: [{ key: 'lr', value: '0.1' }],
      tags: [{ key: 'team', value: 'ads' }],
    });
    expect(found?.conventions.check.map((v) => v.message)).toEqual(['param batch_size is required', 'tag owner is required']);
  });

  it('refuse bad declarations and future periods', async () => {
    const { client } = server();
    const dup = await client.error(SetRunConventionsDocument, { input: { project, requiredTags: [{ key: 'team' }, { key: 'team' }] } });
    expect(dup.message).toContain('input.requiredTags[1].key: "team" is listed twice');
    const future = await client.error(ConventionReportDocument, { project, since: new Date(Date.now() + 3_600_000).toISOString() });
    expect(future.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
