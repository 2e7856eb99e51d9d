// Incident questions over HTTP on seeded data: derived datasets, a fine-tuning chain, alias
// changes over time and a quarantined dataset version. Each question is one request.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AliasHistoryDocument,
  DatasetVersionsWithLineageDocument,
  ImpactAsOfDocument,
  ImpactDocument,
  LineageDocument,
  LineagePathDocument,
  LogInputsDocument,
  ModelsUsingDocument,
  ProductionModelNowDocument,
  PromoteDocument,
  QuarantineDatasetVersionDocument,
} from '../generated/graphql.js';
import { newProject, newRun } from '../support/factories.js';
import { newDatasetVersion, newModelVersion } from '../support/registry-factories.js';
import { uniqueName, useServer } from '../support/server.js';

const server = useServer();
const pause = (ms = 5) => new Promise((r) => setTimeout(r, ms));
const sha = (label: string) => Buffer.from(uniqueName(label)).toString('hex').slice(0, 40);

let seeded: Awaited<ReturnType<typeof seed>>;

/**
 * events-raw@2026-08 (the August data) -DERIVED_INTO-> events-clean@v1 -DERIVED_INTO-> features@v1
 *   -> run "train-aug" (good commit) -> churn v1
 * events-raw@2026-09 -> run "train-sep" (bad commit) -> churn v2
 * churn v1 (base model) + events-raw@2026-09 -> run "fine-tune" (good commit) -> churn-ft v1
 * production: churn v1 (t1), then churn v2 (t2); churn-ft v1 (t3).
 */
async function seed() {
  const s = server();
  const { client } = s;
  const project = await newProject(client, 'incident');
  const raw = uniqueName('events-raw');
  const clean = uniqueName('events-clean');
  const features = uniqueName('churn-features');
  const rawAug = await newDatasetVersion(client, {
    dataset: raw,
    project,
    version: '2026-08',
    coverageStart: '2026-08-01T00:00:00Z',
    coverageEnd: '2026-09-01T00:00:00Z',
  });
  const rawSep = await newDatasetVersion(client, {
    dataset: raw,
    version: '2026-09',
    coverageStart: '2026-09-01T00:00:00Z',
    coverageEnd: '2026-10-01T00:00:00Z',
  });
  const cleanAug = await newDatasetVersion(client, { dataset: clean, project, version: 'v1', derivedFrom: [rawAug.id] });
  const featAug = await newDatasetVersion(client, { dataset: features, project, version: 'v1', derivedFrom: [cleanAug.id] });
  const repository = 'git@example.com:ml/churn.git';
  const goodCommit = sha('good');
  const badCommit = sha('bad');

  const trainAug = await newRun(client, project, { name: 'train-aug', codeVersion: { repository, commit: goodCommit } });
  await client.data(LogInputsDocument, { input: { runId: trainAug.id, datasets: [{ datasetVersionId: featAug.id, role: 'train' }] } });
  const churn = uniqueName('churn');
  const v1 = await newModelVersion(s, client, churn, trainAug.id);
  await pause();
  const e1 = (await client.data(PromoteDocument, { input: { model: churn, alias: 'production', version: v1.version, reason: 'launch' } })).setModelAlias.event!;
  await pause();

  const trainSep = await newRun(client, project, { name: 'train-sep', codeVersion: { repository, commit: badCommit } });
  await client.data(LogInputsDocument, { input: { runId: trainSep.id, datasets: [{ datasetVersionId: rawSep.id, role: 'train' }] } });
  const v2 = await newModelVersion(s, client, churn, trainSep.id);
  const fineTune = await newRun(client, project, { name: 'fine-tune', codeVersion: { repository, commit: goodCommit } });
  await client.data(LogInputsDocument, {
    input: { runId: fineTune.id, datasets: [{ datasetVersionId: rawSep.id, role: 'train' }], models: [{ modelVersionId: v1.id, role: 'base-model' }] },
  });
  const ftModel = uniqueName('churn-ft');
  const ft1 = await newModelVersion(s, client, ftModel, fineTune.id);
  await pause();
  const e2 = (await client.data(PromoteDocument, { input: { model: churn, alias: 'production', version: v2.version, reason: 'September retrain' } }))
    .setModelAlias.event!;
  await pause();
  const e3 = (await client.data(PromoteDocument, { input: { model: ftModel, alias: 'production', version: ft1.version } })).setModelAlias.event!;
  await pause();
  return {
    raw,
    clean,
    features,
    rawAug,
    rawSep,
    cleanAug,
    featAug,
    repository,
    goodCommit,
    badCommit,
    trainAug,
    trainSep,
    fineTune,
    churn,
    ftModel,
    v1,
    v2,
    ft1,
    e1,
    e2,
    e3,
  };
}

