// The incident flow over HTTP (issue 12, items 9-13): every alias move passes the quarantine
// gate, a retried rollback never flips back, history names who acted, imported history is
// dated by when it took effect, and quarantines can be lifted, with every step on record.
import { describe, expect, it } from 'vitest';
import {
  AliasTimelineDocument,
  AuditEventsDocument,
  CommitByShaDocument,
  DropAliasDocument,
  ImpactAsOfDocument,
  LogInputsDocument,
  ModelsUsingDocument,
  MoveAliasDocument,
  QuarantineDatasetVersionDocument,
  QuarantineHistoryDocument,
  ReleaseQuarantineDocument,
  RollBackAliasDocument,
  StartRunWithCodeDocument,
} from '../generated/graphql.js';
import { newProject, newRun } from '../support/factories.js';
import { newDatasetVersion, newModelVersion } from '../support/registry-factories.js';
import { uniqueName, useServer } from '../support/server.js';

const server = useServer();
const pause = (ms = 5) => new Promise((r) => setTimeout(r, ms));

/** A model whose version i was trained on its own dataset version `data[i]`. */
async function modelOnData(count: number) {
  const s = server();
  const project = await newProject(s.client, 'incident');
  const dataset = uniqueName('events');
  const model = uniqueName('churn');
  const data = [];
  const versions = [];
  for (let i = 0; i < count; i += 1) {
    const dv = await newDatasetVersion(s.client, { dataset, project, version: `v${i + 1}` });
    const run = await newRun(s.client, project, { name: `train-${i + 1}` });
    await s.client.data(LogInputsDocument, { input: { runId: run.id, datasets: [{ datasetVersionId: dv.id, role: 'train' }] } });
    data.push(dv);
    versions.push(await newModelVersion(s, s.client, model, run.id));
  }
  return { project, dataset, model, data, versions };
}

const move = (model: string, version: number, extra: Record<string, unknown> = {}) =>
  server().client.data(MoveAliasDocument, { input: { model, alias: 'production', version, ...extra } });
const timeline = async (model: string, at = new Date().toISOString()) =>
  (await server().client.data(AliasTimelineDocument, { name: model, alias: 'production', at })).registeredModel!;

describe('item 9: one quarantine gate for every alias move', () => {
  it('refuses a rollback onto a version trained on quarantined data unless it carries an override, which the history records', async () => {
    const { client } = server();
    const { model, data } = await modelOnData(2);
    await move(model, 1);
    await move(model, 2);
    await client.data(QuarantineDatasetVersionDocument, { input: { id: data[0]!.id, reason: 'duplicated rows' } });

    const refused = await client.error(RollBackAliasDocument, { input: { model, alias: 'production', reason: 'v2 regressed', fromVersion: 2 } });
    expect(refused.extensions?.code).toBe('CONFLICT');
    expect(refused.message).toContain('duplicated rows');
    expect(refused.message).toContain('override');
    expect((await timeline(model)).alias?.version).toBe(2);

    const emptyOverride = await client.error(RollBackAliasDocument, {
      input: { model, alias: 'production', reason: 'x', fromVersion: 2, override: { reason: ' ' } },
    });
    expect(emptyOverride.extensions?.code).toBe('BAD_USER_INPUT');
    expect(emptyOverride.message).toMatch(/^input\.override\.reason: /);

    const rolled = (
      await client.data(RollBackAliasDocument, {
        input: { model, alias: 'production', reason: 'v2 regressed', fromVersion: 2, override: { reason: 'v1 is the lesser evil' } },
      })
    ).rollbackModelAlias;
    expect(rolled).toMatchObject({ changed: true, version: { version: 1 } });
    expect(rolled.event).toMatchObject({
      action: 'ROLLBACK',
      override: { reason: 'v1 is the lesser evil', quarantinedDatasetVersions: [{ id: data[0]!.id }] },
    });
    // setModelAlias goes through the same gate.
    await move(model, 2);
    expect((await client.error(MoveAliasDocument, { input: { model, alias: 'production', version: 1 } })).extensions?.code).toBe('CONFLICT');
  });
});

