// Datasets and models belong to projects: with two users and two projects on a server that
// requires tokens, every entry point to them hides what a user has no role in (null, NOT_FOUND,
// left out of lists, a redacted lineage node) and refuses writes a role does not allow.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AuditEventsDocument,
  CreateModelVersionDocument,
  CreateProjectDocument,
  DatasetOwnerDocument,
  DatasetVersionByLabelDocument,
  GrantProjectRoleDocument,
  ImpactDocument,
  LineageDocument,
  LineagePathDocument,
  LogInputsDocument,
  ModelOwnerDocument,
  ModelsUsingDocument,
  MoveAliasDocument,
  NodeTypeDocument,
  PromoteDocument,
  QuarantineDatasetVersionDocument,
  RegisterDatasetVersionDocument,
  ReleaseQuarantineDocument,
  RemoveModelAliasDocument,
  RevokeProjectRoleDocument,
  RollbackModelAliasDocument,
  RunInputsAndModelsDocument,
  RunsWithLineageDocument,
  SetModelAliasDocument,
} from '../generated/graphql.js';
import { putArtifact, sha256 } from '../support/artifacts.js';
import type { GraphQLClient } from '../support/client.js';
import { newRun } from '../support/factories.js';
import { testConfig, uniqueName, useServer } from '../support/server.js';
import { signInUsers } from '../support/users.js';

const server = useServer(() => testConfig({ RUNLEDGER_AUTH: 'on' }));

let admin: GraphQLClient;
let ana: GraphQLClient;
let bob: GraphQLClient;
let anaName: string;
let adminName: string;
let bobName: string;
let bobSecret: string;
let anaSecret: string;
let projectA: string;
let projectB: string;
const names = { dsA: uniqueName('ds-a'), dsB: uniqueName('ds-b'), mA: uniqueName('model-a'), mB: uniqueName('model-b') };
let a1: { id: string };
let a2: { id: string };
let b1: { id: string };
let dsAv1: { id: string };
let dsBv1: { id: string };
let mAv1: { id: string };
let mBv1: { id: string };
let artifactA: string;