beforeAll(async () => {
  seeded = await seed();
});

const names = (versions: { model: { name: string }; version: number }[]) => versions.map((v) => `${v.model.name} v${v.version}`).sort();

async function commitId(commit: string) {
  const { client } = server();
  const { lineage } = await client.data(LineageDocument, { id: seeded.trainAug.id, direction: 'UPSTREAM', depth: 1, types: ['CODE_COMMIT'] });
  const trainSep = await client.data(LineageDocument, { id: seeded.trainSep.id, direction: 'UPSTREAM', depth: 1, types: ['CODE_COMMIT'] });
  const all = [...lineage.nodes, ...trainSep.lineage.nodes].filter((n) => n.type === 'CODE_COMMIT');
  return all.find((n) => n.label.startsWith(commit.slice(0, 10)))!.id;
}

describe('which production model used the August dataset', () => {
  it('answers through derived datasets and the fine-tuning chain, now and as of a past instant', async () => {
    const { client } = server();
    const { raw, churn, ftModel } = seeded;
    const august = { name: raw, coverageOverlaps: { start: '2026-08-10T00:00:00Z', end: '2026-08-20T00:00:00Z' } };
    // Now: churn's production moved to v2 (September data); the fine-tuned model descends from v1.
    const now = await client.data(ModelsUsingDocument, { usedDataset: august, alias: 'production' });
    expect(names(now.models)).toEqual([`${ftModel} v1`]);
    // Every model version that used it, whatever its aliases.
    const all = await client.data(ModelsUsingDocument, { usedDataset: august });
    expect(names(all.models)).toEqual([`${churn} v1`, `${ftModel} v1`]);
    // As of the launch: churn v1 was production, the fine-tuned model did not exist.
    const atLaunch = await client.data(ModelsUsingDocument, { usedDataset: august, alias: 'production', at: seeded.e1.at });
    expect(names(atLaunch.models)).toEqual([`${churn} v1`]);
    // Directly, by the derived version's own name and label, and by digest.
    expect(names((await client.data(ModelsUsingDocument, { usedDataset: { name: seeded.features, version: 'v1' } })).models)).toEqual([
      `${churn} v1`,
      `${ftModel} v1`,
    ]);
    expect(names((await client.data(ModelsUsingDocument, { usedDataset: { digest: `sha256:${seeded.rawSep.digest}` }, alias: 'production' })).models)).toEqual([
      `${churn} v2`,
      `${ftModel} v1`,
    ]);
    // Before the August data was registered, nothing used it.
    expect((await client.data(ModelsUsingDocument, { usedDataset: august, at: '2020-01-01T00:00:00Z' })).models).toEqual([]);
  });

  it('refuses a filter with no criterion', async () => {
    const { client } = server();
    const error = await client.error(ModelsUsingDocument, { usedDataset: {} });
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain('usedDataset');
  });
});

describe('what a bad commit reached', () => {
  it('lists the model versions downstream of a commit with their aliases, now and then', async () => {
    const { client } = server();
    const { churn, ftModel } = seeded;
    const bad = await commitId(seeded.badCommit);
    const reached = (await client.data(ImpactDocument, { id: bad })).impact;
    expect(reached.map((v) => [`${v.model.name} v${v.version}`, v.aliases])).toEqual([[`${churn} v2`, ['production']]]);

    const good = await commitId(seeded.goodCommit);
    expect(names((await client.data(ImpactDocument, { id: good })).impact)).toEqual([`${churn} v1`, `${ftModel} v1`]);
    expect(names((await client.data(ImpactDocument, { id: good, aliases: ['production'] })).impact)).toEqual([`${ftModel} v1`]);
    const then = (await client.data(ImpactAsOfDocument, { id: good, aliases: ['production'], at: seeded.e1.at })).impact;
    expect(then.map((v) => [`${v.model.name} v${v.version}`, v.aliasesAt])).toEqual([[`${churn} v1`, ['production']]]);
  });
});