describe('item 10: a double-submitted rollback never flips back', () => {
  it('needs fromVersion while the alias points at a version, and a retry returns changed: false', async () => {
    const { client } = server();
    const { model } = await modelOnData(3);
    for (const v of [1, 2, 3]) await move(model, v);

    const bare = await client.error(RollBackAliasDocument, { input: { model, alias: 'production', reason: 'v3 is bad' } });
    expect(bare.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bare.message).toMatch(/^input\.fromVersion: required .* fromVersion: 3/);

    const input = { model, alias: 'production', reason: 'v3 is bad', fromVersion: 3 };
    const both = await Promise.all([0, 1].map(() => client.data(RollBackAliasDocument, { input })));
    const results = both.map((b) => b.rollbackModelAlias);
    expect(results.map((r) => r.changed).sort()).toEqual([false, true]);
    expect(results.map((r) => r.version?.version)).toEqual([2, 2]);
    const again = (await client.data(RollBackAliasDocument, { input })).rollbackModelAlias;
    expect(again).toMatchObject({ changed: false, version: { version: 2 }, event: null });
    expect((await timeline(model)).history.map((e) => e.action)).toEqual(['SET', 'SET', 'SET', 'ROLLBACK']);
  });

  it('undoes a removal without fromVersion once; the retry changes nothing', async () => {
    const { client } = server();
    const { model } = await modelOnData(1);
    await move(model, 1);
    await client.data(DropAliasDocument, { input: { model, alias: 'production', reason: 'pull it' } });
    const input = { model, alias: 'production', reason: 'it was fine' };
    const first = (await client.data(RollBackAliasDocument, { input })).rollbackModelAlias;
    const retry = (await client.data(RollBackAliasDocument, { input })).rollbackModelAlias;
    expect(first).toMatchObject({ changed: true, version: { version: 1 } });
    expect(retry).toMatchObject({ changed: false, version: { version: 1 }, event: null });
    expect((await timeline(model)).history.map((e) => e.action)).toEqual(['SET', 'REMOVE', 'ROLLBACK']);
  });
});