async function modelArtifact(secret: string, runId: string): Promise<string> {
  const res = await putArtifact(server().url, runId, `weights ${Math.random()}`, { name: 'model.pt', kind: 'MODEL' }, { authorization: `Bearer ${secret}` });
  if (res.status !== 201 || !res.body.artifact) throw new Error(`upload failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.artifact.id;
}

async function register(client: GraphQLClient, dataset: string, version: string, project?: string) {
  return (await client.data(RegisterDatasetVersionDocument, { input: { dataset, version, project, digest: sha256(`${dataset}/${version}`) } }))
    .registerDatasetVersion.datasetVersion;
}

const codeOf = async (p: Promise<{ extensions?: { code?: string } }>) => (await p).extensions?.code;

beforeAll(async () => {
  const users = await signInUsers(server());
  admin = users.admin.client;
  adminName = users.admin.name;
  ({ client: ana, name: anaName, secret: anaSecret } = users.ana);
  ({ client: bob, name: bobName, secret: bobSecret } = users.bob);
  projectA = uniqueName('proj-ana');
  projectB = uniqueName('proj-bob');
  await ana.data(CreateProjectDocument, { input: { name: projectA } });
  await bob.data(CreateProjectDocument, { input: { name: projectB } });

  a1 = await newRun(ana, projectA, { name: 'a1' });
  a2 = await newRun(ana, projectA, { name: 'a2-finetune' });
  b1 = await newRun(bob, projectB, { name: 'b1' });
  dsAv1 = await register(ana, names.dsA, 'v1', projectA);
  dsBv1 = await register(bob, names.dsB, 'v1', projectB);
  await ana.data(LogInputsDocument, { input: { runId: a1.id, datasets: [{ datasetVersionId: dsAv1.id, role: 'train' }] } });
  await bob.data(LogInputsDocument, { input: { runId: b1.id, datasets: [{ datasetVersionId: dsBv1.id, role: 'train' }] } });
  artifactA = await modelArtifact(anaSecret, a1.id);
  mAv1 = (await ana.data(CreateModelVersionDocument, { input: { model: names.mA, artifactId: artifactA } })).createModelVersion.modelVersion;
  mBv1 = (await bob.data(CreateModelVersionDocument, { input: { model: names.mB, artifactId: await modelArtifact(bobSecret, b1.id) } })).createModelVersion
    .modelVersion;
  await ana.data(SetModelAliasDocument, { input: { model: names.mA, alias: 'production', version: 1 } });
  // Lineage that crosses projects, as only a global admin can record it: a1 also read B's
  // dataset, and a2 fine-tuned B's model.
  await admin.data(LogInputsDocument, { input: { runId: a1.id, datasets: [{ datasetVersionId: dsBv1.id, role: 'extra' }] } });
  await admin.data(LogInputsDocument, { input: { runId: a2.id, models: [{ modelVersionId: mBv1.id, role: 'base-model' }] } });
});

describe('ownership', () => {
  it('shows the owning project; a new model takes the project of the artifact’s run', async () => {
    expect((await ana.data(DatasetOwnerDocument, { name: names.dsA })).dataset?.project.name).toBe(projectA);
    expect((await ana.data(ModelOwnerDocument, { name: names.mA })).registeredModel?.project.name).toBe(projectA);
    expect((await bob.data(ModelOwnerDocument, { name: names.mB })).registeredModel?.project.name).toBe(projectB);
  });
});

describe('an outsider sees nothing of another project’s datasets and models', () => {
  it('answers null to direct lookups and node(id) of every type', async () => {
    expect((await bob.data(DatasetOwnerDocument, { name: names.dsA })).dataset).toBeNull();
    expect((await bob.data(DatasetVersionByLabelDocument, { dataset: names.dsA, version: 'v1' })).datasetVersion).toBeNull();
    expect((await bob.data(ModelOwnerDocument, { name: names.mA })).registeredModel).toBeNull();
    const dataset = (await ana.data(DatasetOwnerDocument, { name: names.dsA })).dataset!;
    const model = (await ana.data(ModelOwnerDocument, { name: names.mA })).registeredModel!;
    for (const id of [dataset.id, dsAv1.id, model.id, mAv1.id, artifactA]) {
      const res = await bob.request(NodeTypeDocument, { id });
      expect(res.data?.node ?? null, id).toBeNull();
    }
    // The owner sees them all.
    for (const id of [dataset.id, dsAv1.id, model.id, mAv1.id]) expect((await ana.data(NodeTypeDocument, { id })).node?.id).toBe(id);
  });

  it('answers NOT_FOUND to impact and lineage from their nodes, and leaves them out of models(usedDataset)', async () => {
    expect(await codeOf(bob.error(ImpactDocument, { id: dsAv1.id }))).toBe('NOT_FOUND');
    expect(await codeOf(bob.error(ImpactDocument, { id: a1.id }))).toBe('NOT_FOUND');
    expect(await codeOf(bob.error(LineageDocument, { id: dsAv1.id }))).toBe('NOT_FOUND');
    expect(await codeOf(bob.error(LineageDocument, { id: mAv1.id }))).toBe('NOT_FOUND');
    expect(await codeOf(bob.error(LineagePathDocument, { from: dsBv1.id, to: mAv1.id }))).toBe('NOT_FOUND');
    expect((await bob.data(ModelsUsingDocument, { usedDataset: { name: names.dsA } })).models).toEqual([]);
    // A's model was trained (through a1) on B's dataset too, but bob sees only his own.
    expect((await bob.data(ModelsUsingDocument, { usedDataset: { name: names.dsB } })).models.map((m) => m.id)).toEqual([mBv1.id]);
    // ...and ana cannot see B's dataset, so she cannot ask which models used it.
    expect((await ana.data(ModelsUsingDocument, { usedDataset: { name: names.dsB } })).models).toEqual([]);
    expect((await admin.data(ModelsUsingDocument, { usedDataset: { name: names.dsB } })).models.map((m) => m.id).sort()).toEqual([mAv1.id, mBv1.id].sort());
    expect((await ana.data(ImpactDocument, { id: dsAv1.id })).impact.map((m) => m.id)).toEqual([mAv1.id]);
  });

  it('refuses every write (NOT_FOUND, or FORBIDDEN for a name held where the caller has no role) and changes nothing', async () => {
    const bobArtifact = await modelArtifact(bobSecret, b1.id);
    const writes: [string, () => Promise<{ extensions?: { code?: string }; message: string }>][] = [
      ['FORBIDDEN', () => bob.error(RegisterDatasetVersionDocument, { input: { dataset: names.dsA, version: 'v9', digest: sha256('x') } })],
      ['FORBIDDEN', () => bob.error(RegisterDatasetVersionDocument, { input: { dataset: names.dsA, project: projectB, version: 'v9', digest: sha256('x') } })],
      [
        'NOT_FOUND',
        () => bob.error(RegisterDatasetVersionDocument, { input: { dataset: uniqueName('new'), project: projectA, version: 'v1', digest: sha256('x') } }),
      ],
      ['NOT_FOUND', () => bob.error(QuarantineDatasetVersionDocument, { input: { id: dsAv1.id, reason: 'sabotage' } })],
      ['NOT_FOUND', () => bob.error(ReleaseQuarantineDocument, { input: { id: dsAv1.id, reason: 'sabotage' } })],
      ['NOT_FOUND', () => bob.error(SetModelAliasDocument, { input: { model: names.mA, alias: 'production', version: 1 } })],
      ['NOT_FOUND', () => bob.error(RemoveModelAliasDocument, { input: { model: names.mA, alias: 'production' } })],
      ['NOT_FOUND', () => bob.error(RollbackModelAliasDocument, { input: { model: names.mA, alias: 'production', reason: 'x' } })],
      ['FORBIDDEN', () => bob.error(CreateModelVersionDocument, { input: { model: names.mA, artifactId: bobArtifact } })],
      ['NOT_FOUND', () => bob.error(CreateModelVersionDocument, { input: { model: uniqueName('steal'), artifactId: artifactA } })],
      ['NOT_FOUND', () => bob.error(CreateModelVersionDocument, { input: { model: uniqueName('m'), project: projectA, artifactId: bobArtifact } })],
      ['NOT_FOUND', () => bob.error(LogInputsDocument, { input: { runId: b1.id, datasets: [{ datasetVersionId: dsAv1.id, role: 'train' }] } })],
      ['NOT_FOUND', () => bob.error(LogInputsDocument, { input: { runId: b1.id, models: [{ modelVersionId: mAv1.id, role: 'base' }] } })],
    ];
    for (const [code, write] of writes) {
      const error = await write();
      expect(error.extensions?.code, error.message).toBe(code);
      // A name held elsewhere is refused without naming the project, or saying it exists.
      if (code === 'FORBIDDEN') {
        expect(error.message).not.toContain(projectA);
        expect(error.message).not.toMatch(/exists/);
      }
    }
    const model = (await ana.data(ModelOwnerDocument, { name: names.mA })).registeredModel!;
    expect(model.alias?.version).toBe(1);
    expect(model.history).toHaveLength(1);
    expect(model.versions.edges).toHaveLength(1);
    expect((await ana.data(DatasetOwnerDocument, { name: names.dsA })).dataset?.versions.edges.map((e) => e.node.version)).toEqual(['v1']);
    expect((await ana.data(DatasetVersionByLabelDocument, { dataset: names.dsA, version: 'v1' })).datasetVersion?.usedBy.edges.map((e) => e.node.id)).toEqual([
      a1.id,
    ]);
    expect((await bob.data(RunInputsAndModelsDocument, { id: b1.id })).run?.inputs).toHaveLength(1);
  });
});

describe('lineage that crosses into a forbidden project', () => {
  it('shows a redacted node: its type and a stand-in id only, no name, no object, no real id', async () => {
    const standIn = (type: string, n: number) => Buffer.from(`${type}:-${n}`).toString('base64');
    const { lineage } = await ana.data(LineageDocument, { id: a1.id, direction: 'UPSTREAM', depth: 1 });
    const hidden = lineage.nodes.find((n) => n.redacted);
    expect(hidden).toEqual({
      id: standIn('DatasetVersion', 1),
      type: 'DATASET_VERSION',
      label: 'DatasetVersion (redacted)',
      depth: 1,
      redacted: true,
      node: null,
    });
    expect(JSON.stringify(lineage)).not.toContain(dsBv1.id);
    const mine = lineage.nodes.find((n) => n.id === dsAv1.id);
    expect(mine).toMatchObject({ redacted: false, label: `${names.dsA}@v1`, node: { id: dsAv1.id, __typename: 'DatasetVersion' } });
    expect(JSON.stringify(lineage)).not.toContain(names.dsB);

    // a2 fine-tuned B's model: the walk stops at the redacted model version, so nothing of B's
    // graph behind it (its artifact, run, dataset) shows, not even as redacted nodes.
    const up = (await ana.data(LineageDocument, { id: a2.id, direction: 'UPSTREAM', depth: 5 })).lineage;
    expect(up.nodes).toEqual([
      { id: a2.id, type: 'RUN', label: 'a2-finetune', depth: 0, redacted: false, node: { id: a2.id, __typename: 'Run' } },
      { id: standIn('ModelVersion', 1), type: 'MODEL_VERSION', label: 'ModelVersion (redacted)', depth: 1, redacted: true, node: null },
    ]);
    expect(up.edges.map((e) => [e.from, e.kind, e.to, e.role])).toEqual([[standIn('ModelVersion', 1), 'INPUT_TO', a2.id, 'base-model']]);
    // The same through Run.lineage, and with a types filter (which the cut is applied before).
    const typed = (await ana.data(LineageDocument, { id: a2.id, direction: 'UPSTREAM', depth: 5, types: ['RUN', 'DATASET_VERSION'] })).lineage;
    expect(typed.nodes.map((n) => n.id)).toEqual([a2.id]);
    const { runs } = await ana.data(RunsWithLineageDocument, { project: projectA, first: 10 });
    const viaField = runs.edges.find((e) => e.node.id === a2.id)!.node.lineage;
    expect(viaField.nodes.map((n) => [n.id, n.label])).toEqual([
      [a2.id, 'a2-finetune'],
      [standIn('ModelVersion', 1), 'ModelVersion (redacted)'],
    ]);
    expect(JSON.stringify([up, viaField])).not.toContain(mBv1.id);
    const all = (await admin.data(LineageDocument, { id: a2.id, direction: 'UPSTREAM', depth: 5 })).lineage;
    expect(all.nodes.map((n) => n.type).sort()).toEqual(['ARTIFACT', 'DATASET_VERSION', 'MODEL_VERSION', 'RUN', 'RUN']);
    expect(JSON.stringify([up, typed, viaField])).not.toMatch(new RegExp(`${names.mB}|${names.dsB}|"b1"`));

    // A path between visible nodes is drawn as usual.
    const path = (await ana.data(LineagePathDocument, { from: a1.id, to: mAv1.id })).lineagePath;
    expect(path?.nodes.map((n) => [n.type, n.redacted])).toEqual([
      ['RUN', false],
      ['ARTIFACT', false],
      ['MODEL_VERSION', false],
    ]);

    // The admin sees everything, unredacted.
    expect(all.nodes.every((n) => !n.redacted && n.node !== null)).toBe(true);
  });

  it('leaves forbidden inputs out of Run.inputs and forbidden runs out of usedBy', async () => {
    const run = (await ana.data(RunInputsAndModelsDocument, { id: a1.id })).run!;
    expect(run.inputs.map((i) => i.datasetVersion?.id)).toEqual([dsAv1.id]);
    expect((await ana.data(RunInputsAndModelsDocument, { id: a2.id })).run?.inputs).toEqual([]);
    const used = (await bob.data(DatasetVersionByLabelDocument, { dataset: names.dsB, version: 'v1' })).datasetVersion!;
    expect(used.usedBy.edges.map((e) => e.node.id)).toEqual([b1.id]);
    expect(used.usedBy.totalCount).toBe(1);
  });
});

describe('roles on datasets and models', () => {
  it('lets a viewer read but not register, quarantine or move aliases (FORBIDDEN)', async () => {
    await ana.data(GrantProjectRoleDocument, { input: { project: projectA, user: bobName, role: 'VIEWER' } });
    expect((await bob.data(DatasetOwnerDocument, { name: names.dsA })).dataset?.project.name).toBe(projectA);
    expect((await bob.data(ModelOwnerDocument, { name: names.mA })).registeredModel?.alias?.version).toBe(1);
    const bobArtifact = await modelArtifact(bobSecret, b1.id);
    for (const write of [
      () => bob.error(RegisterDatasetVersionDocument, { input: { dataset: names.dsA, version: 'v2', digest: sha256('v2') } }),
      () => bob.error(RegisterDatasetVersionDocument, { input: { dataset: uniqueName('new'), project: projectA, version: 'v1', digest: sha256('n') } }),
      () => bob.error(QuarantineDatasetVersionDocument, { input: { id: dsAv1.id, reason: 'looks off' } }),
      () => bob.error(ReleaseQuarantineDocument, { input: { id: dsAv1.id, reason: 'looks fine' } }),
      () => bob.error(SetModelAliasDocument, { input: { model: names.mA, alias: 'staging', version: 1 } }),
      () => bob.error(RemoveModelAliasDocument, { input: { model: names.mA, alias: 'production' } }),
      () => bob.error(RollbackModelAliasDocument, { input: { model: names.mA, alias: 'production', reason: 'x' } }),
      () => bob.error(CreateModelVersionDocument, { input: { model: names.mA, artifactId: bobArtifact } }),
      () => bob.error(LogInputsDocument, { input: { runId: a1.id, datasets: [{ datasetVersionId: dsBv1.id, role: 'train' }] } }),
    ]) {
      const error = await write();
      expect(error.extensions?.code, error.message).toBe('FORBIDDEN');
    }
    // Reading is enough to use A's data as an input of his own run.
    await bob.data(LogInputsDocument, { input: { runId: b1.id, datasets: [{ datasetVersionId: dsAv1.id, role: 'eval' }] } });
    // ...and ana, who has no role in B, does not see his run among its users.
    const used = (await ana.data(DatasetVersionByLabelDocument, { dataset: names.dsA, version: 'v1' })).datasetVersion!;
    expect(used.usedBy.edges.map((e) => e.node.id)).toEqual([a1.id]);
    expect(used.usedBy.totalCount).toBe(1);
  });

  it('lets an editor write, attributing alias changes to the token user in the history and the audit log', async () => {
    await ana.data(GrantProjectRoleDocument, { input: { project: projectA, user: bobName, role: 'EDITOR' } });
    const v2 = await register(bob, names.dsA, 'v2');
    expect((await bob.data(QuarantineDatasetVersionDocument, { input: { id: v2.id, reason: 'duplicated rows' } })).quarantineDatasetVersion.quarantine.by).toBe(
      bobName,
    );
    // A version from bob's run in B, registered into A's model: needs EDITOR in A and sight of the run.
    const created = await bob.data(CreateModelVersionDocument, {
      input: { model: names.mA, project: projectA, artifactId: await modelArtifact(bobSecret, b1.id) },
    });
    expect(created.createModelVersion.modelVersion).toMatchObject({ version: 2, model: { project: { name: projectA } } });
    const moved = await bob.data(SetModelAliasDocument, { input: { model: names.mA, alias: 'production', version: 2, reason: 'better' } });
    expect(moved.setModelAlias.event).toMatchObject({ who: bobName, from: { version: 1 }, to: { version: 2 } });
    const rolled = await bob.data(RollbackModelAliasDocument, { input: { model: names.mA, alias: 'production', reason: 'regression', fromVersion: 2 } });
    expect(rolled.rollbackModelAlias.event).toMatchObject({ who: bobName, action: 'ROLLBACK', to: { version: 1 } });
    await bob.data(SetModelAliasDocument, { input: { model: names.mA, alias: 'production', version: 2 } });

    const { auditEvents } = await admin.data(AuditEventsDocument, { first: 50, filter: { actor: bobName } });
    const ops = auditEvents.edges
      .map((e) => e.node)
      .filter((e) => e.outcome === 'OK')
      .map((e) => e.operation);
    expect(ops).toEqual(
      expect.arrayContaining(['setModelAlias', 'rollbackModelAlias', 'registerDatasetVersion', 'quarantineDatasetVersion', 'createModelVersion']),
    );
    const refused = auditEvents.edges
      .map((e) => e.node)
      .filter((e) => e.operation === 'setModelAlias' && e.outcome !== 'OK')
      .map((e) => e.outcome);
    expect(refused).toEqual(expect.arrayContaining(['NOT_FOUND', 'FORBIDDEN']));
    // The model's history in the audit log, by its name: who moved its aliases, and who tried.
    const onModel = (await admin.data(AuditEventsDocument, { first: 50, filter: { targetId: names.mA } })).auditEvents.edges.map((e) => e.node);
    expect(onModel.filter((e) => e.operation === 'setModelAlias' && e.outcome === 'OK').map((e) => e.actor)).toEqual([bobName, bobName, anaName]);

    // Version 2 came from a run in B: ana (no role in B) sees the model, but not that version.
    const seen = (await ana.data(ModelOwnerDocument, { name: names.mA })).registeredModel!;
    expect(seen.versions.edges.map((e) => e.node.version)).toEqual([1]);
    expect(seen.alias).toBeNull();
    expect(seen.aliases).toEqual([]);
    expect(seen.history.map((e) => [e.who, e.action, e.from?.version ?? null, e.to?.version ?? null])).toEqual([
      [anaName, 'SET', null, 1],
      [bobName, 'SET', 1, null],
      [bobName, 'ROLLBACK', null, 1],
      [bobName, 'SET', 1, null],
    ]);
    expect((await ana.error(SetModelAliasDocument, { input: { model: names.mA, alias: 'staging', version: 2 } })).extensions?.code).toBe('NOT_FOUND');

    // Once his role is gone, the model and the dataset are gone for him, and so is the version
    // his own run produced (it belongs to A's model).
    await ana.data(RevokeProjectRoleDocument, { input: { project: projectA, user: bobName } });
    expect((await bob.data(ModelOwnerDocument, { name: names.mA })).registeredModel).toBeNull();
    expect((await bob.data(DatasetOwnerDocument, { name: names.dsA })).dataset).toBeNull();
    expect((await bob.data(RunInputsAndModelsDocument, { id: b1.id })).run).toMatchObject({ modelVersions: [{ version: 1 }], inputs: [{ role: 'train' }] });
  });

  it('blocks promoting a model trained on data quarantined in another project, without naming that data', async () => {
    // mA v1 was trained by a1, which also read B's dataset; B's admin finds that data bad.
    await bob.data(QuarantineDatasetVersionDocument, { input: { id: dsBv1.id, reason: 'leaked labels' } });
    const refused = await ana.error(SetModelAliasDocument, { input: { model: names.mA, alias: 'staging', version: 1 } });
    expect(refused.extensions?.code).toBe('CONFLICT');
    expect(refused.message).toMatch(/1 quarantined dataset version in projects you have no role in/);
    expect(refused.message).not.toContain(names.dsB);
    expect(refused.message).not.toContain('leaked labels');
    expect(refused.extensions?.hiddenQuarantinedDatasetVersions).toBe(1);
    expect((await admin.error(SetModelAliasDocument, { input: { model: names.mA, alias: 'staging', version: 1 } })).message).toContain(`${names.dsB}@v1`);
    const promoted = await ana.data(PromoteDocument, { input: { model: names.mA, alias: 'staging', version: 1, override: { reason: 'hotfix' } } });
    expect(promoted.setModelAlias.event?.override).toEqual({ reason: 'hotfix', quarantinedDatasetVersions: [] });
  });

  it('records a release as the token user, and lets only a global admin date an alias change', async () => {
    const released = (await bob.data(ReleaseQuarantineDocument, { input: { id: dsBv1.id, reason: 'labels re-derived' } })).releaseQuarantine;
    expect(released).toMatchObject({ released: true, event: { action: 'RELEASE', by: bobName } });
    const effectiveAt = '2025-10-03T00:00:00.000Z';
    // bob administers project B, but is no global admin.
    const refused = await bob.error(MoveAliasDocument, { input: { model: names.mB, alias: 'imported', version: 1, effectiveAt } });
    expect(refused.extensions?.code).toBe('FORBIDDEN');
    expect(refused.message).toMatch(/^input\.effectiveAt: only a global admin/);
    const imported = (await admin.data(MoveAliasDocument, { input: { model: names.mB, alias: 'imported', version: 1, effectiveAt } })).setModelAlias.event!;
    expect(imported).toMatchObject({ who: adminName, at: effectiveAt });
    expect(new Date(imported.recordedAt).getTime()).toBeGreaterThan(new Date(effectiveAt).getTime());
  });
});