describe('the full upstream of a production model', () => {
  it('draws every dataset, run, commit and base model behind it', async () => {
    const { client } = server();
    const { lineage } = await client.data(LineageDocument, { id: seeded.ft1.id, direction: 'UPSTREAM', depth: 20 });
    const labels = lineage.nodes.map((n) => `${n.type}:${n.label}`);
    expect(labels).toEqual(
      expect.arrayContaining([
        `MODEL_VERSION:${seeded.ftModel} v1`,
        'RUN:fine-tune',
        `MODEL_VERSION:${seeded.churn} v1`,
        'RUN:train-aug',
        `DATASET_VERSION:${seeded.features}@v1`,
        `DATASET_VERSION:${seeded.clean}@v1`,
        `DATASET_VERSION:${seeded.raw}@2026-08`,
        `DATASET_VERSION:${seeded.raw}@2026-09`,
        `CODE_COMMIT:${seeded.goodCommit.slice(0, 10)} ${seeded.repository}`,
      ]),
    );
    expect(labels).not.toContain('RUN:train-sep');
    expect(lineage.nodes.find((n) => n.label === `${seeded.raw}@2026-08`)).toMatchObject({ depth: 8, node: { __typename: 'DatasetVersion' } });
    const base = lineage.edges.find((e) => e.from === seeded.v1.id && e.to === seeded.fineTune.id);
    expect(base).toMatchObject({ kind: 'INPUT_TO', role: 'base-model' });
  });

  it('finds the path from the August data to the fine-tuned model, and none before it existed', async () => {
    const { client } = server();
    const path = (await client.data(LineagePathDocument, { from: seeded.rawAug.id, to: seeded.ft1.id })).lineagePath!;
    expect(path.edges.map((e) => e.kind)).toEqual([
      'DERIVED_INTO',
      'DERIVED_INTO',
      'INPUT_TO',
      'PRODUCED',
      'REGISTERED_AS',
      'INPUT_TO',
      'PRODUCED',
      'REGISTERED_AS',
    ]);
    expect(path.nodes.map((n) => n.type)).toEqual([
      'DATASET_VERSION',
      'DATASET_VERSION',
      'DATASET_VERSION',
      'RUN',
      'ARTIFACT',
      'MODEL_VERSION',
      'RUN',
      'ARTIFACT',
      'MODEL_VERSION',
    ]);
    expect(path.nodes[0]!.id).toBe(seeded.rawAug.id);
    expect(path.nodes.at(-1)!.id).toBe(seeded.ft1.id);
    // Given the other way round, the same path.
    expect((await client.data(LineagePathDocument, { from: seeded.ft1.id, to: seeded.rawAug.id })).lineagePath!.edges).toHaveLength(8);
    expect((await client.data(LineagePathDocument, { from: seeded.rawAug.id, to: seeded.ft1.id, at: seeded.e1.at })).lineagePath).toBeNull();
    // As of the launch, the August data reached churn v1 only.
    const then = await client.data(LineageDocument, { id: seeded.rawAug.id, direction: 'DOWNSTREAM', depth: 20, types: ['MODEL_VERSION'], at: seeded.e1.at });
    expect(then.lineage.nodes.map((n) => n.label)).toEqual([`${seeded.raw}@2026-08`, `${seeded.churn} v1`]);
  });

  it('loads the lineage of several dataset versions in one batch', async () => {
    const { client } = server();
    const { nodes } = await client.data(DatasetVersionsWithLineageDocument, { ids: [seeded.rawAug.id, seeded.rawSep.id] });
    const [aug, sep] = nodes as { lineage: { nodes: { label: string }[] } }[];
    expect(aug!.lineage.nodes.map((n) => n.label).sort()).toEqual([`${seeded.churn} v1`, `${seeded.ftModel} v1`, `${seeded.raw}@2026-08`].sort());
    expect(sep!.lineage.nodes.map((n) => n.label).sort()).toEqual([`${seeded.churn} v2`, `${seeded.ftModel} v1`, `${seeded.raw}@2026-09`].sort());
  });

  it('records each link once, however often it is logged', async () => {
    const { client } = server();
    const input = { runId: seeded.trainAug.id, datasets: [{ datasetVersionId: seeded.featAug.id, role: 'train' }] };
    await client.data(LogInputsDocument, { input });
    const { lineage } = await client.data(LineageDocument, { id: seeded.trainAug.id, direction: 'UPSTREAM', depth: 1 });
    expect(lineage.edges.filter((e) => e.from === seeded.featAug.id)).toHaveLength(1);
  });
});