describe('item 12: imported history is dated by when it took effect', () => {
  it('answers aliasAt and history by effective time and shows the recorded time beside it', async () => {
    const { client } = server();
    const { model } = await modelOnData(3);
    const started = Date.now();
    const oct1 = '2025-10-01T09:00:00.000Z';
    const oct5 = '2025-10-05T09:00:00.000Z';
    const imported1 = (await move(model, 1, { effectiveAt: oct1, reason: 'imported from MLflow' })).setModelAlias.event!;
    const imported2 = (await move(model, 2, { effectiveAt: oct5 })).setModelAlias.event!;
    expect(imported1).toMatchObject({ at: oct1, who: 'local', from: null, to: { version: 1 } });
    expect(new Date(imported1.recordedAt).getTime()).toBeGreaterThanOrEqual(started);
    expect(imported2).toMatchObject({ at: oct5, from: { version: 1 } });

    expect((await timeline(model, '2025-10-03T00:00:00Z')).aliasAt?.version).toBe(1);
    expect((await timeline(model, '2025-10-06T00:00:00Z')).aliasAt?.version).toBe(2);
    expect((await timeline(model, '2025-09-30T00:00:00Z')).aliasAt).toBeNull();
    const now = await timeline(model);
    expect(now.aliases).toEqual([{ alias: 'production', since: oct5, version: { version: 2 } }]);

    // Not before the latest change, not in the future.
    const early = await client.error(MoveAliasDocument, { input: { model, alias: 'production', version: 3, effectiveAt: '2025-10-04T00:00:00Z' } });
    expect(early.extensions?.code).toBe('CONFLICT');
    expect(early.message).toMatch(/^input\.effectiveAt: .*2025-10-05T09:00:00\.000Z/);
    const future = await client.error(MoveAliasDocument, {
      input: { model, alias: 'production', version: 3, effectiveAt: new Date(Date.now() + 3_600_000).toISOString() },
    });
    expect(future.extensions?.code).toBe('BAD_USER_INPUT');
    expect(future.message).toMatch(/^input\.effectiveAt: /);
    expect((await timeline(model)).history.map((e) => e.at)).toEqual([oct1, oct5]);

    // A live move: effective when recorded.
    const live = (await move(model, 3)).setModelAlias.event!;
    expect(live.at).toBe(live.recordedAt);
    expect((await timeline(model)).history.map((e) => e.to?.version)).toEqual([1, 2, 3]);
  });

  it('lets models(usedDataset, alias, at) see an alias by the time it took effect, not when it was recorded', async () => {
    const { client } = server();
    const { model, dataset } = await modelOnData(1);
    await pause();
    const effective = new Date().toISOString();
    await pause(20);
    await move(model, 1, { effectiveAt: effective });
    const asOf = await client.data(ModelsUsingDocument, { usedDataset: { name: dataset }, alias: 'production', at: effective });
    expect(asOf.models.map((m) => m.model.name)).toEqual([model]);
    const { impact } = await client.data(ImpactAsOfDocument, {
      id: (await client.data(ModelsUsingDocument, { usedDataset: { name: dataset } })).models[0]!.id,
      at: effective,
    });
    expect(impact.map((v) => v.aliasesAt)).toEqual([['production']]);
  });

  it('records a commit time given on startRun and shows it on the commit; a different time later is a conflict that writes nothing', async () => {
    const { client } = server();
    const project = await newProject(client, 'incident');
    const repository = `git@example.com:${uniqueName('repo')}.git`;
    const commit = 'c0ffee'.padEnd(40, '7');
    const committedAt = '2024-03-02T10:11:12.000Z';
    const first = await client.data(StartRunWithCodeDocument, { input: { project, codeVersion: { repository, commit, committedAt } } });
    expect(first.startRun.run.codeVersion).toEqual({ commit, committedAt });
    expect((await client.data(CommitByShaDocument, { repository, commit })).codeCommit).toMatchObject({ commit, committedAt });
    // Later runs may leave it out or repeat it.
    await client.data(StartRunWithCodeDocument, { input: { project, codeVersion: { repository, commit } } });
    await client.data(StartRunWithCodeDocument, { input: { project, codeVersion: { repository, commit, committedAt } } });

    const clientRunId = uniqueName('job');
    const conflict = await client.error(StartRunWithCodeDocument, {
      input: { project, clientRunId, codeVersion: { repository, commit, committedAt: '2024-03-03T00:00:00Z' } },
    });
    expect(conflict.extensions?.code).toBe('CONFLICT');
    expect(conflict.message).toMatch(/^input\.codeVersion\.committedAt: .*2024-03-02T10:11:12\.000Z/);
    // Nothing of the refused run was written: the same clientRunId starts a new run.
    expect((await client.data(StartRunWithCodeDocument, { input: { project, clientRunId, codeVersion: { repository, commit } } })).startRun.created).toBe(true);
    const bad = await client.error(StartRunWithCodeDocument, { input: { project, codeVersion: { repository, commit, committedAt: '1960-01-01T00:00:00Z' } } });
    expect(bad.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.message).toMatch(/^input\.codeVersion\.committedAt: /);
  });
});

