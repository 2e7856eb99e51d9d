// The compliance export of a model version: one bundle (JSON and a self-contained HTML model card)
// with the version, its run, code commit and diff, input data with digests and coverage, upstream
// lineage, promotion rule results, approvals and alias history; as the caller may see it.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ApprovePromotionDocument,
  ComplianceExportDocument,
  LogBatchDocument,
  LogInputsDocument,
  ProtectAliasDocument,
  RegisterDatasetVersionDocument,
  RequestPromotionDocument,
  SetApproverGroupDocument,
  StartRunDocument,
  CreateModelVersionDocument,
} from '../generated/graphql.js';
import { putArtifact, sha256 } from '../support/artifacts.js';
import { type Governed, governedProject } from '../support/governance.js';
import { testConfig, useServer, uniqueName } from '../support/server.js';

const server = useServer(() => testConfig({ RUNLEDGER_AUTH: 'on' }));
let g: Governed;
let dataset: string;

beforeAll(async () => {
  g = await governedProject(server());
  const who = g.requester;
  const auth = { authorization: `Bearer ${who.secret}` };
  const { startRun } = await who.client.data(StartRunDocument, {
    input: {
      project: g.project,
      name: 'train-<b>v7</b>',
      seed: '42',
      environment: { python: '3.11.9', packages: { torch: '2.4.0' } },
      codeVersion: { repository: 'https://git.example/churn', commit: sha256('v7').slice(0, 40), branch: 'main', dirty: true },
    },
  });
  const runId = startRun.run.id;
  await who.client.data(LogBatchDocument, { input: { runId, params: [{ key: 'lr', value: '0.001' }], metrics: [{ key: 'val_auc', value: 0.83, step: 10 }] } });
  await putArtifact(server().url, runId, 'diff --git a/train.py b/train.py\n+lr = 1e-3 # <tuned>\n', { name: 'git.diff', kind: 'CODE_DIFF' }, auth);
  dataset = uniqueName('clicks');
  const { registerDatasetVersion } = await who.client.data(RegisterDatasetVersionDocument, {
    input: {
      dataset,
      project: g.project,
      version: '2026-08',
      digest: sha256(dataset),
      coverageStart: '2026-08-01T00:00:00Z',
      coverageEnd: '2026-09-01T00:00:00Z',
      rowCount: 1200,
    },
  });
  await who.client.data(LogInputsDocument, { input: { runId, datasets: [{ datasetVersionId: registerDatasetVersion.datasetVersion.id, role: 'train' }] } });
  const model = await putArtifact(server().url, runId, 'weights', { name: 'model/weights.pt', kind: 'MODEL' }, auth);
  await who.client.data(CreateModelVersionDocument, { input: { model: g.model, project: g.project, artifactId: model.body.artifact!.id } });

  await g.owner.client.data(SetApproverGroupDocument, { input: { project: g.project, name: 'ml-lead', members: [g.leads[0].name] } });
  await g.owner.client.data(ProtectAliasDocument, { input: { project: g.project, alias: 'production', requirements: [{ count: 1, groups: ['ml-lead'] }] } });
  const { requestPromotion } = await who.client.data(RequestPromotionDocument, {
    input: { model: g.model, version: 1, alias: 'production', reason: 'beats v6' },
  });
  await g.leads[0].client.data(ApprovePromotionDocument, { input: { request: requestPromotion.request!.number, comment: 'reviewed the eval' } });
});

describe('the compliance export', () => {
  it('bundles the version, its run, code and diff, data, lineage, rules, approvals and alias history', async () => {
    const { complianceExport } = await g.viewer.client.data(ComplianceExportDocument, { model: g.model, version: 1 });
    const b = complianceExport.json as Record<string, any>;
    expect(b.format).toBe('runledger.compliance-bundle/1');
    expect(b.version).toMatchObject({ number: 1, aliases: ['production'], artifact: { kind: 'MODEL', digest: sha256('weights') } });
    expect(b.run).toMatchObject({ name: 'train-<b>v7</b>', seed: '42', params: { lr: '0.001' }, environment: { python: '3.11.9' } });
    expect(b.run.metrics).toEqual([{ key: 'val_auc', last: 0.83, min: 0.83, max: 0.83, lastStep: 10, points: 1 }]);
    expect(b.code).toMatchObject({ repository: 'https://git.example/churn', branch: 'main', dirty: true });
    expect(b.code.diff.text).toContain('+lr = 1e-3 # <tuned>');
    expect(b.inputs).toEqual([
      {
        role: 'train',
        dataset,
        namespace: '',
        project: g.project,
        version: '2026-08',
        digest: sha256(dataset),
        contentDigest: true,
        sourceUri: null,
        rowCount: 1200,
        coverage: { start: '2026-08-01T00:00:00.000Z', end: '2026-09-01T00:00:00.000Z' },
        quarantine: null,
      },
    ]);
    const labels = b.lineage.nodes.map((n: { type: string; label: string }) => `${n.type} ${n.label}`);
    expect(labels).toEqual(
      expect.arrayContaining([`ModelVersion ${g.model} v1`, 'Run train-<b>v7</b>', `DatasetVersion ${dataset}@2026-08`, 'Artifact model/weights.pt']),
    );
    expect(b.gates.results.map((r: { kind: string; passed: boolean }) => [r.kind, r.passed])).toEqual([['QUARANTINE', true]]);
    expect(b.promotions).toHaveLength(1);
    expect(b.promotions[0]).toMatchObject({
      alias: 'production',
      status: 'APPROVED',
      requestedBy: g.requester.name,
      reason: 'beats v6',
      needs: '1 of group ml-lead',
    });
    expect(b.promotions[0].decisions).toMatchObject([{ by: g.leads[0].name, decision: 'APPROVE', comment: 'reviewed the eval', groups: ['ml-lead'] }]);
    expect(b.aliasHistory).toMatchObject([
      { alias: 'production', action: 'SET', from: null, to: 1, by: g.requester.name, promotionRequest: b.promotions[0].number },
    ]);
  });

  it('renders a self-contained HTML model card with every value escaped', async () => {
    const { complianceExport } = await g.viewer.client.data(ComplianceExportDocument, { model: g.model, version: 1 });
    const html = complianceExport.html;
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|@import/i);
    expect(html).toContain('train-&lt;b&gt;v7&lt;/b&gt;');
    expect(html).not.toContain('<b>v7</b>');
    expect(html).toContain('+lr = 1e-3 # &lt;tuned&gt;');
    expect(html).toContain('reviewed the eval');
    expect(html).toContain(`${dataset} (${g.project})`);
  });

  it('is refused to a caller who cannot see the version', async () => {
    expect((await g.outsider.client.error(ComplianceExportDocument, { model: g.model, version: 1 })).extensions?.code).toBe('NOT_FOUND');
  });
});