describe('quarantined data', () => {
  it('lists what it reached, and gates promotion onto it behind a recorded override', async () => {
    const { client } = server();
    const oncall = server().as('oncall');
    const { churn, ftModel, raw } = seeded;
    const quarantined = (await oncall.data(QuarantineDatasetVersionDocument, { input: { id: seeded.rawAug.id, reason: 'late events counted twice' } }))
      .quarantineDatasetVersion;
    expect(quarantined).toMatchObject({ created: true, quarantine: { reason: 'late events counted twice', by: 'oncall' } });
    expect(quarantined.datasetVersion.quarantine).toEqual({ reason: 'late events counted twice', by: 'oncall' });
    const again = (await client.data(QuarantineDatasetVersionDocument, { input: { id: seeded.rawAug.id, reason: 'other words' } })).quarantineDatasetVersion;
    expect(again).toMatchObject({ created: false, quarantine: { reason: 'late events counted twice', by: 'oncall' } });

    // Everything it reached, and which of those are in production.
    const impact = (await client.data(ImpactDocument, { id: seeded.rawAug.id })).impact;
    expect(impact.map((v) => [`${v.model.name} v${v.version}`, v.aliases]).sort()).toEqual([
      [`${churn} v1`, []],
      [`${ftModel} v1`, ['production']],
    ]);

    // Rolling production back to v1 would put quarantined data back in production.
    const refused = await client.error(PromoteDocument, { input: { model: churn, alias: 'production', version: seeded.v1.version } });
    expect(refused.extensions?.code).toBe('CONFLICT');
    expect(refused.message).toContain(`${raw}@2026-08`);
    expect(refused.message).toContain('late events counted twice');
    expect(refused.message).toContain('override');
    const still = await client.data(ProductionModelNowDocument, { model: churn });
    expect(still.registeredModel?.alias?.version).toBe(2);

    // Models not trained on it move freely.
    expect((await client.data(PromoteDocument, { input: { model: churn, alias: 'staging', version: seeded.v2.version } })).setModelAlias.changed).toBe(true);

    // With an override and its reason, the promotion happens and the history says why.
    const forced = await server()
      .as('lead')
      .data(PromoteDocument, {
        input: {
          model: churn,
          alias: 'production',
          version: seeded.v1.version,
          reason: 'v2 is worse',
          override: { reason: 'v2 crashes on null tenure; v1 is the lesser evil for 2 hours' },
        },
      });
    expect(forced.setModelAlias.changed).toBe(true);
    expect(forced.setModelAlias.event).toMatchObject({
      alias: 'production',
      reason: 'v2 is worse',
      who: 'lead',
      override: {
        reason: 'v2 crashes on null tenure; v1 is the lesser evil for 2 hours',
        quarantinedDatasetVersions: [{ id: seeded.rawAug.id, version: '2026-08' }],
      },
    });
    const { registeredModel } = await client.data(AliasHistoryDocument, { name: churn });
    const last = registeredModel!.history.at(-1)!;
    expect(last).toMatchObject({
      alias: 'production',
      action: 'SET',
      to: { version: 1 },
      override: { reason: 'v2 crashes on null tenure; v1 is the lesser evil for 2 hours' },
    });
    expect(registeredModel!.history.filter((e) => e.override)).toHaveLength(1);
    // A retry changes nothing and records nothing.
    const retried = await client.data(PromoteDocument, {
      input: { model: churn, alias: 'production', version: seeded.v1.version, override: { reason: 'again' } },
    });
    expect(retried.setModelAlias.changed).toBe(false);
  });

  it('refuses an empty override reason and an unknown dataset version', async () => {
    const { client } = server();
    const blank = await client.error(PromoteDocument, { input: { model: seeded.ftModel, alias: 'canary', version: 1, override: { reason: '  ' } } });
    expect(blank.extensions?.code).toBe('BAD_USER_INPUT');
    expect(blank.message).toContain('input.override.reason');
    const missing = await client.error(QuarantineDatasetVersionDocument, {
      input: { id: Buffer.from('DatasetVersion:987654321').toString('base64'), reason: 'x' },
    });
    expect(missing.extensions?.code).toBe('NOT_FOUND');
  });
});