describe('item 13: lifting a quarantine, and finding a commit by its short sha', () => {
  it('releases a quarantine with who and why, lets promotions through again, and keeps both in an append-only history', async () => {
    const s = server();
    const { client } = s;
    const { model, data } = await modelOnData(1);
    const id = data[0]!.id;
    await client.data(QuarantineDatasetVersionDocument, { input: { id, reason: 'leaked labels' } });
    expect((await client.error(MoveAliasDocument, { input: { model, alias: 'production', version: 1 } })).extensions?.code).toBe('CONFLICT');

    const noReason = await client.error(ReleaseQuarantineDocument, { input: { id, reason: '' } });
    expect(noReason.extensions?.code).toBe('BAD_USER_INPUT');
    expect(noReason.message).toMatch(/^input\.reason: /);

    const released = (await s.as('oncall').data(ReleaseQuarantineDocument, { input: { id, reason: 'labels re-derived, audit passed' } })).releaseQuarantine;
    expect(released).toMatchObject({
      released: true,
      event: { action: 'RELEASE', reason: 'labels re-derived, audit passed', by: 'oncall' },
      datasetVersion: { id, quarantine: null },
    });
    const retried = (await s.as('oncall').data(ReleaseQuarantineDocument, { input: { id, reason: 'labels re-derived, audit passed' } })).releaseQuarantine;
    expect(retried).toMatchObject({ released: false, event: null });

    // The gate honours the release: no override needed, none recorded.
    const promoted = (await move(model, 1)).setModelAlias;
    expect(promoted).toMatchObject({ changed: true, event: { override: null } });

    await client.data(QuarantineDatasetVersionDocument, { input: { id, reason: 'leaked again' } });
    const node = (await client.data(QuarantineHistoryDocument, { id })).node as {
      quarantine: { reason: string; by: string } | null;
      quarantineHistory: { action: string; reason: string; by: string }[];
    };
    expect(node.quarantine).toMatchObject({ reason: 'leaked again', by: 'local' });
    expect(node.quarantineHistory.map((e) => [e.action, e.reason, e.by])).toEqual([
      ['QUARANTINE', 'leaked labels', 'local'],
      ['RELEASE', 'labels re-derived, audit passed', 'oncall'],
      ['QUARANTINE', 'leaked again', 'local'],
    ]);

    const sql = s.app.db.sql;
    await expect(sql.query(`UPDATE dataset_quarantine_events SET reason = 'rewritten'`)).rejects.toThrow(/append-only/);
    await expect(sql.query(`DELETE FROM dataset_quarantine_events`)).rejects.toThrow(/append-only/);
    await expect(sql.query(`TRUNCATE dataset_quarantine_events CASCADE`)).rejects.toThrow(/append-only/);

    const { auditEvents } = await client.data(AuditEventsDocument, { first: 10, filter: { operation: 'releaseQuarantine', targetId: id } });
    expect(auditEvents.edges.map((e) => [e.node.actor, e.node.outcome])).toEqual([
      ['local:oncall', 'OK'],
      ['local:oncall', 'OK'],
      ['local', 'BAD_USER_INPUT'],
    ]);
  });

  it('finds a commit by a prefix of 7+ characters and refuses ambiguous or too short ones', async () => {
    const { client } = server();
    const project = await newProject(client, 'incident');
    const repository = `git@example.com:${uniqueName('repo')}.git`;
    const a = 'abcdef1'.padEnd(40, '0');
    const b = 'abcdef1'.padEnd(40, '1');
    for (const commit of [a, b]) await newRun(client, project, { codeVersion: { repository, commit } });

    expect((await client.data(CommitByShaDocument, { repository, commit: a })).codeCommit?.commit).toBe(a);
    expect((await client.data(CommitByShaDocument, { repository, commit: 'ABCDEF11' })).codeCommit?.commit).toBe(b);
    expect((await client.data(CommitByShaDocument, { repository, commit: 'abcdef10' })).codeCommit?.commit).toBe(a);
    expect((await client.data(CommitByShaDocument, { repository, commit: 'abcdef2' })).codeCommit).toBeNull();

    const ambiguous = await client.error(CommitByShaDocument, { repository, commit: 'abcdef1' });
    expect(ambiguous.extensions?.code).toBe('BAD_USER_INPUT');
    expect(ambiguous.message).toMatch(/^commit: .*ambiguous: 2 commits/);
    const short = await client.error(CommitByShaDocument, { repository, commit: 'abcdef' });
    expect(short.extensions?.code).toBe('BAD_USER_INPUT');
    expect(short.message).toMatch(/^commit: .*at least 7/);
    expect((await client.error(CommitByShaDocument, { repository, commit: 'xyz1234' })).extensions?.code).toBe('BAD_USER_INPUT');
  });
});
